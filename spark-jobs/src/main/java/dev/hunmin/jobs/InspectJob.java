package dev.hunmin.jobs;

import static org.apache.spark.sql.functions.input_file_name;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;

/**
 * {@code hunmin inspect PATH}: what a Parquet output holds — schema, rows per file, sample rows with token ids
 * decoded through the vocabulary, and the stage's _REPORT.json — as JSON (--json) or text. A clean output shows its
 * docs/, an nsp output its shards/. It is how notebooks and people without a Parquet reader look at the data.
 */
final class InspectJob {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Columns of token ids that get a decoded twin in the sample. */
  private static final List<String> ID_COLUMNS = List.of("input_ids", "masked_lm_ids");

  private InspectJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path stage = new Path(s.requiredString("input"));
    FileSystem fs = stage.getFileSystem(conf);
    if (!fs.exists(stage)) throw new HunminException("not found: " + stage);
    int sampleRows = s.integer("rows", 0);
    Path parquet = parquetOf(fs, stage);
    ObjectNode report = readReport(fs, stage);
    String gone = goneVocabulary(conf, s, report);
    WordPieceTokenizer vocab = gone == null ? vocabulary(conf, s, report) : null;

    Dataset<Row> df = readParquet(spark, parquet);
    ObjectNode out = JSON.createObjectNode();
    out.put("path", stage.toString());
    out.put("parquet", parquet.toString());
    ArrayNode schema = out.putArray("schema");
    // Spark reads every Parquet column as nullable; what the files declare is in their footer
    MessageType declared = declaredSchema(conf, fs, parquet);
    for (StructField f : df.schema().fields()) {
      ObjectNode column = schema.addObject().put("name", f.name()).put("type", f.dataType().simpleString());
      Type type = declared != null && declared.containsField(f.name()) ? declared.getType(f.name()) : null;
      column.put("nullable", type == null ? f.nullable() : !type.isRepetition(Type.Repetition.REQUIRED));
      Type element = type == null ? null : listElement(type);
      if (element != null) column.put("element_nullable", !element.isRepetition(Type.Repetition.REQUIRED));
    }
    ArrayNode files = out.putArray("files");
    long rows = 0;
    List<Row> perFile;
    List<String> head;
    try {
      perFile = df.groupBy(input_file_name().as("file")).count().orderBy("file").collectAsList();
      head = df.limit(sampleRows).toJSON().collectAsList();
    } catch (Exception e) { // SparkException, undeclared by Scala
      throw unreadable(parquet, e);
    }
    // a file of no rows has no row to name it in Spark's count: the listing gives every file (and its name, the same
    // form for all), the count its rows
    Map<String, Row> counted = new java.util.HashMap<>();
    // input_file_name is a URI string (a space is %20): decoded, as the listing's paths are
    for (Row r : perFile) counted.put(java.net.URI.create(r.getString(0)).getPath(), r);
    for (Path f : parquetFiles(fs, parquet)) {
      Row r = counted.get(f.toUri().getPath());
      files.addObject().put("file", f.toString()).put("rows", r == null ? 0 : r.getLong(1));
      rows += r == null ? 0 : r.getLong(1);
    }
    out.put("rows", rows);
    if (gone != null) out.put("not_decoded", "rows not decoded: the vocabulary at " + gone + " that _REPORT.json names is gone (pass --vocab DIR)");
    ArrayNode sample = out.putArray("sample");
    for (String row : head) sample.add(decoded((ObjectNode) JSON.readTree(row), vocab));
    if (report != null) out.set("report", report);

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("print", s.bool("json") ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out) : text(out));
    result.put("summary", count(rows, "row") + " in " + count(files.size(), "file"));
    return result;
  }

  /** The Parquet directory of a stage output (docs/ of clean, shards/ of nsp, predictions/ of predict), or the path itself. */
  private static Path parquetOf(FileSystem fs, Path stage) throws IOException {
    for (String sub : List.of("shards", "docs", "predictions")) {
      if (fs.exists(new Path(stage, sub))) return new Path(stage, sub);
    }
    return stage;
  }

  /** The Parquet files at a path, by name, as Spark reads them (hidden and _ files left out); the path itself if a file. */
  private static List<Path> parquetFiles(FileSystem fs, Path parquet) throws IOException {
    if (fs.isFile(parquet)) return List.of(fs.makeQualified(parquet));
    return java.util.Arrays.stream(fs.listStatus(parquet, p -> p.getName().endsWith(".parquet") && !p.getName().startsWith(".")
        && !p.getName().startsWith("_"))).map(FileStatus::getPath).sorted().toList();
  }

  /** The schema the first Parquet file (by name) at a path declares in its footer, or null when there is none to read. */
  private static MessageType declaredSchema(Configuration conf, FileSystem fs, Path parquet) {
    try {
      Path first = parquetFiles(fs, parquet).stream().findFirst().orElse(null);
      if (first == null) return null;
      try (ParquetFileReader reader = ParquetFileReader.open(
          HadoopInputFile.fromPath(first, conf))) {
        return reader.getFooter().getFileMetaData().getSchema();
      }
    } catch (IOException | RuntimeException e) {
      return null; // Spark's read below names what is wrong with the files
    }
  }

  /** The element of a list column in Parquet's three-level form (LIST { repeated list { element } }), else null. */
  private static Type listElement(Type type) {
    if (type.isPrimitive() || !(type.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation)) return null;
    Type repeated = type.asGroupType().getType(0);
    return repeated.isPrimitive() ? repeated : repeated.asGroupType().getType(0);
  }

  /** The Parquet files at a path; anything else is an error naming it (Spark's own runs over many lines). */
  private static Dataset<Row> readParquet(SparkSession spark, Path parquet) {
    try {
      return spark.read().parquet(parquet.toString());
    } catch (Exception e) { // AnalysisException, undeclared by Scala
      throw unreadable(parquet, e);
    }
  }

  private static HunminException unreadable(Path parquet, Exception e) {
    Throwable root = e;
    while (root.getCause() != null) root = root.getCause();
    String cause = String.valueOf(root.getMessage());
    return new HunminException("no readable Parquet at " + parquet + ": " + cause.lines().findFirst().orElse(cause)
        + " (inspect shows a clean or nsp output, or Parquet files)");
  }

  private static ObjectNode readReport(FileSystem fs, Path stage) throws IOException {
    Path report = new Path(stage, StageOutput.REPORT);
    if (!fs.isFile(report)) return null;
    JsonNode node;
    try {
      node = JSON.readTree(ModelFiles.readText(fs, report));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new HunminException("malformed " + report + ": " + e.getOriginalMessage());
    }
    return node instanceof ObjectNode o ? o : null;
  }

  /**
   * The vocabulary the stage's report names when it no longer exists (and no --vocab is given): the files are still
   * shown, their rows not decoded. Null otherwise.
   */
  private static String goneVocabulary(Configuration conf, Settings s, JsonNode report) throws IOException {
    if (!s.string("vocab").isBlank() || report == null) return null;
    String dir = report.path("vocab").asText(report.path("config").path("vocab").asText(""));
    if (dir.isBlank() || !new Path(dir).isAbsolute()) return null;
    Path path = new Path(dir);
    return path.getFileSystem(conf).exists(path) ? null : dir;
  }

  /** --vocab, else the vocabulary the stage was made with (its report names it), else none. */
  private static WordPieceTokenizer vocabulary(Configuration conf, Settings s, JsonNode report) {
    String dir = s.string("vocab");
    if (dir.isBlank() && report != null) {
      dir = report.path("vocab").asText(report.path("config").path("vocab").asText(""));
      // an older report keeps the path as typed, relative to a directory no longer known
      if (!dir.isBlank() && !new Path(dir).isAbsolute()) {
        throw new HunminException("the stage's _REPORT.json names its vocabulary by the relative path " + dir + ": pass --vocab");
      }
    }
    return dir.isBlank() ? null : Tokenizers.load(conf, dir);
  }

  /** Adds "input_tokens" (and the like) beside each id column: the ids as the vocabulary's strings. */
  private static ObjectNode decoded(ObjectNode row, WordPieceTokenizer vocab) {
    if (vocab == null) return row;
    for (String column : ID_COLUMNS) {
      if (!row.has(column)) continue;
      ArrayNode tokens = JSON.createArrayNode();
      for (JsonNode id : row.get(column)) tokens.add(id.asInt() < vocab.vocabSize() ? vocab.token(id.asInt()) : "<" + id.asInt() + ">");
      row.set(column.replace("_ids", "_tokens"), tokens);
    }
    return row;
  }

  private static String count(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  private static String text(ObjectNode out) {
    StringBuilder b = new StringBuilder();
    b.append(out.get("parquet").asText()).append(": ").append(count(out.get("rows").asLong(), "row")).append(" in ")
        .append(count(out.get("files").size(), "file")).append('\n');
    for (JsonNode f : out.get("files")) b.append("  ").append(f.get("file").asText()).append(": ").append(count(f.get("rows").asLong(), "row")).append('\n');
    b.append("schema:\n");
    for (JsonNode f : out.get("schema")) {
      b.append("  ").append(f.get("name").asText()).append(' ').append(f.get("type").asText());
      if (!f.get("nullable").asBoolean()) b.append(" not null");
      if (f.has("element_nullable") && !f.get("element_nullable").asBoolean()) b.append(" (elements not null)");
      b.append('\n');
    }
    if (out.has("not_decoded")) b.append(out.get("not_decoded").asText()).append('\n');
    if (out.has("report")) b.append("report: ").append(out.get("report").path("summary").asText("")).append('\n');
    for (JsonNode r : out.get("sample")) b.append(r).append('\n');
    return b.toString();
  }
}
