package dev.hunmin.jobs;

import static org.apache.spark.sql.functions.col;

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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * {@code hunmin predict --model DIR --input TABLE --output DIR}: scores a Parquet table (a text column, and a second
 * one for pair tasks) or text files (one text a line) with a fine-tuned classifier (finetune's model/) across the
 * executors — one predictor per executor JVM, loaded once and shared by its tasks — and writes the rows with
 * `label`, `score` (the label's probability; the value for regression) as Parquet, in input order.
 */
final class PredictJob {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The executor's predictors by model directory: loaded by the first task that needs one. */
  private static final Map<String, Predictor> PREDICTORS = new ConcurrentHashMap<>();
  /** Rows per output file: the files follow the input's size, never the core count, so reruns are byte-identical. */
  static final long ROWS_PER_PART = 500_000;
  /** A scoring task's share: consecutive rows, so that every batch holds the same rows however the input was split. */
  static final int BATCHES_PER_TASK = 16;

  private PredictJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws IOException {
    long started = System.nanoTime();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path model = new Path(s.requiredString("model"));
    Classifier classifier = classifierConfig(conf, model);
    JsonNode config = classifier.json();
    int maxLength = FinetuneJob.maxLength(s, classifier.bert(), model.toString());
    String textA = s.string("text-column");
    String textB = s.string("text-b-column");
    checkTextColumns(model, config, textB);
    Input input = read(spark, s.list("input"), textA, textB);
    StructType visible = input.visible();
    StructType schema = visible.add("label", DataTypes.StringType).add("score", DataTypes.FloatType);
    int batchSize = s.integer("batch-size", 1);
    Score score = new Score(model.toString(), ShippedConf.of(conf), visible.fieldIndex(textA), textB.isBlank() ? -1 : visible.fieldIndex(textB),
        batchSize, maxLength);
    try (StageOutput out = StageOutput.begin(conf, s)) {
      // batches of rows by their place in the input, not by how Spark split it: the floats do not follow the cores
      JavaRDD<Row> ordered = input.rows().javaRDD().mapPartitionsToPair(new Locate(input.text(), input.firsts()))
          .repartitionAndSortWithinPartitions(new Ranges(input.count(), (long) BATCHES_PER_TASK * batchSize))
          .mapPartitionsToPair(score)
          .repartitionAndSortWithinPartitions(new Ranges(input.count(), ROWS_PER_PART)).values();
      spark.createDataFrame(ordered, schema).write().parquet(out.path("predictions"));
      out.renameParquetParts(JavaSparkContext.fromSparkContext(spark.sparkContext()), "predictions");
      Dataset<Row> written = spark.read().parquet(out.path("predictions"));
      long rows = written.count();
      long scored = written.where(col("score").isNotNull()).count();
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("stage", "predict");
      report.put("model", model.toString());
      report.put("rows", rows);
      report.put("scored", scored);
      report.put("without_text", rows - scored);
      report.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
      report.put("config", s.section());
      report.put("summary", rows + " rows, " + scored + " scored (" + (rows - scored) + " without text) → " + out.output() + "/predictions");
      out.commit(report, s);
      return report;
    }
  }

  /**
   * On the driver, before any executor loads it: a finetune output's model/ (BertForSequenceClassification) whose
   * config, weights and tokenizer all read, so that a broken file is one error naming it, not a failure per task.
   */
  private static Classifier classifierConfig(Configuration conf, Path model) throws IOException {
    FileSystem fs = model.getFileSystem(conf);
    if (!fs.exists(model)) throw new HunminException("model not found: " + model);
    ModelFiles.requireFinished(conf, model); // a finetune output without _SUCCESS may hold a half-written model/
    Path config = new Path(model, "config.json");
    if (!fs.exists(config)) throw notClassifier(model);
    BertConfig bert = ModelFiles.readConfig(conf, model); // not JSON, not BERT: named by its path
    JsonNode c = JSON.readTree(ModelFiles.readText(fs, config));
    if (!c.path("id2label").has("0")) throw notClassifier(model);
    ModelFiles.requireWhole(fs, ModelFiles.weights(fs, model));
    checkTokenizer(conf, fs, model);
    return new Classifier(c, bert);
  }

  /** A classifier's config.json as JSON (its labels, Hunmin's task keys) and as the BERT it describes. */
  private record Classifier(JsonNode json, BertConfig bert) {}

  private static HunminException notClassifier(Path model) {
    return new HunminException(model + " is no fine-tuned classifier (predict takes a finetune output's model/ directory)");
  }

  /** tokenizer.json parsed here, so that a broken one is named; then the tokenizer loaded as the executors will. */
  private static void checkTokenizer(Configuration conf, FileSystem fs, Path model) throws IOException {
    Path json = new Path(model, "tokenizer.json");
    if (fs.exists(json)) {
      try {
        JSON.readTree(ModelFiles.readText(fs, json));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new HunminException(json + " is not JSON: " + e.getOriginalMessage());
      }
    }
    Tokenizers.ofModel(conf, model.toString());
  }

  /** The text columns are strings, and no input column clashes with the two predict adds. */
  private static void checkColumns(StructType visible, String textA, String textB) {
    for (String c : textB.isBlank() ? List.of(textA) : List.of(textA, textB)) {
      if (!List.of(visible.fieldNames()).contains(c)) throw new HunminException("input has no column " + c + " (columns: " + List.of(visible.fieldNames()) + ")");
      if (!visible.apply(c).dataType().equals(DataTypes.StringType)) {
        throw new HunminException("input column " + c + " is " + visible.apply(c).dataType().simpleString() + ", not string");
      }
    }
    for (String c : visible.fieldNames()) {
      // Spark compares column names without case: a `Label` would clash with the added `label`
      if (c.equalsIgnoreCase("label") || c.equalsIgnoreCase("score")) {
        throw new HunminException("input already has a column " + c + ", which predict adds as " + c.toLowerCase(Locale.ROOT) + ": rename it");
      }
    }
  }

  /** The second text is named exactly when the model was fine-tuned on pairs (a foreign model without the key: either). */
  private static void checkTextColumns(Path model, JsonNode config, String textB) {
    String task = config.path("hunmin_task").asText();
    boolean known = config.has("hunmin_text_pair");
    boolean pair = config.path("hunmin_text_pair").asBoolean(false);
    if (pair && textB.isBlank()) {
      throw new HunminException(model + " was fine-tuned on sentence pairs (" + task + "): name the second text with --text-b-column");
    }
    if (known && !pair && !textB.isBlank()) {
      throw new HunminException(model + " was fine-tuned on single texts (" + task + "): --text-b-column " + textB + " does not apply");
    }
  }

  /**
   * The rows to score: the visible columns, then the file each came from and a position in it (text: the block's
   * start offset; Parquet: the row's index). firsts: where each block (text: file#start) or file (Parquet) begins,
   * as {output ordinal, 1-based line}; count: all rows.
   */
  private record Input(Dataset<Row> rows, StructType visible, boolean text, HashMap<String, long[]> firsts, long count) {}

  /** Text files (.txt, .txt.gz, .txt.bz2) or Parquet, decided by the files found: one kind at a time. */
  private static Input read(SparkSession spark, List<String> inputs, String textColumn, String textB) {
    List<String> files = files(spark.sparkContext().hadoopConfiguration(), inputs);
    List<String> texts = files.stream().filter(PredictJob::isText).toList();
    if (!texts.isEmpty() && texts.size() < files.size()) {
      String other = files.stream().filter(f -> !isText(f)).findFirst().orElseThrow();
      throw new HunminException("input mixes text files (" + texts.get(0) + ") and files read as Parquet (" + other
          + "): predict reads one kind at a time");
    }
    try {
      return texts.isEmpty() ? parquet(spark, files, textColumn, textB) : text(spark, files, textColumn, textB);
    } catch (HunminException e) {
      throw e;
    } catch (Exception e) { // AnalysisException (undeclared by Scala): no Parquet there
      HunminException parquet = Main.unreadableParquet(e); // a file that is no Parquet: named by the deepest cause
      if (parquet != null) throw parquet;
      String m = String.valueOf(e.getMessage());
      throw new HunminException("cannot read the input " + String.join(",", inputs) + ": " + m.lines().findFirst().orElse(m));
    }
  }

  /** The files behind the paths, directories and globs, sorted by path: their order is the output's. */
  private static List<String> files(Configuration conf, List<String> inputs) {
    List<String> out = new ArrayList<>();
    for (List<FileStatus> files : RawInputs.expand(conf, inputs, "auto").values()) {
      for (FileStatus f : files) out.add(f.getPath().toString());
    }
    return out.stream().distinct().sorted().toList();
  }

  private static boolean isText(String file) {
    return file.toLowerCase(Locale.ROOT).matches(".*\\.txt(\\.gz|\\.bz2)?");
  }

  /** One text a line, with its file (source) and 1-based line: a pass counts each block's lines to number them. */
  private static Input text(SparkSession spark, List<String> files, String textColumn, String textB) {
    if (textColumn.equalsIgnoreCase("source") || textColumn.equalsIgnoreCase("line")) {
      throw new HunminException("--text-column " + textColumn + " names a column predict adds to text input (source, line): choose another");
    }
    StructType visible = new StructType().add("source", DataTypes.StringType).add("line", DataTypes.LongType).add(textColumn, DataTypes.StringType);
    checkColumns(visible, textColumn, textB);
    Dataset<Row> lines = spark.read().text(files.toArray(String[]::new))
        .select(col("value"), col("_metadata.file_path"), col("_metadata.file_block_start"));
    List<Row> blocks = new ArrayList<>(lines.groupBy("file_path", "file_block_start").count().collectAsList());
    blocks.sort(java.util.Comparator.<Row, String>comparing(r -> r.getString(0)).thenComparingLong(r -> r.getLong(1)));
    HashMap<String, long[]> firsts = new HashMap<>();
    long ordinal = 0;
    long line = 1;
    String file = null;
    for (Row b : blocks) {
      if (!b.getString(0).equals(file)) line = 1;
      file = b.getString(0);
      firsts.put(file + "#" + b.getLong(1), new long[] {ordinal, line});
      ordinal += b.getLong(2);
      line += b.getLong(2);
    }
    return new Input(lines, visible, true, firsts, ordinal);
  }

  /** The table's rows with their file and row index; a pass counts each file's rows to place them in order. */
  private static Input parquet(SparkSession spark, List<String> files, String textA, String textB) throws IOException {
    requireOneSchema(spark, files);
    Dataset<Row> table = spark.read().parquet(files.toArray(String[]::new));
    checkColumns(table.schema(), textA, textB);
    for (String c : table.schema().fieldNames()) {
      // Spark's file metadata column, which places each row, would be the input's own (names compared without case)
      if (c.equalsIgnoreCase("_metadata")) throw new HunminException("input has a column " + c + ", a name Spark reserves for file metadata: rename it");
    }
    Dataset<Row> rows = table.select(col("*"), col("_metadata.file_path"), col("_metadata.row_index"));
    List<Row> counts = new ArrayList<>(table.select(col("_metadata.file_path").as("f")).groupBy("f").count().collectAsList());
    counts.sort(java.util.Comparator.comparing(r -> r.getString(0)));
    HashMap<String, long[]> firsts = new HashMap<>();
    long ordinal = 0;
    for (Row c : counts) {
      firsts.put(c.getString(0), new long[] {ordinal, 0});
      ordinal += c.getLong(1);
    }
    return new Input(rows, table.schema(), false, firsts, ordinal);
  }

  /**
   * Every file's columns against the first's, each file's footer read on the driver: Spark takes one file's schema
   * and reads the others' rows through it, so a file that lacks or adds a column, or types one otherwise, would lose
   * it or fail in a task.
   */
  private static void requireOneSchema(SparkSession spark, List<String> files) throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    // as Spark reads Parquet types (its session's settings: binary as string, INT96 as timestamp, …)
    ParquetToSparkSchemaConverter converter = new ParquetToSparkSchemaConverter(spark.sessionState().conf());
    Map<String, String> first = null;
    for (String file : files) {
      Map<String, String> columns = new LinkedHashMap<>();
      for (StructField f : converter.convert(ParquetFooters.schema(conf, new Path(file))).fields()) columns.put(f.name(), f.dataType().catalogString());
      if (first == null) first = columns;
      List<String> differences = new ArrayList<>();
      for (Map.Entry<String, String> c : first.entrySet()) {
        String type = columns.get(c.getKey());
        if (type == null) differences.add("lacks " + c.getKey() + " (" + c.getValue() + ")");
        else if (!type.equals(c.getValue())) differences.add("has " + c.getKey() + " as " + type + ", not " + c.getValue());
      }
      for (Map.Entry<String, String> c : columns.entrySet()) {
        if (!first.containsKey(c.getKey())) differences.add("adds " + c.getKey() + " (" + c.getValue() + ")");
      }
      if (!differences.isEmpty()) {
        throw new HunminException("the input's Parquet files differ in their columns: " + file + " " + String.join(", ", differences)
            + " against " + files.get(0) + " (predict reads one table at a time)");
      }
    }
  }

  /** Part i holds ordinals [i·per, (i+1)·per): as many parts as the row count asks, whatever the cores. */
  private static final class Ranges extends Partitioner {
    private final long per;
    private final int parts;

    Ranges(long rows, long per) {
      this.per = Math.max(1, per);
      parts = (int) Math.max(1, (rows + this.per - 1) / this.per);
    }

    @Override
    public int numPartitions() {
      return parts;
    }

    @Override
    public int getPartition(Object ordinal) {
      return (int) Math.min(parts - 1, (Long) ordinal / per);
    }
  }

  /**
   * Input rows, which end with (file, position), as output rows (the visible columns, label and score still null)
   * keyed by their place in the output.
   */
  private record Locate(boolean text, HashMap<String, long[]> firsts) implements PairFlatMapFunction<Iterator<Row>, Long, Row> {
    @Override
    public Iterator<Tuple2<Long, Row>> call(Iterator<Row> rows) {
      return new Iterator<>() {
        String block; // text: a block's lines come in order, one after another within a partition
        long index;

        @Override
        public boolean hasNext() {
          return rows.hasNext();
        }

        @Override
        public Tuple2<Long, Row> next() {
          Row r = rows.next();
          int n = r.size();
          String file = r.getString(n - 2);
          if (!text) {
            Object[] values = new Object[n];
            for (int c = 0; c < n - 2; c++) values[c] = r.get(c);
            return new Tuple2<>(firsts.get(file)[0] + r.getLong(n - 1), RowFactory.create(values));
          }
          String key = file + "#" + r.getLong(n - 1);
          if (!key.equals(block)) index = 0;
          block = key;
          long[] first = firsts.get(key);
          long line = first[1] + index;
          String value = r.getString(0);
          // a byte-order mark (Windows editors) is no part of the first text
          if (line == 1 && value != null && value.startsWith("\uFEFF")) value = value.substring(1);
          return new Tuple2<>(first[0] + index++, RowFactory.create(file, line, value, null, null));
        }
      };
    }
  }

  /** One task's consecutive rows (by ordinal), scored in batches by this executor's predictor. */
  private record Score(String model, Map<String, String> hadoop, int textA, int textB, int batchSize, int maxLength)
      implements PairFlatMapFunction<Iterator<Tuple2<Long, Row>>, Long, Row> {
    @Override
    public Iterator<Tuple2<Long, Row>> call(Iterator<Tuple2<Long, Row>> rows) {
      Predictor p = PREDICTORS.computeIfAbsent(model, m -> Predictor.load(m, hadoop));
      List<Tuple2<Long, Row>> out = new ArrayList<>();
      List<Long> ordinals = new ArrayList<>(); // not sized by --batch-size: a huge one must not allocate up front
      List<Object[]> batch = new ArrayList<>();
      while (rows.hasNext()) {
        Tuple2<Long, Row> r = rows.next();
        Object[] values = new Object[r._2().size()];
        for (int c = 0; c < values.length; c++) values[c] = r._2().get(c);
        ordinals.add(r._1());
        batch.add(values);
        if (batch.size() == batchSize || !rows.hasNext()) {
          p.score(batch, textA, textB, maxLength);
          for (int i = 0; i < batch.size(); i++) {
            requireFinite(batch.get(i), ordinals.get(i));
            out.add(new Tuple2<>(ordinals.get(i), RowFactory.create(batch.get(i))));
          }
          batch.clear();
          ordinals.clear();
        }
      }
      return out.iterator();
    }

    /** A NaN score (a diverged model gives nothing else) would be written, and counted, as a result: the run fails. */
    private void requireFinite(Object[] row, long ordinal) {
      Float score = (Float) row[row.length - 1];
      if (score != null && !Float.isFinite(score)) {
        throw new HunminException(model + " diverged: its score for row " + (ordinal + 1) + " of the input is " + score
            + " (NaN weights or outputs); nothing written");
      }
    }
  }

  /** A loaded classifier with its tokenizer and labels; tasks of one executor take turns on it. */
  private record Predictor(Finetuner model, WordPieceTokenizer tokenizer, List<String> labels) {
    static Predictor load(String dir, Map<String, String> hadoop) {
      Configuration conf = ShippedConf.restore(hadoop);
      Path path = new Path(dir);
      Path weights = new Path(path, "model.safetensors");
      try {
        FileSystem fs = path.getFileSystem(conf);
        JsonNode config = JSON.readTree(ModelFiles.readText(fs, new Path(path, "config.json")));
        List<String> labels = new ArrayList<>();
        for (int i = 0; config.path("id2label").has(Integer.toString(i)); i++) labels.add(config.path("id2label").path(Integer.toString(i)).asText());
        WordPieceTokenizer tokenizer = Tokenizers.ofModel(conf, dir);
        NDManager manager = NDManager.newBaseManager(Device.cpu()); // lives as long as the executor
        try (InputStream in = fs.open(weights)) {
          Map<String, SafeTensors.Tensor> tensors = SafeTensors.read(in);
          return new Predictor(Finetuner.load(BertConfig.fromJson(config.toString()), manager, tensors, tokenizer.id("[PAD]")), tokenizer, labels);
        } catch (HunminException e) { // changed since the driver checked it: still named
          throw new HunminException(weights + ": " + e.getMessage(), e);
        }
      } catch (IOException e) {
        throw new HunminException("cannot load the classifier in " + dir + ": " + e.getMessage(), HunminException.EXTERNAL, e);
      }
    }

    /**
     * Sets each row's last two values to its label and score (they are null on arrival); a row without text (null
     * or blank) keeps both null.
     */
    synchronized void score(List<Object[]> rows, int textA, int textB, int maxLength) {
      List<Finetuner.Example> examples = new ArrayList<>(rows.size());
      List<Object[]> scored = new ArrayList<>(rows.size());
      for (Object[] row : rows) {
        String a = (String) row[textA];
        String b = textB < 0 ? null : (String) row[textB];
        if (a == null || a.isBlank() || (textB >= 0 && (b == null || b.isBlank()))) continue;
        examples.add(Finetuner.encode(tokenizer, a, b, 0, maxLength));
        scored.add(row);
      }
      if (examples.isEmpty()) return;
      float[][] scores = model.scores(examples, examples.size());
      for (int k = 0; k < scored.size(); k++) {
        float[] p = scores[k];
        Object[] row = scored.get(k);
        int best = 0;
        for (int i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
        row[row.length - 2] = p.length == 1 ? "score" : best < labels.size() ? labels.get(best) : Integer.toString(best);
        row[row.length - 1] = p[best];
      }
    }
  }
}
