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
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * NSP shards as pretrain reads them: any Parquet files with the documented schema (from nsp or another team's
 * job), checked before training starts, then streamed in file order one partition at a time, so memory does not
 * grow with the data.
 */
final class Shards {
  private Shards() {}

  private static final Map<String, DataType> REQUIRED = Map.of(
      "input_ids", DataTypes.createArrayType(DataTypes.IntegerType),
      "token_type_ids", DataTypes.createArrayType(DataTypes.ByteType),
      "next_sentence_label", DataTypes.IntegerType);

  /** The Parquet files of a shard directory (or its shards/ subdirectory), sorted by name. */
  static List<String> files(SparkSession spark, String dir) {
    try {
      Path path = new Path(dir);
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(path)) throw new HunminException("shards not found: " + dir);
      if (fs.exists(new Path(path, StageOutput.REPORT)) && !fs.exists(new Path(path, StageOutput.SUCCESS))) {
        throw new HunminException("shards are incomplete: " + dir + " has no _SUCCESS (its nsp run did not finish)");
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
      Dataset<Row> bad = df.select(col("_metadata.row_index").as("row"), col("input_ids"), col("token_type_ids"))
          .where(expr("size(input_ids) = 0 OR size(input_ids) > " + maxLength + " OR size(token_type_ids) != size(input_ids)"
              + " OR array_max(input_ids) >= " + vocabSize + " OR array_min(input_ids) < 0"))
          .limit(1);
      for (Row r : bad.collectAsList()) {
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

  /** Examples of the files in order, epoch after epoch, without end; the optional masking columns are honoured. */
  static Iterator<Batch.Example> stream(SparkSession spark, List<String> files) {
    return new Iterator<>() {
      int file = -1;
      Iterator<Row> rows = java.util.Collections.emptyIterator();
      boolean masked;

      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public Batch.Example next() {
        for (int tries = 0; !rows.hasNext(); tries++) {
          if (tries > files.size()) throw new NoSuchElementException("the shards hold no rows");
          file = (file + 1) % files.size();
          Dataset<Row> df = spark.read().parquet(files.get(file));
          masked = Arrays.asList(df.schema().fieldNames()).contains("masked_lm_positions");
          rows = (masked ? df.select("input_ids", "token_type_ids", "next_sentence_label", "masked_lm_positions", "masked_lm_ids")
              : df.select("input_ids", "token_type_ids", "next_sentence_label")).toLocalIterator();
        }
        Row r = rows.next();
        return new Batch.Example(ints(r.getList(0)), bytes(r.getList(1)), r.getInt(2),
            masked ? ints(r.getList(3)) : null, masked ? ints(r.getList(4)) : null);
      }
    };
  }

  /** The first n examples of a file (the validation shard). */
  static List<Batch.Example> head(SparkSession spark, String file, int n) {
    List<Batch.Example> out = new ArrayList<>();
    Iterator<Batch.Example> it = stream(spark, List.of(file));
    long rows = spark.read().parquet(file).count();
    for (int i = 0; i < Math.min(n, rows); i++) out.add(it.next());
    return out;
  }

  private static int[] ints(List<Integer> list) {
    return list.stream().mapToInt(Integer::intValue).toArray();
  }

  private static byte[] bytes(List<Byte> list) {
    byte[] out = new byte[list.size()];
    for (int i = 0; i < out.length; i++) out[i] = list.get(i);
    return out;
  }
}
