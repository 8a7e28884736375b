package dev.hunmin.jobs;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hunmin.model.BertConfig;
import dev.hunmin.model.SafeTensors;
import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.train.Finetuner;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code hunmin predict --model DIR --input TABLE --output DIR}: scores a Parquet table (a text column, and a second
 * one for pair tasks) or text files (one text a line) with a fine-tuned classifier (finetune's model/) across the
 * executors — one predictor per executor JVM, loaded once and shared by its tasks (mapPartitions) — and writes the
 * rows with `label`, `score` (the label's probability; the value for regression) as Parquet.
 */
final class PredictJob {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The executor's predictors by model directory: loaded by the first task that needs one. */
  private static final Map<String, Predictor> PREDICTORS = new ConcurrentHashMap<>();

  private PredictJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws IOException {
    long started = System.nanoTime();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path model = new Path(s.requiredString("model"));
    JsonNode config = classifierConfig(conf, model);
    String textA = s.string("text-column");
    String textB = s.string("text-b-column");
    if (config.path("hunmin_text_pair").asBoolean(false) && textB.isBlank()) {
      throw new HunminException(model + " was fine-tuned on sentence pairs (" + config.path("hunmin_task").asText() + "): name the second text with --text-b-column");
    }
    Dataset<Row> input = read(spark, s.requiredString("input"), textA);
    for (String c : textB.isBlank() ? List.of(textA) : List.of(textA, textB)) {
      if (!List.of(input.columns()).contains(c)) throw new HunminException("input has no column " + c + " (columns: " + List.of(input.columns()) + ")");
      if (!input.schema().apply(c).dataType().equals(DataTypes.StringType)) {
        throw new HunminException("input column " + c + " is " + input.schema().apply(c).dataType().simpleString() + ", not string");
      }
    }
    for (String added : List.of("label", "score")) {
      if (List.of(input.columns()).contains(added)) throw new HunminException("input already has a column " + added + ", which predict adds: rename it");
    }
    StructType schema = input.schema().add("label", DataTypes.StringType).add("score", DataTypes.FloatType);
    Score score = new Score(model.toString(), ShippedConf.of(conf), textA, textB, s.integer("batch-size", 1), s.integer("max-length", 3));
    try (StageOutput out = StageOutput.begin(conf, s)) {
      Dataset<Row> scored = input.mapPartitions(score, Encoders.row(schema));
      scored.write().parquet(out.path("predictions"));
      out.renameParquetParts(JavaSparkContext.fromSparkContext(spark.sparkContext()), "predictions");
      long rows = spark.read().parquet(out.path("predictions")).count();
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("stage", "predict");
      report.put("model", model.toString());
      report.put("rows", rows);
      report.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
      report.put("config", s.section());
      report.put("summary", rows + " rows scored → " + out.output() + "/predictions");
      out.commit(report, s);
      return report;
    }
  }

  /** On the driver, before any executor loads it: a finetune output's model/ (BertForSequenceClassification). */
  private static JsonNode classifierConfig(Configuration conf, Path model) throws IOException {
    FileSystem fs = model.getFileSystem(conf);
    if (!fs.exists(model)) throw new HunminException("model not found: " + model);
    Path config = new Path(model, "config.json");
    JsonNode c = fs.exists(config) ? JSON.readTree(ModelFiles.readText(fs, config)) : null;
    if (!fs.exists(new Path(model, "model.safetensors")) || c == null || !c.path("id2label").has("0")) {
      throw new HunminException(model + " is no fine-tuned classifier (predict takes a finetune output's model/ directory)");
    }
    return c;
  }

  /** Text files (.txt, .txt.gz) as one column named like the text column; anything else is read as Parquet. */
  private static Dataset<Row> read(SparkSession spark, String input, String textColumn) {
    boolean text = input.endsWith(".txt") || input.endsWith(".txt.gz");
    try {
      return text ? spark.read().text(input).withColumnRenamed("value", textColumn) : spark.read().parquet(input);
    } catch (Exception e) { // AnalysisException (undeclared by Scala): no such path, no Parquet there
      HunminException parquet = Main.unreadableParquet(e); // a file that is no Parquet: named by the deepest cause
      if (parquet != null) throw parquet;
      String m = String.valueOf(e.getMessage());
      throw new HunminException("cannot read the input " + input + ": " + m.lines().findFirst().orElse(m));
    }
  }

  /** One partition's rows, scored in batches by this executor's predictor. */
  private record Score(String model, Map<String, String> hadoop, String textA, String textB, int batchSize, int maxLength)
      implements MapPartitionsFunction<Row, Row>, Serializable {
    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      Predictor p = PREDICTORS.computeIfAbsent(model, m -> Predictor.load(m, hadoop));
      List<Row> out = new ArrayList<>();
      List<Row> batch = new ArrayList<>(batchSize);
      while (rows.hasNext()) {
        batch.add(rows.next());
        if (batch.size() == batchSize || !rows.hasNext()) {
          out.addAll(p.score(batch, textA, textB, maxLength));
          batch.clear();
        }
      }
      return out.iterator();
    }
  }

  /** A loaded classifier with its tokenizer and labels; tasks of one executor take turns on it. */
  private record Predictor(Finetuner model, WordPieceTokenizer tokenizer, List<String> labels) {
    static Predictor load(String dir, Map<String, String> hadoop) {
      Configuration conf = ShippedConf.restore(hadoop);
      Path path = new Path(dir);
      try {
        FileSystem fs = path.getFileSystem(conf);
        JsonNode config = JSON.readTree(ModelFiles.readText(fs, new Path(path, "config.json")));
        List<String> labels = new ArrayList<>();
        for (int i = 0; config.path("id2label").has(Integer.toString(i)); i++) labels.add(config.path("id2label").path(Integer.toString(i)).asText());
        WordPieceTokenizer tokenizer = Tokenizers.ofModel(conf, dir);
        NDManager manager = NDManager.newBaseManager(Device.cpu()); // lives as long as the executor
        try (InputStream in = fs.open(new Path(path, "model.safetensors"))) {
          Map<String, SafeTensors.Tensor> tensors = SafeTensors.read(in);
          return new Predictor(Finetuner.load(BertConfig.fromJson(config.toString()), manager, tensors, tokenizer.id("[PAD]")), tokenizer, labels);
        }
      } catch (IOException e) {
        throw new HunminException("cannot load the classifier in " + dir + ": " + e.getMessage(), HunminException.EXTERNAL, e);
      }
    }

    /** Each row with its label and score; a row without text (null or blank) keeps both null. */
    synchronized List<Row> score(List<Row> rows, String textA, String textB, int maxLength) {
      List<Finetuner.Example> examples = new ArrayList<>(rows.size());
      List<Integer> scored = new ArrayList<>(rows.size());
      for (int i = 0; i < rows.size(); i++) {
        String a = rows.get(i).getAs(textA);
        String b = textB.isBlank() ? null : rows.get(i).getAs(textB);
        if (a == null || a.isBlank() || (!textB.isBlank() && (b == null || b.isBlank()))) continue;
        examples.add(Finetuner.encode(tokenizer, a, b, 0, maxLength));
        scored.add(i);
      }
      float[][] scores = examples.isEmpty() ? new float[0][] : model.scores(examples, examples.size());
      float[][] byRow = new float[rows.size()][];
      for (int k = 0; k < scored.size(); k++) byRow[scored.get(k)] = scores[k];
      List<Row> out = new ArrayList<>(rows.size());
      for (int i = 0; i < rows.size(); i++) {
        float[] p = byRow[i];
        Object[] values = new Object[rows.get(i).size() + 2];
        for (int c = 0; c < rows.get(i).size(); c++) values[c] = rows.get(i).get(c);
        if (p != null) {
          int best = 0;
          for (int k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
          values[values.length - 2] = p.length == 1 ? "score" : best < labels.size() ? labels.get(best) : Integer.toString(best);
          values[values.length - 1] = p[best];
        }
        out.add(RowFactory.create(values));
      }
      return out;
    }
  }
}
