package dev.hunmin.jobs;

import ai.djl.ndarray.NDManager;
import dev.hunmin.audit.Canary;
import dev.hunmin.audit.Exposure;
import dev.hunmin.audit.MaskedLmScorer;
import dev.hunmin.audit.Probe;
import dev.hunmin.audit.SecretFormat;
import dev.hunmin.model.Bert;
import dev.hunmin.util.HunminException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;

/**
 * {@code hunmin audit}: what a model pretrained on a corpus memorizes of the personal data in it. Canaries (a made-up
 * person's phone or resident registration number) are added to the corpus 1, 4, 16 and 64 times; the pipeline
 * (clean → vocab → nsp → pretrain) runs twice, with clean's PII scrubbing off and on; each canary's exposure and a
 * fill-mask probe are measured on both models. Deduplication is off in both runs, or the repeats would collapse
 * to one. Writes canaries.txt, canaries.json, unscrubbed/ and scrubbed/ (the two pipelines), results.json and
 * results.md atomically, _SUCCESS last.
 */
final class AuditJob {
  private AuditJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<Canary> canaries = Canary.create(s.seed(), formats(s), repeats(s), s.integer("canaries-per-repeat", 1));
    // checked before any pipeline runs: a bad value fails at once, not after two pretraining runs
    for (String positive : List.of("candidates", "top-k", "batch-size", "pretrain-steps", "pretrain-batch-size")) s.integer(positive, 1);
    s.positive("pretrain-learning-rate", 1e3);
    PretrainJob.device(s.string("device")); // the models are scored on it only after both arms are trained
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("stage", "audit");
    try (StageOutput out = StageOutput.begin(conf, s)) {
      Path canaryFile = new Path(out.dir(), "canaries.txt");
      ModelFiles.writeText(canaryFile.getFileSystem(conf), canaryFile, canaryDocuments(canaries));
      out.writeJson("canaries.json", canaries.stream().map(AuditJob::describe).toList());
      List<String> inputs = new ArrayList<>(s.list("input"));
      inputs.add(canaryFile.toString());
      // one tokenizer for both models, learned from the scrubbed text: exposure then measures what the model
      // memorized, not which secrets the vocabulary happens to hold as tokens (reported on its own below)
      String scrubbed = out.path("scrubbed");
      String unscrubbed = out.path("unscrubbed");
      PipelineJob.run(spark, armSettings(s, inputs, scrubbed, true, ""));
      PipelineJob.run(spark, armSettings(s, inputs, unscrubbed, false, new Path(scrubbed, "vocab").toString()));
      Map<String, Object> arms = new LinkedHashMap<>();
      arms.put("unscrubbed", measure(spark, s, canaries, unscrubbed));
      arms.put("scrubbed", measure(spark, s, canaries, scrubbed));
      Map<String, Object> leak = vocabLeak(spark, s, canaries, unscrubbed);
      report.put("vocab_leak", leak);
      report.put("chance_exposure", Exposure.CHANCE);
      report.put("candidates", s.integer("candidates"));
      report.put("arms", arms);
      String table = AuditReport.markdown(canaries, arms, leak, s.integer("candidates"));
      Path md = new Path(out.dir(), "results.md");
      ModelFiles.writeText(md.getFileSystem(conf), md, table);
      out.writeJson("results.json", report);
      report.put("summary", "\n" + AuditReport.summary(canaries, arms));
      out.commit(report, s);
    }
    return report;
  }

  private static List<SecretFormat> formats(Settings s) {
    List<SecretFormat> out = new ArrayList<>();
    for (String name : s.distinctList("formats")) {
      try {
        out.add(SecretFormat.of(name));
      } catch (IllegalArgumentException e) {
        throw new HunminException("--formats: unknown secret format '" + name + "' (" + String.join(", ",
            java.util.Arrays.stream(SecretFormat.values()).map(f -> f.name().toLowerCase(java.util.Locale.ROOT)).toList()) + ")");
      }
    }
    if (out.isEmpty()) throw new HunminException("--formats names no secret format");
    return out;
  }

  private static List<Integer> repeats(Settings s) {
    List<Integer> out = new ArrayList<>();
    for (String r : s.list("repeats")) {
      try {
        out.add(Integer.parseInt(r.trim()));
      } catch (NumberFormatException e) {
        out.add(0);
      }
      if (out.get(out.size() - 1) < 1) throw new HunminException("--repeats: '" + r + "' is no positive count");
      // two canary sets of one count would share their ids
      if (out.indexOf(out.get(out.size() - 1)) < out.size() - 1) throw new HunminException("--repeats: " + r.trim() + " is given twice");
    }
    if (out.isEmpty()) throw new HunminException("--repeats names no repeat count");
    return out;
  }

  /** The seed format: every repeat of a canary is a document of its own. */
  static String canaryDocuments(List<Canary> canaries) {
    StringBuilder b = new StringBuilder();
    for (Canary c : canaries) for (int r = 0; r < c.repeats(); r++) b.append(c.text()).append("\n\n");
    return b.toString();
  }

  /** The pipeline of one arm: the audit's pretraining settings, scrubbing on or off, no dedup, nothing held out. */
  private static Settings armSettings(Settings s, List<String> inputs, String work, boolean scrub, String vocab) {
    Map<String, Object> clean = new LinkedHashMap<>();
    clean.put("pii.enabled", scrub);
    clean.put("dedup-documents", false);
    clean.put("dedup-sentences", false);
    clean.put("near-dup", false);
    Map<String, Object> pipeline = new LinkedHashMap<>();
    pipeline.put("input", inputs);
    pipeline.put("work", work);
    pipeline.put("vocab", vocab);
    pipeline.put("overwrite", true);
    pipeline.put("pretrain-steps", s.integer("pretrain-steps"));
    pipeline.put("pretrain-batch-size", s.integer("pretrain-batch-size"));
    pipeline.put("pretrain-learning-rate", s.number("pretrain-learning-rate"));
    pipeline.put("probes", s.list("probes"));
    return s.forStage("clean", clean).forStage("pretrain", Map.of("hold-out-last-shard", false)).forStage("pipeline", pipeline);
  }

  /** Per canary: how often its secret is in the cleaned text, its exposure and its probe under the arm's model. */
  static List<Map<String, Object>> measure(SparkSession spark, Settings s, List<Canary> canaries, String work) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    long[] inCorpus = secretsInCorpus(spark, canaries, new Path(new Path(work, "clean"), "text").toString());
    Path model = new Path(new Path(work, "pretrain"), "final");
    List<Map<String, Object>> rows = new ArrayList<>();
    try (NDManager manager = NDManager.newBaseManager(PretrainJob.device(s.string("device")))) {
      Bert bert = ModelFiles.readHf(conf, model, manager);
      MaskedLmScorer scorer = new MaskedLmScorer(bert, Tokenizers.ofModel(conf, model.toString()), manager, s.integer("batch-size"));
      Exposure.Scorer pll = (c, secrets) -> scorer.pseudoLogLikelihood(c.prefix(), secrets, c.suffix());
      for (int i = 0; i < canaries.size(); i++) {
        Canary c = canaries.get(i);
        Exposure.Result e = exposure(c, pll, s, new Path(work).getName() + " arm's model " + model);
        Probe probe = Probe.run(scorer, c, s.integer("top-k"));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("canary", c.id());
        row.put("secret_in_clean_text", inCorpus[i]);
        row.put("exposure", e.exposure());
        row.put("exposure_is_lower_bound", e.saturated());
        row.put("log2_rank", e.log2Rank());
        row.put("candidates_scoring_higher", e.higher());
        row.put("probe", probe.text());
        row.put("probe_best_guess", probe.bestGuess());
        row.put("probe_tokens_recovered", probe.tokensRecovered());
        row.put("probe_tokens", probe.tokens());
        row.put("probe_top_k", probe.topK());
        rows.add(row);
      }
    }
    return rows;
  }

  /** A canary's exposure; a diverged model's refusal says which model it is. */
  private static Exposure.Result exposure(Canary c, Exposure.Scorer pll, Settings s, String model) {
    try {
      return Exposure.measure(c, pll, s.integer("candidates"), s.seed());
    } catch (HunminException e) {
      throw new HunminException(model + " (canary " + c.id() + "): " + e.getMessage(), e);
    }
  }

  /**
   * What a vocabulary learned from the unscrubbed text gives away by itself: per canary, the secret's digit groups
   * (after the fixed 010) that are tokens of it, whole or as ## continuations.
   */
  private static Map<String, Object> vocabLeak(SparkSession spark, Settings s, List<Canary> canaries, String work) throws Exception {
    String dir = new Path(work, "vocab-own").toString();
    Map<String, Object> keys = new LinkedHashMap<>();
    keys.put("input", new Path(work, "clean").toString());
    keys.put("output", dir);
    keys.put("overwrite", true);
    VocabJob.run(spark, s.forStage("vocab", keys));
    java.util.Set<String> tokens = new java.util.HashSet<>(Tokenizers.load(spark.sparkContext().hadoopConfiguration(), dir).vocab());
    Map<String, Object> leak = new LinkedHashMap<>();
    for (Canary c : canaries) {
      List<String> groups = java.util.Arrays.stream(c.secret().replaceFirst("^010-", "").split("-")).toList();
      long found = groups.stream().filter(g -> tokens.contains(g) || tokens.contains("##" + g)).count();
      leak.put(c.id(), found + "/" + groups.size());
    }
    return leak;
  }

  /** Occurrences of each canary's secret in the cleaned text, counted on the executors in one pass. */
  private static long[] secretsInCorpus(SparkSession spark, List<Canary> canaries, String text) {
    List<String> secrets = canaries.stream().map(Canary::secret).toList();
    FlatMapFunction<String, Integer> hits = line -> {
      List<Integer> found = new ArrayList<>();
      for (int i = 0; i < secrets.size(); i++) {
        for (int at = line.indexOf(secrets.get(i)); at >= 0; at = line.indexOf(secrets.get(i), at + 1)) found.add(i);
      }
      return found.iterator();
    };
    long[] counts = new long[canaries.size()];
    for (Integer i : spark.read().textFile(text).flatMap(hits, Encoders.INT()).collectAsList()) counts[i]++;
    return counts;
  }

  private static Map<String, Object> describe(Canary c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", c.id());
    m.put("format", c.format().name().toLowerCase(java.util.Locale.ROOT));
    m.put("repeats", c.repeats());
    m.put("text", c.text());
    m.put("secret", c.secret());
    m.put("log2_secret_space", c.format().log2Size());
    return m;
  }
}
