package dev.hunmin.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;

import dev.hunmin.train.Batch;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * NSP shards as pretrain reads them: any Parquet files with the documented schema (from nsp or another team's
 * job), checked with Spark before training starts, then streamed row by row in file order, so memory does not
 * grow with the data.
 */
final class Shards {
  private Shards() {}

  /**
   * The contract's columns, checked in this order (so the first error is the same on every run; a StructType
   * keeps it, where Map.of's order changes from one JVM to the next).
   */
  private static final StructType REQUIRED = new StructType()
      .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType))
      .add("token_type_ids", DataTypes.createArrayType(DataTypes.ByteType))
      .add("next_sentence_label", DataTypes.IntegerType);

  /** The Parquet files of a shard directory (or its shards/ subdirectory), sorted by name. */
  static List<String> files(SparkSession spark, String dir) {
    try {
      Path path = new Path(dir);
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(path)) throw new HunminException("shards not found: " + dir);
      // the shards/ of an nsp output are read only when the output is complete, named whole or by that folder
      Path output = outputOf(fs, path);
      if (fs.exists(new Path(output, StageOutput.REPORT)) && !fs.exists(new Path(output, StageOutput.SUCCESS))) {
        throw new HunminException("shards are incomplete: " + output + " has no _SUCCESS (its nsp run did not finish)");
      }
      requireNotStaging(path);
      if (fs.exists(new Path(path, "shards"))) path = new Path(path, "shards");
      if (fs.exists(new Path(path, "_temporary"))) {
        throw new HunminException("shards are incomplete: " + path + " holds _temporary (a Spark write into it did not finish)");
      }
      FileStatus[] parquet = fs.listStatus(path, p -> p.getName().endsWith(".parquet"));
      if (parquet.length == 0) throw new HunminException("no .parquet files in " + path);
      List<String> out = new ArrayList<>();
      for (FileStatus f : parquet) out.add(fs.makeQualified(f.getPath()).toString());
      out.sort(String::compareTo);
      return out;
    } catch (IOException e) {
      throw new HunminException("cannot list " + dir + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  /** The nsp output an --input names: the directory itself, or the output whose shards/ folder it is. */
  static Path outputOf(FileSystem fs, Path input) throws IOException {
    Path parent = input.getParent();
    return input.getName().equals("shards") && parent != null && fs.exists(new Path(parent, StageOutput.REPORT)) ? parent : input;
  }

  /**
   * A staging directory, or the shards/ in one, is what a run left when it died before its rename: complete or
   * not, nothing says (it has no _REPORT.json yet), so it is not read.
   */
  private static void requireNotStaging(Path dir) {
    Path staging = dir.getName().equals("shards") && dir.getParent() != null && StageOutput.isStaging(dir.getParent())
        ? dir.getParent() : dir;
    if (StageOutput.isStaging(staging)) {
      throw new HunminException("shards are incomplete: " + staging + " is the staging directory of an unfinished run");
    }
  }

  /** The optional static-masking columns (nsp --static-masking): both or neither. */
  private static final StructType MASKING = new StructType()
      .add("masked_lm_positions", DataTypes.createArrayType(DataTypes.IntegerType))
      .add("masked_lm_ids", DataTypes.createArrayType(DataTypes.IntegerType));

  /**
   * The contract, per file, before any training, in one scan of each: errors name the file and the row. Returns
   * the rows of each file, in order; shards that together hold none are refused.
   */
  static Map<String, Long> validate(SparkSession spark, List<String> files, int vocabSize, int maxLength) {
    Map<String, Long> rows = new java.util.LinkedHashMap<>();
    for (String file : files) {
      Dataset<Row> df = spark.read().parquet(file);
      boolean masked = requireSchema(df.schema(), file);
      List<Row> bad = df.select(col("_metadata.row_index").as("row"), expr(firstBreach(masked, vocabSize, maxLength)).as("why"))
          .where(col("why").isNotNull()).limit(1).collectAsList();
      for (Row r : bad) throw new HunminException("shard " + file + " row " + r.getLong(0) + ": " + r.getString(1));
      rows.put(file, df.count());
    }
    if (rows.values().stream().mapToLong(Long::longValue).sum() == 0) throw new HunminException("the shards hold no rows: " + files);
    return rows;
  }

  /** The required columns with their types, and the masking ones both or neither; whether the file has them. */
  private static boolean requireSchema(StructType schema, String file) {
    for (StructField c : REQUIRED.fields()) requireType(schema, file, c.name(), c.dataType());
    List<String> names = Arrays.asList(schema.fieldNames());
    List<String> present = Arrays.stream(MASKING.fieldNames()).filter(names::contains).toList();
    if (present.size() == 1) {
      String missing = Arrays.stream(MASKING.fieldNames()).filter(name -> !present.contains(name)).findFirst().orElseThrow();
      throw new HunminException("shard " + file + " has " + present.get(0) + " but no " + missing + " (static masking needs both)");
    }
    if (present.isEmpty()) return false;
    for (StructField c : MASKING.fields()) requireType(schema, file, c.name(), c.dataType());
    return true;
  }

  private static void requireType(StructType schema, String file, String column, DataType wanted) {
    StructField f = Arrays.stream(schema.fields()).filter(x -> x.name().equals(column)).findFirst()
        .orElseThrow(() -> new HunminException("shard " + file + " has no column " + column));
    if (!sameType(f.dataType(), wanted)) {
      throw new HunminException("shard " + file + ": column " + column + " is " + f.dataType().simpleString()
          + ", the contract says " + wanted.simpleString());
    }
  }

  /**
   * SQL for what is wrong with a row, null when nothing: the contract's rules in a fixed order (so the first error
   * is the same on every run), each a condition and the words that report it. A CASE stops at the first rule
   * broken, so later rules may assume the earlier ones hold (no nulls, equal lengths).
   */
  private static String firstBreach(boolean masked, int vocabSize, int maxLength) {
    List<Rule> rules = new ArrayList<>(List.of(
        rule("input_ids IS NULL", "'input_ids is null'"),
        rule("token_type_ids IS NULL", "'token_type_ids is null'"),
        rule("next_sentence_label IS NULL", "'next_sentence_label is null'"),
        rule("next_sentence_label NOT IN (0, 1)", "concat('next_sentence_label ', next_sentence_label, ' (the contract: 0 IsNext, 1 random next)')"),
        rule("exists(input_ids, x -> x IS NULL)", "'a null element in input_ids'"),
        rule("exists(token_type_ids, x -> x IS NULL)", "'a null element in token_type_ids'"),
        rule("size(input_ids) = 0", "'no tokens'"),
        rule("size(input_ids) > " + maxLength, "concat(size(input_ids), ' tokens > the model\\'s " + maxLength + "')"),
        rule("size(token_type_ids) != size(input_ids)", "'token_type_ids and input_ids differ in length'"),
        rule("array_max(input_ids) >= " + vocabSize, "concat('id ', array_max(input_ids), ' ≥ vocabulary size " + vocabSize + "')"),
        rule("array_min(input_ids) < 0", "'a negative id'"),
        rule("array_min(token_type_ids) < 0 OR array_max(token_type_ids) > 1",
            "concat('token_type_ids holds ', IF(array_min(token_type_ids) < 0, array_min(token_type_ids), array_max(token_type_ids)),"
                + " ' (the contract: 0 for segment A, 1 for B)')")));
    if (masked) rules.addAll(maskingRules(vocabSize));
    StringBuilder sql = new StringBuilder("CASE");
    for (Rule r : rules) sql.append(" WHEN ").append(r.broken()).append(" THEN ").append(r.why());
    return sql.append(" END").toString();
  }

  /** Static masking's rules: positions inside the sequence but never [CLS] (0), strictly ascending, one vocabulary id each. */
  private static List<Rule> maskingRules(int vocabSize) {
    return List.of(
        rule("masked_lm_positions IS NULL", "'masked_lm_positions is null'"),
        rule("masked_lm_ids IS NULL", "'masked_lm_ids is null'"),
        rule("exists(masked_lm_positions, x -> x IS NULL)", "'a null element in masked_lm_positions'"),
        rule("exists(masked_lm_ids, x -> x IS NULL)", "'a null element in masked_lm_ids'"),
        rule("size(masked_lm_positions) != size(masked_lm_ids)", "'masked_lm_positions and masked_lm_ids differ in length'"),
        rule("array_min(masked_lm_positions) = 0", "'masked_lm_positions holds 0, the [CLS] position'"),
        rule("array_min(masked_lm_positions) < 0 OR array_max(masked_lm_positions) >= size(input_ids)",
            "concat('masked_lm_positions holds ', IF(array_min(masked_lm_positions) < 0, array_min(masked_lm_positions),"
                + " array_max(masked_lm_positions)), ', outside the ', size(input_ids), ' tokens')"),
        rule("sort_array(masked_lm_positions) != masked_lm_positions OR size(array_distinct(masked_lm_positions)) != size(masked_lm_positions)",
            "'masked_lm_positions are not strictly ascending'"),
        rule("array_max(masked_lm_ids) >= " + vocabSize, "concat('masked_lm_ids holds id ', array_max(masked_lm_ids), ' ≥ vocabulary size " + vocabSize + "')"),
        rule("array_min(masked_lm_ids) < 0", "'masked_lm_ids holds a negative id'"));
  }

  /** A rule of the contract: the SQL condition a row that breaks it meets, and the SQL of the words that say so. */
  private record Rule(String broken, String why) {}

  private static Rule rule(String broken, String why) {
    return new Rule(broken, why);
  }

  private static boolean sameType(DataType actual, DataType wanted) {
    if (actual instanceof ArrayType a && wanted instanceof ArrayType w) return a.elementType().equals(w.elementType());
    return actual.equals(wanted);
  }

  /**
   * Examples of the files in order, epoch after epoch, without end; the optional masking columns are honoured.
   * Read with parquet-hadoop, not Spark, so a training task on an executor can stream its own shards.
   */
  static Iterator<Batch.Example> stream(Configuration conf, List<String> files) {
    return new Iterator<>() {
      int file = -1;
      ParquetReader<Group> reader;
      Group next;
      long row;

      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public Batch.Example next() {
        for (int tries = 0; (next = read()) == null; tries++) {
          if (tries > files.size()) throw new HunminException("the shards hold no rows: " + files);
          file = (file + 1) % files.size();
          reader = open(conf, files.get(file));
          row = 0;
        }
        return example(next, files.get(file), row++);
      }

      private Group read() {
        if (reader == null) return null;
        try {
          Group g = reader.read();
          if (g == null) reader.close();
          return g;
        } catch (IOException | RuntimeException e) {
          throw new HunminException("cannot read shard " + files.get(file) + " at row " + row + ": " + e.getMessage(), HunminException.EXTERNAL, e);
        }
      }
    };
  }

  /** The first n examples of a file (the validation shard). */
  static List<Batch.Example> head(Configuration conf, String file, int n) {
    List<Batch.Example> out = new ArrayList<>();
    try (ParquetReader<Group> reader = open(conf, file)) {
      Group g;
      while (out.size() < n && (g = reader.read()) != null) out.add(example(g, file, out.size()));
    } catch (IOException e) {
      throw new HunminException("cannot read shard " + file + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
    return out;
  }

  private static ParquetReader<Group> open(Configuration conf, String file) {
    try {
      return ParquetReader.builder(new GroupReadSupport(), new Path(file)).withConf(conf).build();
    } catch (IOException e) {
      throw new HunminException("cannot open shard " + file + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  private static Batch.Example example(Group g, String file, long row) {
    try {
      boolean masked = g.getType().containsField("masked_lm_positions") && g.getFieldRepetitionCount("masked_lm_positions") > 0;
      int[] types = ints(g, "token_type_ids");
      byte[] typeBytes = new byte[types.length];
      for (int i = 0; i < types.length; i++) typeBytes[i] = (byte) types[i];
      return new Batch.Example(ints(g, "input_ids"), typeBytes, g.getInteger("next_sentence_label", 0),
          masked ? ints(g, "masked_lm_positions") : null, masked ? ints(g, "masked_lm_ids") : null);
    } catch (RuntimeException e) {
      throw new HunminException("shard " + file + " row " + row + ": " + e.getMessage());
    }
  }

  /**
   * A Parquet LIST of ints: the standard three-level layout (list / element) that Spark and Arrow write, or the
   * legacy two-level one (a repeated primitive).
   */
  private static int[] ints(Group row, String field) {
    Group list = row.getGroup(field, 0);
    int n = list.getFieldRepetitionCount(0);
    boolean primitive = list.getType().getType(0).isPrimitive();
    int[] out = new int[n];
    for (int i = 0; i < n; i++) out[i] = primitive ? list.getInteger(0, i) : list.getGroup(0, i).getInteger(0, 0);
    return out;
  }
}
