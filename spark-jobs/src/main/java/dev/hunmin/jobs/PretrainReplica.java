package dev.hunmin.jobs;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hunmin.collective.Collective;
import dev.hunmin.model.Bert;
import dev.hunmin.model.BertConfig;
import dev.hunmin.train.Batch;
import dev.hunmin.train.Pretrainer;
import dev.hunmin.train.Schedule;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica of a pretrain run, as a barrier task runs it (or the only one). Every replica starts from the newest
 * complete checkpoint under the output when there is one (a --resume, or Spark retrying a failed stage), else from
 * --init or a fresh model; rank 0's weights are then broadcast. Each reads its own shards (round-robin by rank),
 * skipped to the checkpoint's position. Rank 0 alone evaluates, logs and writes checkpoints, metrics and final/.
 */
final class PretrainReplica {
  private static final Logger LOG = LoggerFactory.getLogger(PretrainReplica.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Everything a replica needs, shipped to the executors. */
  record Plan(Settings settings, String output, List<String> train, String validation, BertConfig config,
      Map<String, String> tokenizerFiles, int[] vocab, Map<String, String> hadoop) implements Serializable {
    Configuration hadoopConfiguration() {
      return ShippedConf.restore(hadoop);
    }

    /** Replica rank's shards of N: every N-th training shard. */
    List<String> shards(int rank, int replicas) {
      List<String> mine = new ArrayList<>();
      for (int i = rank; i < train.size(); i += replicas) mine.add(train.get(i));
      return mine;
    }
  }

  /** What rank 0 reports to the driver. */
  record Outcome(int rank, long step, boolean finished, List<String> metrics) implements Serializable {}

  private PretrainReplica() {}

  /**
   * What --resume compares with a checkpoint's: the configuration's fingerprint with --max-steps left out, which a
   * resumed run may change (the schedule then decays to the new end).
   */
  static String runFingerprint(Settings s, Configuration conf) {
    return Completion.fingerprint(s.forStage("pretrain", Map.of("max-steps", 0)), conf);
  }

  /** The training settings, each in its range; the driver calls this before it touches the output. */
  static Pretrainer.Settings trainerSettings(Settings s) {
    long maxSteps = s.integer("max-steps", 1);
    s.integer("stop-at-step", 0);
    for (String every : List.of("log-every", "eval-every", "save-every", "save-total-limit")) s.integer(every, 1);
    s.integer("eval-examples", 0);
    String precision = s.string("precision");
    if (!List.of("fp32", "fp16").contains(precision.trim().toLowerCase(java.util.Locale.ROOT))) {
      throw new HunminException("--precision must be fp32 or fp16, not '" + precision + "'");
    }
    return new Pretrainer.Settings(s.integer("batch-size", 1), s.integer("gradient-accumulation", 1), maxSteps,
        new Schedule(s.positive("learning-rate", 1e3), s.integer("warmup-steps", 0), maxSteps),
        s.number("weight-decay", 0, 1e3), s.positive("adam-epsilon", 1), s.number("max-grad-norm", 0, 1e9),
        s.positive("mlm-probability", 1), s.seed(), s.integer("log-every"), Pretrainer.Precision.of(precision));
  }

  static Outcome run(Plan plan, Collective collective, Device device) {
    Settings s = plan.settings();
    Configuration conf = plan.hadoopConfiguration();
    Path output = new Path(plan.output());
    boolean lead = collective.rank() == 0;
    Pretrainer.Settings settings = trainerSettings(s);
    long maxSteps = settings.maxSteps();
    long stopAt = s.integer("stop-at-step") > 0 ? s.integer("stop-at-step") : maxSteps;
    int[] v = plan.vocab();
    Batch.Vocab vocab = new Batch.Vocab(v[0], v[1], v[2], java.util.Arrays.copyOfRange(v, 3, v.length));
    LOG.info("replica {} of {} on {} (process {})", collective.rank(), collective.size(), device, ProcessHandle.current().pid());
    try (NDManager manager = NDManager.newBaseManager(device)) {
      Path checkpoint = ModelFiles.latestCheckpoint(conf, output);
      Bert bert = checkpoint != null ? ModelFiles.readHf(conf, checkpoint, manager)
          : !s.string("init").isBlank() ? ModelFiles.readHf(conf, new Path(s.string("init")), manager, s.seed()) // same heads on every replica
          : Bert.initialize(plan.config(), manager, s.seed());
      Pretrainer trainer = new Pretrainer(bert, vocab, settings, collective);
      List<String> metrics = new ArrayList<>();
      if (checkpoint != null) {
        JsonNode state = ModelFiles.restoreOptimizer(conf, checkpoint, trainer.optimizer(), manager);
        trainer.resumeAt(state.path("step").asLong());
        if (state.has("loss_scale")) {
          trainer.resumeLossScaling(new Pretrainer.LossScaling(state.path("loss_scale").asDouble(),
              state.path("loss_scale_clean_steps").asInt()));
        }
        if (lead) metrics.addAll(checkpointMetrics(conf, checkpoint));
        LOG.info("replica {} resuming at step {} from {}", collective.rank(), trainer.step(), checkpoint);
      }
      trainer.broadcastWeights();
      Iterator<Batch.Example> data = Shards.stream(conf, plan.shards(collective.rank(), collective.size()));
      for (long i = 0; i < trainer.step() * trainer.examplesPerStep(); i++) data.next(); // the same data order
      List<Batch.Example> heldOut = lead && plan.validation() != null
          ? Shards.head(conf, plan.validation(), s.integer("eval-examples")) : List.of();

      int logEvery = s.integer("log-every");
      String runFingerprint = lead ? runFingerprint(s, conf) : null; // what checkpoints record for --resume
      int evalEvery = s.integer("eval-every");
      int saveEvery = s.integer("save-every");
      trainer.train(data, stopAt, m -> {
        if (!lead) return;
        Map<String, Object> line = m.asMap();
        if (!heldOut.isEmpty() && (m.step() % evalEvery == 0 || m.step() == maxSteps)) {
          double[] eval = trainer.evaluate(heldOut);
          line.put("eval_mlm_loss", eval[0]);
          line.put("eval_mlm_accuracy", eval[1]);
        }
        if (m.step() % logEvery == 0 || line.containsKey("eval_mlm_loss")) {
          LOG.info("step {}: {}", m.step(), line);
          metrics.add(json(line));
        }
        if (m.step() % saveEvery == 0 || m.step() == stopAt) saveCheckpoint(conf, output, bert, trainer, plan, metrics, runFingerprint);
      });
      boolean finished = trainer.step() >= maxSteps;
      if (lead && finished) {
        ModelFiles.writeFinal(conf, output, bert, plan.tokenizerFiles());
        writeMetrics(conf, output, metrics);
      }
      return new Outcome(collective.rank(), trainer.step(), finished, lead ? metrics : List.of());
    } catch (IOException e) {
      throw new HunminException("pretrain replica " + collective.rank() + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  /** The metrics lines up to a checkpoint's step, which the checkpoint carries (written with it, atomically). */
  private static List<String> checkpointMetrics(Configuration conf, Path checkpoint) throws IOException {
    FileSystem fs = checkpoint.getFileSystem(conf);
    Path saved = new Path(checkpoint, "metrics.jsonl");
    if (!fs.exists(saved)) return List.of();
    return ModelFiles.readText(fs, saved).lines().filter(l -> !l.isBlank()).toList();
  }

  private static void saveCheckpoint(Configuration conf, Path output, Bert model, Pretrainer trainer, Plan plan, List<String> metrics,
      String runFingerprint) {
    Settings s = plan.settings();
    try {
      Map<String, Object> state = new LinkedHashMap<>();
      state.put("step", trainer.step());
      state.put("optimizer_step", trainer.optimizer().step());
      state.put("examples_seen", trainer.step() * trainer.examplesPerStep());
      state.put("seed", s.seed());
      state.put("run_fingerprint", runFingerprint);
      Pretrainer.LossScaling scaling = trainer.lossScaling();
      if (scaling != null) {
        state.put("loss_scale", scaling.scale());
        state.put("loss_scale_clean_steps", scaling.cleanSteps());
      }
      Map<String, String> files = new LinkedHashMap<>(plan.tokenizerFiles());
      files.put("metrics.jsonl", String.join("\n", metrics) + (metrics.isEmpty() ? "" : "\n"));
      ModelFiles.writeCheckpoint(conf, output, trainer.step(), model, trainer.optimizer(), files, state,
          s.integer("save-total-limit"));
      writeMetrics(conf, output, metrics);
    } catch (IOException e) {
      throw new HunminException("cannot write a checkpoint under " + output + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  /** metrics.jsonl is rewritten whole at each checkpoint (object stores cannot append); resuming reads the checkpoint's copy. */
  private static void writeMetrics(Configuration conf, Path output, List<String> metrics) throws IOException {
    FileSystem fs = output.getFileSystem(conf);
    ModelFiles.writeText(fs, new Path(output, "metrics.jsonl"), String.join("\n", metrics) + (metrics.isEmpty() ? "" : "\n"));
  }

  private static String json(Map<String, Object> line) {
    try {
      return JSON.writeValueAsString(line);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
