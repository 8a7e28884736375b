package dev.hunmin.jobs;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * {@code hunmin pipeline}: every stage in order under one work directory, on the embedded sample by default.
 * Each stage is the same job its own command runs, with its input and output set from the work directory.
 */
final class PipelineJob {
  private PipelineJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws Exception {
    String work = s.requiredString("work");
    boolean overwrite = s.bool("overwrite");
    Map<String, Object> stages = new LinkedHashMap<>();

    Map<String, Object> clean = new LinkedHashMap<>();
    clean.put("input", s.list("input"));
    clean.put("output", new Path(work, "clean").toString());
    clean.put("overwrite", overwrite);
    for (String key : new String[] {"format", "text-format", "jsonl-field", "tsv-column", "parquet-column"}) {
      clean.put(key, s.string(key));
    }
    stages.put("clean", CleanJob.run(spark, s.forStage("clean", clean)).get("summary"));

    Map<String, Object> vocab = new LinkedHashMap<>();
    vocab.put("input", clean.get("output"));
    vocab.put("output", new Path(work, "vocab").toString());
    vocab.put("overwrite", overwrite);
    stages.put("vocab", VocabJob.run(spark, s.forStage("vocab", vocab)).get("summary"));

    Map<String, Object> nsp = new LinkedHashMap<>();
    nsp.put("input", clean.get("output"));
    nsp.put("vocab", vocab.get("output"));
    nsp.put("output", new Path(work, "nsp").toString());
    nsp.put("overwrite", overwrite);
    stages.put("nsp", NspJob.run(spark, s.forStage("nsp", nsp)).get("summary"));

    Map<String, Object> report = new LinkedHashMap<>();
    report.put("stage", "pipeline");
    report.put("work", work);
    report.put("stages", stages);
    report.put("summary", "stages done under " + work + ": " + String.join(", ", stages.keySet()));
    return report;
  }
}
