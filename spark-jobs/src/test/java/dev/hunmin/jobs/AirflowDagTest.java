package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Airflow DAG in CI without Airflow: submit/airflow/check_dag.py compiles it and checks tasks, order and
 * retries against stand-ins; here every task's Hunmin arguments also go through the real CLI parser and config,
 * so a flag the commands do not know fails the build.
 */
class AirflowDagTest {
  @Test
  void theDagRunsTheStepsInOrderWithRetriesAndFlagsTheCommandsKnow() throws IOException, InterruptedException {
    Path root = Path.of(System.getProperty("hunmin.root", ".."));
    ProcessBuilder b = new ProcessBuilder("python3", "submit/airflow/check_dag.py", "--print")
        .directory(root.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
    // paths with spaces must reach the launcher as single words
    b.environment().put("HUNMIN_HOME", "/opt/hunmin home");
    b.environment().put("HUNMIN_WORK", "/data/hunmin work");
    Process p = b.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "check_dag.py did not finish");
    assertEquals(0, p.exitValue(), "check_dag.py failed (its message is above)");

    List<String> tasks = out.lines().toList();
    assertEquals(6, tasks.size(), out);
    ObjectMapper json = new ObjectMapper();
    for (String line : tasks) {
      String[] args = json.readValue(line, String[].class);
      Settings s = Settings.load(Cli.parse(args));
      assertTrue(s.skipIfDone(), line);
      String output = s.root().getString("hunmin." + args[0] + ".output");
      assertTrue(output.startsWith("/data/hunmin work/"), line);
    }
  }
}
