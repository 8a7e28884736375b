package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The path a user's cluster takes, on one machine: submit/standalone-cluster.sh starts a standalone master and two
 * workers from the project's jars (target/lib, no Spark download), and submit/spark-submit.sh runs the pipeline
 * through SparkSubmit with the cluster jar, pretrain as two replicas on the two workers' executors. Runs after
 * package (failsafe), since it needs the packaged jars.
 */
class StandaloneClusterIT {
  @TempDir Path tmp;

  private final Path root = Path.of(System.getProperty("hunmin.root", "..")).toAbsolutePath().normalize();

  record Run(int exit, String out, String err, double seconds) {}

  /** Runs a script of submit/ with output to files (no pipe to fill), killed after the limit. */
  private Run script(Map<String, String> env, long limitSeconds, String... command) throws IOException, InterruptedException {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().remove("SPARK_HOME");  // the project's own jars, not an installation
    pb.environment().putAll(env);
    long started = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(limitSeconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor();
    }
    return new Run(p.isAlive() ? -1 : p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8), (System.nanoTime() - started) / 1e9);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String tail(String s) {
    return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
  }

  @Test
  void thePipelineRunsOnAStandaloneMasterAndTwoWorkersThroughSparkSubmitAndARerunIsSkipped() throws Exception {
    int port = freePort();
    Map<String, String> env = Map.of("HUNMIN_CLUSTER_DIR", tmp.resolve("cluster").toString(), "HUNMIN_MASTER_PORT", Integer.toString(port),
        "HUNMIN_WORKERS", "2", "HUNMIN_WORKER_CORES", "1", "HUNMIN_WORKER_MEMORY", "1536m",
        // one-core executors of 1 GB; the profile's sizes are for real clusters
        "HUNMIN_SUBMIT_OPTS", "--master spark://127.0.0.1:" + port
            + " --conf spark.executor.memory=1g --conf spark.executor.cores=1 --conf spark.task.cpus=1",
        "HUNMIN_DRIVER_MEMORY", "1g");
    Path work = tmp.resolve("work");
    List<String> pipeline = new ArrayList<>(List.of("submit/spark-submit.sh", "pipeline", "--work", work.toString(),
        "--pretrain-steps", "20", "--set", "pretrain.workers=2", "--set", "vocab.refinements=1"));
    try {
      Run start = script(env, 120, "submit/standalone-cluster.sh", "start");
      assertEquals(0, start.exit(), start.err());
      assertEquals("spark://127.0.0.1:" + port, start.out().trim());

      Run first = script(env, 480, pipeline.toArray(new String[0]));
      assertEquals(0, first.exit(), tail(first.err()));
      System.out.printf("pipeline on the standalone cluster: %.1f s%n", first.seconds());
      for (String stage : List.of("clean", "vocab", "nsp", "pretrain")) {
        assertTrue(Files.exists(work.resolve(stage).resolve("_SUCCESS")), stage + " has no _SUCCESS");
      }
      assertTrue(Files.exists(work.resolve("_SUCCESS")), "the pipeline's work directory has no _SUCCESS");
      JsonNode pretrain = new ObjectMapper().readTree(work.resolve("pretrain/_REPORT.json").toFile());
      assertEquals("spark://127.0.0.1:" + port, pretrain.get("master").asText());
      assertEquals(2, pretrain.get("workers").asInt());
      assertEquals(20, pretrain.get("steps").asInt());
      assertFalse(Files.readString(work.resolve("fill-mask.jsonl")).isBlank());

      // the same pipeline again, as a scheduler's rerun: done, so nothing runs
      List<String> again = new ArrayList<>(pipeline);
      again.add("--skip-if-done");
      Run skipped = script(env, 120, again.toArray(new String[0]));
      assertEquals(0, skipped.exit(), tail(skipped.err()));
      assertTrue(skipped.out().startsWith("pipeline: skipped: "), skipped.out());
      System.out.printf("rerun skipped: %.1f s%n", skipped.seconds());

      // other probes: the pipeline runs again (--overwrite), but its done stages, pretrain too, are skipped
      FileTime trained = Files.getLastModifiedTime(work.resolve("pretrain/_SUCCESS"));
      again.addAll(List.of("--overwrite", "--probes", "한국의 수도는 [MASK]이다."));
      Run changed = script(env, 240, again.toArray(new String[0]));
      assertEquals(0, changed.exit(), tail(changed.err()));
      assertEquals(trained, Files.getLastModifiedTime(work.resolve("pretrain/_SUCCESS")), "pretrain ran again");
      assertTrue(Files.readString(work.resolve("fill-mask.jsonl"), StandardCharsets.UTF_8).contains("수도"));
      System.out.printf("rerun with other probes: %.1f s%n", changed.seconds());
    } finally {
      Run stop = script(env, 60, "submit/standalone-cluster.sh", "stop");
      assertEquals(0, stop.exit(), stop.err());
    }
  }
}
