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
    Process p = new ProcessBuilder("python3", "submit/airflow/check_dag.py", "--print")
        .directory(root.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
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
    }
  }
}
