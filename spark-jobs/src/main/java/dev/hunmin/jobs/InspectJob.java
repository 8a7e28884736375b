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
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
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
    Path parquet = parquetOf(fs, stage);
    ObjectNode report = readReport(fs, stage);
    WordPieceTokenizer vocab = vocabulary(conf, s, report);

    Dataset<Row> df = spark.read().parquet(parquet.toString());
    ObjectNode out = JSON.createObjectNode();
    out.put("path", stage.toString());
    out.put("parquet", parquet.toString());
    ArrayNode schema = out.putArray("schema");
    for (StructField f : df.schema().fields()) {
      schema.addObject().put("name", f.name()).put("type", f.dataType().simpleString()).put("nullable", f.nullable());
    }
    ArrayNode files = out.putArray("files");
    long rows = 0;
    for (Row r : df.groupBy(input_file_name().as("file")).count().orderBy("file").collectAsList()) {
      files.addObject().put("file", r.getString(0)).put("rows", r.getLong(1));
      rows += r.getLong(1);
    }
    out.put("rows", rows);
    ArrayNode sample = out.putArray("sample");
    for (String row : df.limit(s.integer("rows")).toJSON().collectAsList()) sample.add(decoded((ObjectNode) JSON.readTree(row), vocab));
    if (report != null) out.set("report", report);

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("print", s.bool("json") ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out) : text(out));
    result.put("summary", rows + " rows in " + files.size() + " files");
    return result;
  }

  /** The Parquet directory of a stage output (docs/ of clean, shards/ of nsp), or the path itself. */
  private static Path parquetOf(FileSystem fs, Path stage) throws IOException {
    for (String sub : List.of("shards", "docs")) {
      if (fs.exists(new Path(stage, sub))) return new Path(stage, sub);
    }
    return stage;
  }

  private static ObjectNode readReport(FileSystem fs, Path stage) throws IOException {
    Path report = new Path(stage, StageOutput.REPORT);
    return fs.isFile(report) ? (ObjectNode) JSON.readTree(ModelFiles.readText(fs, report)) : null;
  }

  /** --vocab, else the vocabulary the stage was made with (its report's config), else none. */
  private static WordPieceTokenizer vocabulary(Configuration conf, Settings s, JsonNode report) {
    String dir = s.string("vocab");
    if (dir.isBlank() && report != null) dir = report.path("config").path("vocab").asText("");
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

  private static String text(ObjectNode out) {
    StringBuilder b = new StringBuilder();
    b.append(out.get("parquet").asText()).append(": ").append(out.get("rows").asLong()).append(" rows in ")
        .append(out.get("files").size()).append(" files\n");
    for (JsonNode f : out.get("schema")) b.append("  ").append(f.get("name").asText()).append(' ').append(f.get("type").asText()).append('\n');
    for (JsonNode r : out.get("sample")) b.append(r).append('\n');
    return b.toString();
  }
}
