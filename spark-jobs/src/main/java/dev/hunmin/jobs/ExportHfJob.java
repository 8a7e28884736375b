package dev.hunmin.jobs;

import ai.djl.ndarray.NDManager;
import dev.hunmin.model.Bert;
import dev.hunmin.util.HunminException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * {@code hunmin export-hf --model CKPT --output DIR}: a checkpoint (checkpoints/step-N), a complete pretrain output (its
 * final/ model, else its newest checkpoint) or any Hugging Face BERT directory → config.json, model.safetensors and
 * the tokenizer files, which BertForPreTraining/BertForMaskedLM.from_pretrained and pipeline('fill-mask') load.
 */
final class ExportHfJob {
  private ExportHfJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path model = source(conf, new Path(s.requiredString("model")));
    Map<String, String> tokenizerFiles = tokenizerFiles(conf, model);
    try (NDManager manager = NDManager.newBaseManager();
         StageOutput out = StageOutput.begin(conf, s)) {
      Bert bert = ModelFiles.readHf(conf, model, manager);
      ModelFiles.writeHf(conf, new Path(out.dir()), bert, tokenizerFiles);
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("stage", "export-hf");
      report.put("model", model.toString());
      report.put("parameters", bert.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum());
      report.put("summary", "exported " + model + " → " + out.output());
      out.commit(report, s);
      return report;
    }
  }

  private static Path source(Configuration conf, Path model) throws java.io.IOException {
    FileSystem fs = model.getFileSystem(conf);
    if (!fs.exists(model)) throw new HunminException("model not found: " + model);
    ModelFiles.requireFinished(conf, model); // a run's output is read only once it has _SUCCESS, as every stage's
    if (fs.exists(new Path(model, "config.json"))) return model;
    if (fs.exists(new Path(model, "final/config.json"))) return new Path(model, "final");
    Path latest = ModelFiles.latestCheckpoint(conf, model);
    if (latest == null) throw new HunminException("no model in " + model + " (no config.json, final/ or checkpoints/step-N)");
    return latest;
  }

  /** The source's tokenizer files, vocab.txt at the least (BertTokenizer's, which pipeline('fill-mask') builds). */
  private static Map<String, String> tokenizerFiles(Configuration conf, Path model) throws java.io.IOException {
    Map<String, String> files = ModelFiles.tokenizerFiles(conf, model);
    if (!files.containsKey("vocab.txt")) throw new HunminException("no vocab.txt in " + model + ": export-hf exports the model's tokenizer files");
    return files;
  }
}
