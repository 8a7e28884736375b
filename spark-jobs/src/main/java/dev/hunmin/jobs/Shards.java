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

/**
 * NSP shards as pretrain reads them: any Parquet files with the documented schema (from nsp or another team's
 * job), checked with Spark before training starts, then streamed row by row in file order, so memory does not
 * grow with the data.
 */
final class Shards {
  private Shards() {}

  /** The contract's columns, checked in this order (so the first error is the same on every run). */
  private static final Map<String, DataType> REQUIRED = new java.util.LinkedHashMap<>(Map.of(
      "input_ids", DataTypes.createArrayType(DataTypes.IntegerType),
      "token_type_ids", DataTypes.createArrayType(DataTypes.ByteType),
      "next_sentence_label", DataTypes.IntegerType));

  /** The Parquet files of a shard directory (or its shards/ subdirectory), sorted by name. */
  static List<String> files(SparkSession spark, String dir) {
    try {
      Path path = new Path(dir);
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(path)) throw new HunminException("shards not found: " + dir);
      // the shards/ of an nsp output are read only when the output is complete, named whole or by that folder
      Path output = path.getName().equals("shards") && path.getParent() != null && fs.exists(new Path(path.getParent(), StageOutput.REPORT))
          ? path.getParent() : path;
      if (fs.exists(new Path(output, StageOutput.REPORT)) && !fs.exists(new Path(output, StageOutput.SUCCESS))) {
        throw new HunminException("shards are incomplete: " + output + " has no _SUCCESS (its nsp run did not finish)");
      }
      if (fs.exists(new Path(path, "shards"))) path = new Path(path, "shards");
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

  /** Schema, id range and length, per file, before any training: errors name the file and the row. */
  static long validate(SparkSession spark, List<String> files, int vocabSize, int maxLength) {
    long rows = 0;
    for (String file : files) {
      Dataset<Row> df = spark.read().parquet(file);
      for (Map.Entry<String, DataType> c : REQUIRED.entrySet()) {
        StructField f = Arrays.stream(df.schema().fields()).filter(x -> x.name().equals(c.getKey())).findFirst()
            .orElseThrow(() -> new HunminException("shard " + file + " has no column " + c.getKey()));
        if (!sameType(f.dataType(), c.getValue())) {
          throw new HunminException("shard " + file + ": column " + c.getKey() + " is " + f.dataType().simpleString()
              + ", the contract says " + c.getValue().simpleString());
        }
      }
      Dataset<Row> bad = df.select(col("_metadata.row_index").as("row"), col("input_ids"), col("token_type_ids"), col("next_sentence_label"))
          .where(expr("input_ids IS NULL OR token_type_ids IS NULL OR next_sentence_label IS NULL"
              + " OR next_sentence_label NOT IN (0, 1) OR size(input_ids) = 0 OR size(input_ids) > " + maxLength
              + " OR size(token_type_ids) != size(input_ids) OR array_max(input_ids) >= " + vocabSize + " OR array_min(input_ids) < 0"))
          .limit(1);
      for (Row r : bad.collectAsList()) {
        for (int c = 1; c <= 3; c++) {
          if (r.isNullAt(c)) throw new HunminException("shard " + file + " row " + r.getLong(0) + ": " + r.schema().fieldNames()[c] + " is null");
        }
        if (r.getInt(3) != 0 && r.getInt(3) != 1) {
          throw new HunminException("shard " + file + " row " + r.getLong(0) + ": next_sentence_label " + r.getInt(3)
              + " (the contract: 0 IsNext, 1 random next)");
        }
        List<Integer> ids = r.getList(1);
        int max = ids.stream().mapToInt(Integer::intValue).max().orElse(0);
        String why = ids.isEmpty() ? "no tokens" : ids.size() > maxLength ? ids.size() + " tokens > the model's " + maxLength
            : r.getList(2).size() != ids.size() ? "token_type_ids and input_ids differ in length"
            : max >= vocabSize ? "id " + max + " ≥ vocabulary size " + vocabSize : "a negative id";
        throw new HunminException("shard " + file + " row " + r.getLong(0) + ": " + why);
      }
      rows += df.count();
    }
    return rows;
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
