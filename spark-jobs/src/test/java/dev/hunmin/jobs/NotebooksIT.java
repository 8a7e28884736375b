package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executes every notebook in notebooks/ (Debian's jupyter-nbconvert) against a fresh sample pipeline, so they
 * cannot rot: a cell that raises fails the build. Runs after package, since the notebooks call submit/hunmin.
 * Without jupyter it is skipped, unless HUNMIN_REQUIRE_NOTEBOOKS=1 (CI) makes that a failure.
 */
class NotebooksIT {
  @TempDir Path tmp;

  @Test
  void everyNotebookRunsOnTheSamplePipeline() throws Exception {
    File nbconvert = new File("/usr/bin/jupyter-nbconvert");
    Hunmin.requireTool(nbconvert.canExecute(), "HUNMIN_REQUIRE_NOTEBOOKS", "jupyter-nbconvert is missing (apt-get install jupyter-nbconvert)");
    Path root = Path.of(System.getProperty("hunmin.root"));
    Path work = tmp.resolve("work");
    Hunmin.Result pipeline = Hunmin.run("pipeline", "--work", work.toString(), "--set", "pipeline.pretrain-steps=60");
    assertEquals(0, pipeline.exit(), pipeline.err());
    com.fasterxml.jackson.databind.JsonNode report = Hunmin.report(work); // the work directory's own report
    List<String> stages = new ArrayList<>();
    report.at("/stages").fieldNames().forEachRemaining(stages::add);
    assertEquals(List.of("clean", "vocab", "nsp", "pretrain", "fill-mask"), stages);

    List<String> command = new ArrayList<>(List.of(nbconvert.getPath(), "--to", "notebook", "--execute",
        "--output-dir", tmp.resolve("executed").toString()));
    try (var files = Files.list(root.resolve("notebooks"))) {
      files.filter(p -> p.toString().endsWith(".ipynb")).sorted().forEach(p -> command.add(p.toString()));
    }
    assertTrue(command.size() > 6, "notebooks found");
    ProcessBuilder pb = new ProcessBuilder(command).directory(root.resolve("notebooks").toFile()).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("nbconvert.log").toFile());
    Map<String, String> env = pb.environment();
    env.put("HUNMIN_WORK", work.toString());
    env.put("HUNMIN", root.resolve("submit/hunmin").toString());
    env.put("PATH", "/usr/bin:" + env.getOrDefault("PATH", ""));
    env.put("OMP_NUM_THREADS", "1");
    env.put("PYDEVD_DISABLE_FILE_VALIDATION", "1");
    Process p = pb.start();
    assertTrue(p.waitFor(15, TimeUnit.MINUTES), "notebooks finished in time");
    String log = Files.readString(tmp.resolve("nbconvert.log"), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), log.length() > 4000 ? log.substring(log.length() - 4000) : log);
  }
}
