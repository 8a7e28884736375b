package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hunmin.model.SafeTensors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pretrain --workers 2 as a barrier stage: replicas in one JVM (local mode) and in two executor JVMs (Spark's
 * local-cluster: a standalone master and workers launching real executor processes) train identical weights, and
 * a killed executor fails the stage, which Spark retries from the newest checkpoint to the same end.
 */
class DistributedPretrainTest {
  @TempDir static Path tmp;
  static Path vocab;
  static Path nsp;

  /** Two single-core executors of 1.5 GB, in their own JVMs. */
  private static final String CLUSTER = "local-cluster[2,1,1536]";

  @BeforeAll
  static void shards() throws IOException {
    Path[] stages = Hunmin.sampleShards(tmp);
    vocab = stages[0];
    nsp = stages[1];
    Files.createDirectories(Path.of(System.getenv("SPARK_HOME"), "jars"));
  }

  private static Hunmin.Result pretrain(Path out, String master, long steps) {
    List<String> args = new ArrayList<>(List.of("pretrain", "--input", nsp.toString(), "--vocab", vocab.toString(),
        "--output", out.toString(), "--workers", "2", "--master", master, "--max-steps", Long.toString(steps),
        "--batch-size", "4", "--gradient-accumulation", "2", "--max-position-embeddings", "64", "--warmup-steps", "2",
        "--learning-rate", "1e-3", "--adam-epsilon", "1e-4", "--save-every", "4", "--eval-every", "4", "--eval-examples", "16", "--log-every", "1",
        "--set", "spark.conf.spark.executor.extraClassPath=" + System.getProperty("java.class.path"),
        "--set", "spark.conf.spark.executor.extraJavaOptions=-Dai.djl.offline=true",
        "--set", "spark.conf.spark.executor.memory=1536m"));
    return Hunmin.run(args.toArray(new String[0]));
  }

  private static final long STEPS = 16;
  private static Path clusterRun;

  /** The uninterrupted run on two executor JVMs, shared by both tests. */
  private static synchronized Path clusterRun() {
    if (clusterRun == null) {
      Path out = tmp.resolve("cluster");
      Hunmin.Result r = pretrain(out, CLUSTER, STEPS);
      assertEquals(0, r.exit(), r.err());
      clusterRun = out;
    }
    return clusterRun;
  }

  @Test
  void replicasInSeparateExecutorJvmsTrainTheWeightsOfReplicasInOne() throws IOException {
    Path local = tmp.resolve("local");
    Hunmin.Result inOne = pretrain(local, "local[2]", STEPS);
    assertEquals(0, inOne.exit(), inOne.err());
    Path cluster = clusterRun();
    Map<String, SafeTensors.Tensor> a = weights(local);
    Map<String, SafeTensors.Tensor> b = weights(cluster);
    for (String name : a.keySet()) {
      float[] x = a.get(name).values();
      float[] y = b.get(name).values();
      for (int i = 0; i < x.length; i++) {
        assertTrue(Math.abs(x[i] - y[i]) <= 1e-7 + 1e-5 * Math.abs(y[i]), name + "[" + i + "]: " + x[i] + " vs " + y[i]);
      }
    }
    assertEquals(2, Hunmin.report(cluster).at("/workers").asInt());
    assertEquals(CLUSTER, Hunmin.report(cluster).at("/master").asText());
    assertEquals(STEPS, Files.readAllLines(cluster.resolve("metrics.jsonl")).size());
  }

  @Test
  void aKilledExecutorFailsTheStageAndTheRetryResumesFromTheNewestCheckpoint() throws Exception {
    Path whole = clusterRun();

    Path faulted = tmp.resolve("faulted");
    AtomicReference<String> killed = new AtomicReference<>();
    Thread killer = new Thread(() -> killAnExecutorAfter(faulted.resolve("checkpoints/step-8"), faulted.resolve("final"), killed));
    killer.setDaemon(true);
    killer.start();
    Hunmin.Result recovered = pretrain(faulted, CLUSTER, STEPS);
    killer.join(1000);
    assertEquals(0, recovered.exit(), recovered.err());
    assertTrue(killed.get() != null && killed.get().startsWith("killed"), "an executor was killed mid-run: " + killed.get());

    assertArrayEquals(Files.readAllBytes(whole.resolve("final/model.safetensors")),
        Files.readAllBytes(faulted.resolve("final/model.safetensors")), "the recovered run ends with the uninterrupted weights");
    List<String> a = Files.readAllLines(whole.resolve("metrics.jsonl"));
    List<String> b = Files.readAllLines(faulted.resolve("metrics.jsonl"));
    assertEquals(STEPS, b.size(), "one metrics line per step, none repeated");
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).replaceAll(",\"(sequences|tokens)_per_second\":[^,}]+", ""),
          b.get(i).replaceAll(",\"(sequences|tokens)_per_second\":[^,}]+", ""), "step " + (i + 1));
    }
  }

  private static Map<String, SafeTensors.Tensor> weights(Path run) throws IOException {
    try (InputStream in = Files.newInputStream(run.resolve("final/model.safetensors"))) {
      return SafeTensors.read(in);
    }
  }

  @Test
  void workersBeyondTheShardsOrTheSlotsAreClearErrors() {
    Hunmin.Result shards = Hunmin.run("pretrain", "--input", nsp.toString(), "--vocab", vocab.toString(),
        "--output", tmp.resolve("w3").toString(), "--workers", "3", "--master", "local[2]");
    assertEquals(2, shards.exit());
    assertTrue(shards.errorLine().contains("--workers 3 needs at least 3 training shards"), shards.errorLine());
    Hunmin.Result slots = Hunmin.run("pretrain", "--input", nsp.toString(), "--vocab", vocab.toString(),
        "--output", tmp.resolve("w2").toString(), "--workers", "2", "--master", "local[1]");
    assertEquals(2, slots.exit());
    assertTrue(slots.errorLine().contains("needs 2 task slots at once; the cluster offers 1"), slots.errorLine());
  }

  /** Waits for a checkpoint, then kills one executor JVM (SIGKILL), as a lost machine would end it. */
  private static void killAnExecutorAfter(Path checkpoint, Path finalModel, AtomicReference<String> outcome) {
    long deadline = System.currentTimeMillis() + 600_000;
    while (!Files.exists(checkpoint) && System.currentTimeMillis() < deadline) sleep(5);
    if (Files.exists(finalModel)) {
      outcome.set("too late: the run had finished");
      return;
    }
    // local-cluster's workers live in this JVM; the JVMs they launch are the executors
    Optional<ProcessHandle> executor = ProcessHandle.current().descendants()
        .filter(p -> p.info().command().orElse("").endsWith("/java")).findFirst();
    if (executor.isEmpty()) {
      outcome.set("no executor process found");
      return;
    }
    executor.get().destroyForcibly();
    outcome.set("killed " + executor.get().pid() + (Files.exists(finalModel) ? " (after final)" : ""));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
