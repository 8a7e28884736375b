package dev.hunmin.jobs;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hunmin.model.Bert;
import dev.hunmin.model.BertConfig;
import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.train.Batch;
import dev.hunmin.train.Pretrainer;
import dev.hunmin.train.Schedule;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code hunmin pretrain}: NSP shards → BertForPreTraining, one replica on the driver (CPU, or a GPU). Writes
 * checkpoints/step-N (atomically, the newest save-total-limit kept), metrics.jsonl, final/ in Hugging Face's layout,
 * _REPORT.json and _SUCCESS. With --resume it continues from the newest complete checkpoint with the same data
 * position and random state, ending with the weights an uninterrupted run would have.
 */
final class PretrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(PretrainJob.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private PretrainJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws Exception {
    long started = System.nanoTime();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<String> files = Shards.files(spark, s.requiredString("input"));
    Path vocabDir = new Path(s.requiredString("vocab"));
    WordPieceTokenizer tokenizer = Tokenizers.load(conf, vocabDir.toString());
    Map<String, String> tokenizerFiles = ModelFiles.tokenizerFiles(conf, vocabDir);
    Path output = prepareOutput(conf, s);

    List<String> train = new ArrayList<>(files);
    String validation = files.size() >= 2 && s.bool("hold-out-last-shard") ? train.remove(train.size() - 1) : null;
    Device device = device(s.string("device"));
    long maxSteps = s.integer("max-steps");
    Pretrainer.Settings settings = new Pretrainer.Settings(s.integer("batch-size"), s.integer("gradient-accumulation"),
        maxSteps, new Schedule(s.number("learning-rate"), s.integer("warmup-steps"), maxSteps), s.number("weight-decay"),
        s.number("adam-epsilon"), s.number("max-grad-norm"), s.number("mlm-probability"), s.seed(), s.integer("log-every"));
    Batch.Vocab vocab = new Batch.Vocab(tokenizer.id("[PAD]"), tokenizer.id("[MASK]"), tokenizer.vocabSize(),
        WordPieceTokenizer.SPECIAL_TOKENS.stream().mapToInt(tokenizer::id).filter(i -> i >= 0).toArray());

    try (NDManager manager = NDManager.newBaseManager(device)) {
      Path checkpoint = s.bool("resume") ? ModelFiles.latestCheckpoint(conf, output) : null;
      Bert bert;
      if (checkpoint != null) bert = ModelFiles.readHf(conf, checkpoint, manager);
      else if (!s.string("init").isBlank()) bert = ModelFiles.readHf(conf, new Path(s.string("init")), manager);
      else bert = Bert.initialize(BertConfig.named(s.string("size"), tokenizer.vocabSize(), s.integer("max-position-embeddings")), manager, s.seed());
      if (bert.config().vocabSize() != tokenizer.vocabSize()) {
        throw new HunminException("the model's vocabulary (" + bert.config().vocabSize() + ") is not the tokenizer's (" + tokenizer.vocabSize() + ")");
      }
      long rows = Shards.validate(spark, files, tokenizer.vocabSize(), bert.config().maxPositionEmbeddings());
      Pretrainer trainer = new Pretrainer(bert, vocab, settings);
      List<String> metrics = new ArrayList<>();
      if (checkpoint != null) {
        JsonNode state = ModelFiles.restoreOptimizer(conf, checkpoint, trainer.optimizer(), manager);
        trainer.resumeAt(state.path("step").asLong());
        FileSystem fs = output.getFileSystem(conf);
        Path old = new Path(output, "metrics.jsonl");
        if (fs.exists(old)) {
          for (String line : ModelFiles.readText(fs, old).split("\n")) {
            if (!line.isBlank() && JSON.readTree(line).path("step").asLong() <= trainer.step()) metrics.add(line);
          }
        }
        LOG.info("resuming at step {} from {}", trainer.step(), checkpoint);
      }
      Iterator<Batch.Example> data = Shards.stream(spark, train);
      for (long i = 0; i < trainer.step() * trainer.examplesPerStep(); i++) data.next(); // the same data order
      List<Batch.Example> heldOut = validation == null ? List.of() : Shards.head(spark, validation, s.integer("eval-examples"));

      int logEvery = s.integer("log-every");
      int evalEvery = s.integer("eval-every");
      int saveEvery = s.integer("save-every");
      long stopAt = s.integer("stop-at-step") > 0 ? s.integer("stop-at-step") : maxSteps;
      Bert model = bert;
      trainer.train(data, stopAt, m -> {
        Map<String, Object> line = m.asMap();
        if (!heldOut.isEmpty() && (m.step() % evalEvery == 0 || m.step() == maxSteps)) evaluation(trainer, heldOut, line);
        if (m.step() % logEvery == 0 || line.containsKey("eval_mlm_loss")) {
          LOG.info("step {}: {}", m.step(), line);
          metrics.add(json(line));
        }
        if (m.step() % saveEvery == 0 || m.step() == stopAt) {
          saveCheckpoint(conf, output, model, trainer, tokenizerFiles, metrics, s);
        }
      });
      if (trainer.step() < maxSteps) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("summary", "stopped at step " + trainer.step() + " of " + maxSteps + "; continue with --resume");
        return report;
      }
      ModelFiles.writeHf(conf, new Path(output, "final"), model, tokenizerFiles);
      writeMetrics(conf, output, metrics);
      Map<String, Object> report = report(s, files, validation, rows, trainer, heldOut, metrics, started);
      FileSystem fs = output.getFileSystem(conf);
      ModelFiles.writeText(fs, new Path(output, StageOutput.REPORT), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
      fs.create(new Path(output, StageOutput.SUCCESS), true).close();
      return report;
    }
  }

  /** An existing complete output is refused unless --overwrite; an incomplete one is resumed (--resume) or replaced. */
  private static Path prepareOutput(Configuration conf, Settings s) throws IOException {
    Path output = new Path(s.requiredString("output"));
    FileSystem fs = output.getFileSystem(conf);
    output = fs.makeQualified(output);
    if (fs.exists(new Path(output, StageOutput.SUCCESS))) {
      if (!s.bool("overwrite")) throw new HunminException("output exists: " + output + " (pass --overwrite to replace it)");
      fs.delete(output, true);
    } else if (fs.exists(output) && !s.bool("resume")) {
      LOG.info("replacing the incomplete output {} (pass --resume to continue it)", output);
      fs.delete(output, true);
    }
    fs.mkdirs(output);
    return output;
  }

  static Device device(String name) {
    return switch (name) {
      case "cpu" -> Device.cpu();
      case "gpu" -> {
        if (Engine.getInstance().getGpuCount() == 0) {
          throw new HunminException("--device gpu, but PyTorch sees no GPU (CUDA libtorch through PYTORCH_LIBRARY_PATH?)");
        }
        yield Device.gpu();
      }
      default -> throw new HunminException("--device must be cpu or gpu, not '" + name + "'");
    };
  }

  private static void evaluation(Pretrainer trainer, List<Batch.Example> heldOut, Map<String, Object> line) {
    double[] eval = trainer.evaluate(heldOut);
    line.put("eval_mlm_loss", eval[0]);
    line.put("eval_mlm_accuracy", eval[1]);
  }

  private static void saveCheckpoint(Configuration conf, Path output, Bert model, Pretrainer trainer,
      Map<String, String> tokenizerFiles, List<String> metrics, Settings s) {
    try {
      Map<String, Object> state = new LinkedHashMap<>();
      state.put("step", trainer.step());
      state.put("optimizer_step", trainer.optimizer().step());
      state.put("examples_seen", trainer.step() * trainer.examplesPerStep());
      state.put("seed", s.seed());
      ModelFiles.writeCheckpoint(conf, output, trainer.step(), model, trainer.optimizer(), tokenizerFiles, state,
          s.integer("save-total-limit"));
      writeMetrics(conf, output, metrics);
    } catch (IOException e) {
      throw new HunminException("cannot write a checkpoint under " + output + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  /** metrics.jsonl is rewritten whole at each checkpoint (object stores cannot append). */
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

  private static Map<String, Object> report(Settings s, List<String> files, String validation, long rows, Pretrainer trainer,
      List<Batch.Example> heldOut, List<String> metrics, long started) throws IOException {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("stage", "pretrain");
    r.put("shards", files);
    r.put("validation_shard", validation);
    r.put("examples", rows);
    r.put("steps", trainer.step());
    if (!metrics.isEmpty()) r.put("last", JSON.readTree(metrics.get(metrics.size() - 1)));
    r.put("unigram_baseline_accuracy", unigramBaseline(heldOut));
    r.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
    r.put("config", s.section());
    r.put("summary", String.format("%d steps; final model in %s", trainer.step(), new Path(s.requiredString("output"), "final")));
    return r;
  }

  /** MLM accuracy of always guessing the most frequent non-special token of the held-out examples. */
  static double unigramBaseline(List<Batch.Example> heldOut) {
    Map<Integer, Long> counts = new java.util.HashMap<>();
    long total = 0;
    for (Batch.Example e : heldOut) {
      for (int id : e.inputIds()) {
        if (id < WordPieceTokenizer.SPECIAL_TOKENS.size()) continue;
        counts.merge(id, 1L, Long::sum);
        total++;
      }
    }
    return total == 0 ? 0 : (double) counts.values().stream().mapToLong(Long::longValue).max().orElse(0) / total;
  }
}
