package dev.hunmin.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hunmin.util.HunminException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * {@code hunmin pipeline}: clean → vocab → nsp → pretrain (a tiny model) → fill-mask probes, under one work
 * directory, on the embedded sample by default.
 * Each stage is the same job its own command runs, with its input and output set from the work directory.
 */
final class PipelineJob {
  /** Stage keys the pipeline sets itself, each with the pipeline flag that decides it ("" : the work directory). */
  private static final Map<String, String> SET_BY_PIPELINE = new java.util.TreeMap<>(Map.ofEntries(
      Map.entry("clean.input", "--input"), Map.entry("clean.format", "--format"),
      Map.entry("clean.text-format", "--text-format"), Map.entry("clean.jsonl-field", "--jsonl-field"),
      Map.entry("clean.tsv-column", "--tsv-column"), Map.entry("clean.parquet-column", "--parquet-column"),
      Map.entry("nsp.vocab", "--vocab"), Map.entry("pretrain.vocab", "--vocab"),
      Map.entry("pretrain.max-steps", "--pretrain-steps"), Map.entry("pretrain.batch-size", "--pretrain-batch-size"),
      Map.entry("pretrain.learning-rate", "--pretrain-learning-rate"), Map.entry("pretrain.warmup-steps", "--pretrain-steps"),
      Map.entry("pretrain.eval-every", "--pretrain-steps"), Map.entry("pretrain.save-every", "--pretrain-save-every"),
      Map.entry("fill-mask.input", "--probes"), Map.entry("fill-mask.text", "--probes"), Map.entry("fill-mask.model", ""),
      Map.entry("vocab.input", ""), Map.entry("nsp.input", ""), Map.entry("pretrain.input", ""),
      Map.entry("clean.output", ""), Map.entry("vocab.output", ""), Map.entry("nsp.output", ""),
      Map.entry("pretrain.output", ""), Map.entry("fill-mask.output", ""),
      Map.entry("clean.overwrite", "--overwrite"), Map.entry("vocab.overwrite", "--overwrite"),
      Map.entry("nsp.overwrite", "--overwrite"), Map.entry("pretrain.overwrite", "--overwrite")));

  private PipelineJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws Exception {
    // qualified (file:/…, s3a://…), so the stages' reports name paths that resolve from anywhere
    Path workPath = new Path(s.requiredString("work"));
    String work = workPath.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(workPath).toString();
    boolean overwrite = s.bool("overwrite");
    Map<String, Object> stages = new LinkedHashMap<>();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    // what the stages will read and the pipeline's own settings are checked before the work directory is touched
    List<String> files = s.list("input").stream().filter(i -> !i.equals("sample")).toList();
    if (!files.isEmpty()) RawInputs.expand(conf, files, s.string("format"));
    String givenVocab = s.string("vocab").isBlank() ? null : StageOutput.requireComplete(conf, s.string("vocab"), "vocab").toString();
    int steps = s.integer("pretrain-steps", 1);
    int batchSize = s.integer("pretrain-batch-size", 1);
    double learningRate = s.positive("pretrain-learning-rate", 1e3);
    int saveEvery = s.integer("pretrain-save-every", 1);
    for (String probe : s.list("probes")) {
      if (!probe.contains("[MASK]")) throw new HunminException("--probes: '" + probe + "' has no [MASK]");
    }
    requireNotSetByPipeline(s);
    Path marker = new Path(work, StageOutput.SUCCESS);
    // a finished directory (this pipeline's, or another command's output) is replaced only when asked, as a stage's
    if (!overwrite && marker.getFileSystem(conf).exists(marker)) {
      throw new HunminException("output exists: " + work + " (pass --overwrite to replace it)");
    }
    // the work directory is marked done only when every stage is; a run that fails leaves it unmarked
    marker.getFileSystem(conf).delete(marker, false);

    Map<String, Object> clean = stage(s.list("input"), work, "clean", overwrite);
    for (String key : new String[] {"format", "text-format", "jsonl-field", "tsv-column", "parquet-column"}) {
      clean.put(key, s.string(key));
    }
    stages.put("clean", stage(spark, s.forStage("clean", clean), CleanJob::run));

    // a vocabulary given (one learned elsewhere, shared by several runs) is used as it is
    Map<String, Object> vocab = stage(clean.get("output"), work, "vocab", overwrite);
    if (givenVocab == null) stages.put("vocab", stage(spark, s.forStage("vocab", vocab), VocabJob::run));
    else vocab.put("output", givenVocab);

    Map<String, Object> nsp = stage(clean.get("output"), work, "nsp", overwrite);
    nsp.put("vocab", vocab.get("output"));
    stages.put("nsp", stage(spark, s.forStage("nsp", nsp), NspJob::run));

    Map<String, Object> pretrain = stage(nsp.get("output"), work, "pretrain", overwrite);
    pretrain.put("vocab", vocab.get("output"));
    pretrain.put("max-steps", steps);
    pretrain.put("batch-size", batchSize);
    pretrain.put("learning-rate", learningRate);
    pretrain.put("warmup-steps", steps / 10);
    pretrain.put("eval-every", Math.max(1, steps / 5));
    pretrain.put("save-every", saveEvery);
    stages.put("pretrain", stage(spark, resumable(conf, s.forStage("pretrain", pretrain)), PretrainJob::run));
    // --set pretrain.stop-at-step: no final model to probe yet; the work directory stays unfinished
    Path pretrained = new Path(pretrain.get("output").toString(), StageOutput.SUCCESS);
    if (!pretrained.getFileSystem(conf).exists(pretrained)) {
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("summary", "pretrain stopped early (pretrain.stop-at-step) at " + ModelFiles.latestCheckpoint(conf, pretrained.getParent())
          + "; the pipeline continues from there with --skip-if-done");
      return report;
    }

    Map<String, Object> fill = new LinkedHashMap<>();
    Path probes = new Path(work, "probes.txt");
    ModelFiles.writeText(probes.getFileSystem(spark.sparkContext().hadoopConfiguration()), probes,
        String.join("\n", s.list("probes")) + "\n");
    fill.put("model", new Path(new Path(work, "pretrain"), "final").toString());
    fill.put("input", probes.toString());
    fill.put("output", new Path(work, "fill-mask.jsonl").toString());
    stages.put("fill-mask", FillMaskJob.run(spark, s.forStage("fill-mask", fill)).get("summary"));

    String fingerprint = Completion.fingerprint(s, conf);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("stage", "pipeline");
    report.put("work", work);
    report.put("stages", stages);
    report.put("fingerprint", fingerprint);
    ModelFiles.writeText(marker.getFileSystem(conf), new Path(work, StageOutput.REPORT),
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
    Completion.mark(marker.getFileSystem(conf), new Path(work), "pipeline", fingerprint);
    report.put("summary", "stages done under " + work + ": " + String.join(", ", stages.keySet()));
    return report;
  }

  /** A stage key the pipeline sets itself would be ignored (and yet change the fingerprint): an error instead. */
  private static void requireNotSetByPipeline(Settings s) {
    com.typesafe.config.Config defaults = Settings.defaults();
    SET_BY_PIPELINE.forEach((key, flag) -> {
      String path = "hunmin." + key;
      if (!s.root().getValue(path).equals(defaults.getValue(path))) {
        throw new HunminException(path + " is set by the pipeline itself"
            + (flag.isEmpty() ? ", from --work" : " (from " + flag + ")"));
      }
    });
  }

  /**
   * The pipeline has no --resume: with --skip-if-done its pretrain continues an interrupted run of the same
   * configuration from the newest checkpoint, as pretrain --resume does; the checkpoints of another configuration
   * are refused (kept) unless --overwrite. Without --skip-if-done a rerun is pointed to it rather than to --resume.
   */
  private static Settings resumable(Configuration conf, Settings pretrain) throws java.io.IOException {
    Boolean same = PretrainJob.interruptedRunIsThis(conf, pretrain);
    if (same == null || pretrain.bool("resume")) return pretrain; // none, or --set pretrain.resume=true: pretrain's rules
    if (same && pretrain.skipIfDone()) return pretrain.forStage("pretrain", Map.of("resume", true));
    if (pretrain.bool("overwrite")) return pretrain; // starts over
    throw new HunminException("output " + pretrain.requiredString("output") + " holds the checkpoints of an interrupted pretrain"
        + (same ? ": pass --skip-if-done to continue it, or --overwrite to start over"
            : " of another configuration: pass --overwrite to start it over (with --skip-if-done, the finished stages are kept)"));
  }

  /** Runs a stage, or with --skip-if-done leaves it when its output is done with the same configuration. */
  private static Object stage(SparkSession spark, Settings stage, Main.Job job) throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    if (Completion.decide(stage, conf) == Completion.Decision.SKIP) return Completion.skipped(stage, conf);
    // a finished stage of an interrupted pipeline: the stage's own hint (--overwrite) would start everything over
    Path done = new Path(stage.requiredString("output"), StageOutput.SUCCESS);
    if (!stage.skipIfDone() && !stage.bool("overwrite") && done.getFileSystem(conf).exists(done)) {
      throw new HunminException("output exists: " + done.getParent() + " (a finished stage of an earlier pipeline run: pass"
          + " --skip-if-done to keep the finished stages and continue, or --overwrite to rerun them all)");
    }
    return job.run(spark, stage).get("summary");
  }

  /** A stage's input, its output directory under work, and whether to replace an existing one. */
  private static Map<String, Object> stage(Object input, String work, String name, boolean overwrite) {
    Map<String, Object> keys = new LinkedHashMap<>();
    keys.put("input", input);
    keys.put("output", new Path(work, name).toString());
    keys.put("overwrite", overwrite);
    return keys;
  }
}
