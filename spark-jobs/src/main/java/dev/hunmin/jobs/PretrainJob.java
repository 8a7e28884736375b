package dev.hunmin.jobs;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hunmin.model.BertConfig;
import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.train.Batch;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code hunmin pretrain}: NSP shards → BertForPreTraining on --workers data-parallel replicas (a Spark barrier
 * stage; CPU or GPU each). The driver checks the shards and the model, runs the stage and writes _REPORT.json and
 * _SUCCESS; the replicas (rank 0) write checkpoints/step-N (atomically, the newest save-total-limit kept),
 * metrics.jsonl and final/ in Hugging Face's layout. With --resume, or when Spark retries a failed stage, training
 * continues from the newest complete checkpoint with the same data position and random state, ending with the
 * weights an uninterrupted run would have.
 */
final class PretrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(PretrainJob.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** What an interrupted run leaves in its output: training writes its checkpoints in place (see prepareOutput). */
  static final List<String> FOOTPRINTS = List.of("checkpoints", "metrics.jsonl");

  private PretrainJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws Exception {
    long started = System.nanoTime();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<String> files = Shards.files(spark, s.requiredString("input"));
    Path vocabDir = new Path(s.requiredString("vocab"));
    WordPieceTokenizer tokenizer = Tokenizers.load(conf, vocabDir.toString());
    requireShardsVocabulary(conf, s.requiredString("input"), tokenizer, vocabDir);
    Map<String, String> tokenizerFiles = ModelFiles.tokenizerFiles(conf, vocabDir);
    PretrainReplica.trainerSettings(s);
    s.integer("allreduce-timeout-seconds", 1);

    List<String> train = new ArrayList<>(files);
    String validation = files.size() >= 2 && s.bool("hold-out-last-shard") ? train.remove(train.size() - 1) : null;
    int workers = s.integer("workers");
    if (workers < 1) throw new HunminException("--workers must be at least 1, not " + workers);
    if (train.size() < workers) {
      throw new HunminException("--workers " + workers + " needs at least " + workers + " training shards (each replica reads its own); "
          + s.requiredString("input") + " has " + train.size() + (validation == null ? "" : " besides the validation shard"));
    }
    device(s.string("device"));
    // everything is checked before the output is touched: a bad run leaves an old output as it was
    Path output = outputPath(conf, s);
    boolean resumes = resumes(conf, s, output);
    if (resumes) requireSameRun(conf, s, output);
    BertConfig config = modelConfig(conf, s, resumes ? output : null, tokenizer.vocabSize());
    Map<String, Long> shardRows = Shards.validate(spark, files, tokenizer.vocabSize(), config.maxPositionEmbeddings());
    long rows = shardRows.values().stream().mapToLong(Long::longValue).sum();
    int[] vocab = IntStream.concat(IntStream.of(tokenizer.id("[PAD]"), tokenizer.id("[MASK]"), tokenizer.vocabSize()),
        WordPieceTokenizer.SPECIAL_TOKENS.stream().mapToInt(tokenizer::id).filter(i -> i >= 0)).toArray();
    PretrainReplica.Plan plan = new PretrainReplica.Plan(s, output.toString(), train, validation, config, tokenizerFiles, vocab,
        ShippedConf.of(conf));
    requireRowsPerReplica(plan, shardRows, workers);
    prepareOutput(conf, s, output);

    PretrainReplica.Outcome outcome = DataParallel.train(spark, plan, workers, s.string("device"),
        Duration.ofSeconds(s.integer("allreduce-timeout-seconds")), s.bool("allreduce-bf16"));
    if (!outcome.finished()) {
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("summary", "stopped at step " + outcome.step() + " of " + s.integer("max-steps") + "; continue with --resume");
      return report;
    }
    List<Batch.Example> heldOut = validation == null ? List.of() : Shards.head(conf, validation, s.integer("eval-examples"));
    Map<String, Object> report = report(s, files, validation, rows, workers, spark.sparkContext().master(), outcome, heldOut, started);
    FileSystem fs = output.getFileSystem(conf);
    String fingerprint = Completion.fingerprint(s, conf);
    report.put("fingerprint", fingerprint);
    ModelFiles.writeText(fs, new Path(output, StageOutput.REPORT), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
    Completion.mark(fs, output, s.command(), fingerprint);
    return report;
  }

  /**
   * Shards whose nsp report records the vocabulary they were made with are trained only with that vocabulary: any
   * other of the same size would train the weights on ids that mean other tokens. Shards of other producers, or of
   * nsp runs before the fingerprint, carry none and are taken as they are.
   */
  private static void requireShardsVocabulary(Configuration conf, String input, WordPieceTokenizer tokenizer, Path vocabDir)
      throws IOException {
    Path dir = new Path(input);
    FileSystem fs = dir.getFileSystem(conf);
    Path report = new Path(Shards.outputOf(fs, dir), StageOutput.REPORT);
    if (!fs.exists(report)) return;
    JsonNode made;
    try (java.io.InputStream in = fs.open(report)) {
      made = new ObjectMapper().readTree(in);
    } catch (JsonProcessingException e) {
      return; // no report of Hunmin's: the shards are checked by their schema alone
    }
    String fingerprint = made.path("vocab_fingerprint").asText("");
    if (!fingerprint.isEmpty() && !fingerprint.equals(Tokenizers.fingerprint(tokenizer))) {
      throw new HunminException("--vocab " + vocabDir + " is not the vocabulary the shards in " + input + " were made with ("
          + made.path("vocab").asText("see its _REPORT.json") + ")");
    }
  }

  /**
   * Each replica streams its own shards epoch after epoch, so each needs a row: found here, not after the barrier
   * stage's retries have failed (and --overwrite has deleted the old output).
   */
  private static void requireRowsPerReplica(PretrainReplica.Plan plan, Map<String, Long> rows, int workers) {
    for (int rank = 0; rank < workers; rank++) {
      List<String> mine = plan.shards(rank, workers);
      if (mine.stream().mapToLong(rows::get).sum() > 0) continue;
      String whose = workers == 1 ? "the training shards" : "replica " + rank + "'s training shards";
      throw new HunminException(whose + " hold no rows: " + mine + (plan.validation() == null ? "" : " (the held-out last shard aside)"));
    }
  }

  /** The model's configuration: the checkpoint's when resuming, --init's, or the named size; its vocabulary must be the tokenizer's. */
  private static BertConfig modelConfig(Configuration conf, Settings s, Path resumed, int vocabSize) throws IOException {
    Path checkpoint = resumed == null ? null : ModelFiles.latestCheckpoint(conf, resumed);
    Path from = checkpoint != null ? checkpoint : s.string("init").isBlank() ? null : init(conf, s.string("init"));
    BertConfig config = from == null ? BertConfig.named(s.string("size"), vocabSize, s.integer("max-position-embeddings"))
        : ModelFiles.readConfig(conf, from);
    if (config.vocabSize() != vocabSize) {
      throw new HunminException("the model's vocabulary (" + config.vocabSize() + ") is not the tokenizer's (" + vocabSize + ")");
    }
    return config;
  }

  /** --init's directory, which must exist (else the message would be a missing config.json in it). */
  private static Path init(Configuration conf, String dir) throws IOException {
    Path init = new Path(dir);
    if (!init.getFileSystem(conf).exists(init)) throw new HunminException("--init: not found: " + dir);
    ModelFiles.requireFinished(conf, init); // an unfinished run's final/ may be half-written
    return init;
  }

  private static Path outputPath(Configuration conf, Settings s) throws IOException {
    Path output = StageOutput.writable(conf, s.requiredString("output"), s.bool("overwrite"), Completion.upstreamPaths(s),
        FOOTPRINTS.toArray(String[]::new));
    // hours of training are not given up by a rerun that forgot --resume
    Path checkpoint = s.bool("resume") || s.bool("overwrite") || output.getFileSystem(conf).exists(new Path(output, StageOutput.SUCCESS))
        ? null : ModelFiles.latestCheckpoint(conf, output);
    if (checkpoint != null) {
      throw new HunminException("output " + output + " holds the checkpoints of an interrupted run (newest: " + checkpoint.getName()
          + "): pass --resume to continue it, or --overwrite to start over");
    }
    return output;
  }

  /**
   * --resume continues the run its newest checkpoint belongs to: the same configuration (its fingerprint; the
   * output, --resume, --stop-at-step and --max-steps aside), not yet past --max-steps.
   */
  private static void requireSameRun(Configuration conf, Settings s, Path output) throws IOException {
    Path checkpoint = ModelFiles.latestCheckpoint(conf, output);
    if (checkpoint == null) return;
    JsonNode state = trainerState(conf, checkpoint);
    if (!state.path("step").canConvertToLong() || !state.path("step").isIntegralNumber()) {
      throw new HunminException(checkpoint + "/trainer_state.json has no step");
    }
    if (!isSameRun(conf, s, state)) {
      throw new HunminException("--resume: " + checkpoint + " was made with another configuration (the input, the vocabulary"
          + " or a setting other than --max-steps changed); resume it as it was, or start over without --resume");
    }
    if (state.path("step").asLong() > s.integer("max-steps")) {
      throw new HunminException("--resume: " + checkpoint + " is past --max-steps " + s.integer("max-steps"));
    }
  }

  /**
   * Whether the newest checkpoint of an incomplete output was made by this configuration (--max-steps aside), so
   * that --resume would continue it; null when there is none (or the output is complete).
   */
  static Boolean interruptedRunIsThis(Configuration conf, Settings s) throws IOException {
    Path output = new Path(s.requiredString("output"));
    if (output.getFileSystem(conf).exists(new Path(output, StageOutput.SUCCESS))) return null;
    Path checkpoint = ModelFiles.latestCheckpoint(conf, output);
    return checkpoint == null ? null : isSameRun(conf, s, trainerState(conf, checkpoint));
  }

  /** A checkpoint's run is this one's when its recorded fingerprint matches (checkpoints older than it record none). */
  private static boolean isSameRun(Configuration conf, Settings s, JsonNode state) {
    String made = state.path("run_fingerprint").asText("");
    return made.isEmpty() || made.equals(PretrainReplica.runFingerprint(s, conf));
  }

  private static JsonNode trainerState(Configuration conf, Path checkpoint) throws IOException {
    try {
      return JSON.readTree(ModelFiles.readText(checkpoint.getFileSystem(conf), new Path(checkpoint, "trainer_state.json")));
    } catch (JsonProcessingException e) {
      throw new HunminException("malformed " + checkpoint + "/trainer_state.json: " + e.getOriginalMessage());
    }
  }

  /** Whether the run continues the incomplete output's checkpoints (--resume), rather than replacing it. */
  private static boolean resumes(Configuration conf, Settings s, Path output) throws IOException {
    return s.bool("resume") && !output.getFileSystem(conf).exists(new Path(output, StageOutput.SUCCESS));
  }

  /**
   * A complete output is replaced (--overwrite, checked in {@link #outputPath}); an incomplete one is resumed
   * (--resume) or replaced. Training writes its checkpoints in place, so that --resume finds them.
   */
  private static void prepareOutput(Configuration conf, Settings s, Path output) throws IOException {
    FileSystem fs = output.getFileSystem(conf);
    if (fs.exists(new Path(output, StageOutput.SUCCESS))) {
      fs.delete(output, true);
    } else if (fs.exists(output) && !s.bool("resume")) {
      LOG.info("replacing the incomplete output {}", output);
      fs.delete(output, true);
    }
    fs.mkdirs(output);
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

  private static Map<String, Object> report(Settings s, List<String> files, String validation, long rows, int workers,
      String master, PretrainReplica.Outcome outcome, List<Batch.Example> heldOut, long started) throws IOException {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("stage", "pretrain");
    r.put("shards", files);
    r.put("validation_shard", validation);
    r.put("examples", rows);
    r.put("workers", workers);
    r.put("master", master);
    r.put("steps", outcome.step());
    List<String> metrics = outcome.metrics();
    if (!metrics.isEmpty()) r.put("last", JSON.readTree(metrics.get(metrics.size() - 1)));
    r.put("unigram_baseline_accuracy", unigramBaseline(heldOut));
    r.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
    r.put("config", s.section());
    r.put("summary", String.format("%d steps on %d worker%s; final model in %s", outcome.step(), workers, workers == 1 ? "" : "s",
        new Path(s.requiredString("output"), "final")));
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
