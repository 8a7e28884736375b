package dev.hunmin.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hunmin.util.HunminException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Reads raw documents from files, directories and globs in the formats {@code clean} accepts. Each record keeps
 * where it came from (file, byte offset or row) so that "first occurrence" is defined without partitioning.
 * Bytes are decoded strictly: invalid UTF-8 becomes a bad record, NUL bytes a clear error (a binary file).
 */
final class RawInputs {
  private RawInputs() {}

  enum Format { TEXT, JSONL, TSV, PARQUET }

  /**
   * How to read the inputs: the format (or auto by extension), whether plain text is the seed format (blank
   * lines between documents) or one document a line, and the field holding the text in each structured format.
   */
  record Layout(String format, String textFormat, String jsonlField, String tsvColumn, String parquetColumn)
      implements Serializable {
    static Layout of(String format, String textFormat, String field) {
      return new Layout(format, textFormat, field, field, field);
    }
  }

  /** A document's raw text, or why its record could not be read ({@code bad} is then set, {@code text} null). */
  record RawDoc(String source, long offset, String text, String bad) implements Serializable {}

  /** The files behind inputs, by format; missing paths and empty inputs are errors. */
  static Map<Format, List<FileStatus>> expand(Configuration conf, List<String> inputs, String format) {
    if (inputs.isEmpty()) throw new HunminException("--input is required");
    Map<Format, List<FileStatus>> out = new HashMap<>();
    long bytes = 0;
    for (String input : inputs) {
      try {
        Path path = new Path(input);
        FileSystem fs = path.getFileSystem(conf);
        FileStatus[] matches = fs.globStatus(path);
        if (matches == null || matches.length == 0) throw new HunminException("input not found: " + input);
        for (FileStatus match : matches) {
          for (FileStatus file : files(fs, match)) {
            out.computeIfAbsent(formatOf(file.getPath(), format), f -> new ArrayList<>()).add(file);
            bytes += file.getLen();
          }
        }
      } catch (IOException e) {
        throw new HunminException("cannot list input " + input + ": " + e.getMessage(), HunminException.EXTERNAL, e);
      }
    }
    if (bytes == 0) throw new HunminException("input is empty: " + String.join(", ", inputs));
    return out;
  }

  private static List<FileStatus> files(FileSystem fs, FileStatus status) throws IOException {
    List<FileStatus> out = new ArrayList<>();
    if (!status.isDirectory()) {
      out.add(status);
      return out;
    }
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(status.getPath(), true);
    while (it.hasNext()) {
      LocatedFileStatus f = it.next();
      String name = f.getPath().getName();
      if (!name.startsWith(".") && !name.startsWith("_") && !name.endsWith(".crc")) out.add(f);
    }
    out.sort((a, b) -> a.getPath().toString().compareTo(b.getPath().toString()));
    return out;
  }

  static Format formatOf(Path path, String configured) {
    if (!configured.equals("auto")) {
      try {
        return Format.valueOf(configured.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new HunminException("unknown format '" + configured + "' (auto, text, jsonl, tsv, parquet)");
      }
    }
    String name = path.getName().toLowerCase(Locale.ROOT).replaceAll("\\.(gz|bz2|deflate|zst)$", "");
    if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) return Format.JSONL;
    if (name.endsWith(".tsv")) return Format.TSV;
    if (name.endsWith(".parquet")) return Format.PARQUET;
    return Format.TEXT;
  }

  /** All documents of the inputs, in no particular order; each carries its source and offset. */
  static JavaRDD<RawDoc> read(SparkSession spark, List<String> inputs, Layout layout) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Map<Format, List<FileStatus>> byFormat = expand(jsc.hadoopConfiguration(), inputs, layout.format());
    boolean seed = switch (layout.textFormat()) {
      case "seed" -> true;
      case "lines" -> false;
      default -> throw new HunminException("text-format must be seed or lines, not '" + layout.textFormat() + "'");
    };
    JavaRDD<RawDoc> all = jsc.emptyRDD();
    for (Map.Entry<Format, List<FileStatus>> e : byFormat.entrySet()) {
      List<FileStatus> files = e.getValue();
      JavaRDD<RawDoc> docs = switch (e.getKey()) {
        case TEXT -> seed ? lines(jsc, files, "\n\n").flatMap(RawInputs::seedDocuments)
            : lines(jsc, files, null).map(RawInputs::lineDocument).filter(d -> d.bad() != null || !d.text().isBlank());
        case JSONL -> lines(jsc, files, null).mapPartitions(it -> jsonDocuments(it, layout.jsonlField()));
        case TSV -> tsv(jsc, files, layout.tsvColumn());
        case PARQUET -> parquet(spark, files, layout.parquetColumn());
      };
      all = all.union(docs);
    }
    return all;
  }

  /** A raw record: its file, byte offset and bytes (not yet decoded). */
  record RawRecord(String file, long offset, byte[] bytes) implements Serializable {}

  private static JavaRDD<RawRecord> lines(JavaSparkContext jsc, List<FileStatus> files, String delimiter) {
    Configuration conf = new Configuration(jsc.hadoopConfiguration());
    if (delimiter != null) conf.set("textinputformat.record.delimiter", delimiter);
    // a task opens its file before Hunmin's code sees a record: a file that is no gzip would fail there, unnamed
    java.util.Set<String> compressed = new java.util.HashSet<>();
    for (FileStatus f : files) if (requireDecompressible(conf, f.getPath())) compressed.add(f.getPath().toString());
    String paths = String.join(",", files.stream().map(f -> f.getPath().toString()).toList());
    @SuppressWarnings("unchecked")
    JavaNewHadoopRDD<LongWritable, Text> rdd = (JavaNewHadoopRDD<LongWritable, Text>)
        jsc.newAPIHadoopFile(paths, TextInputFormat.class, LongWritable.class, Text.class, conf);
    return rdd.mapPartitionsWithInputSplit((split, it) -> {
      Path path = ((FileSplit) split).getPath();
      String file = path.toString();
      List<RawRecord> out = new ArrayList<>();
      try {
        while (it.hasNext()) {
          var kv = it.next();
          Text t = kv._2();
          out.add(new RawRecord(file, kv._1().get(), java.util.Arrays.copyOf(t.getBytes(), t.getLength())));
        }
      } catch (Exception e) {
        if (compressed.contains(file) && corruptCompressed(e)) throw corruptInput(path, e); // cut short: found at its end
        throw e;
      }
      return out.iterator();
    }, true);
  }

  /**
   * A compressed file's first bytes decompress (the codec's header), so a mislabelled file is named at once.
   * Whether the file is compressed at all.
   */
  private static boolean requireDecompressible(Configuration conf, Path file) {
    CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(file);
    if (codec == null) return false;
    try (InputStream raw = file.getFileSystem(conf).open(file)) {
      try (InputStream in = codec.createInputStream(raw)) {
        in.read();
      } catch (IOException e) {
        if (corruptCompressed(e)) throw corruptInput(file, e);
        throw e;
      }
    } catch (IOException e) {
      throw new HunminException("cannot read " + file + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
    return true;
  }

  /**
   * Whether an error reading a compressed file is one of its bytes (not in the codec's format, cut short) rather
   * than of the store: the codecs say so with these exceptions and words.
   */
  static boolean corruptCompressed(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.util.zip.ZipException || t instanceof java.io.EOFException) return true;
      String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      if (m.contains("gzip") || m.contains("bzip2") || m.contains("end of input stream") || m.contains("end of stream")) return true;
    }
    return false;
  }

  private static HunminException corruptInput(Path file, Throwable e) {
    return new HunminException("corrupt compressed input " + file + ": " + e.getMessage() + " (not a complete "
        + file.getName().substring(file.getName().lastIndexOf('.') + 1) + " file)");
  }

  /** Strict UTF-8: null for invalid bytes. NUL bytes mean a binary file, which no setting makes readable. */
  static String decode(RawRecord r) {
    for (int i = 0; i < r.bytes().length; i++) {
      if (r.bytes()[i] == 0) {
        throw new HunminException("binary data in " + r.file() + " near byte " + (r.offset() + i) + ": not a text file");
      }
    }
    return strictUtf8(r.bytes());
  }

  /** The bytes as UTF-8, or null where they are not (no replacement characters: tokenize refuses them too). */
  static String strictUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** Seed format: a record is text between blank lines; lines of only white space separate documents too. */
  private static Iterator<RawDoc> seedDocuments(RawRecord r) {
    String text = decode(r);
    if (text == null) return List.of(new RawDoc(r.file(), r.offset(), null, "invalid_utf8")).iterator();
    // offset: the record's byte offset plus the document's char index in it, below the next record's offset
    List<RawDoc> out = new ArrayList<>();
    StringBuilder doc = new StringBuilder();
    int docStart = 0;
    int at = 0;
    for (String line : text.split("\n", -1)) {
      if (line.isBlank()) {
        if (doc.length() > 0) out.add(new RawDoc(r.file(), r.offset() + docStart, doc.toString(), null));
        doc.setLength(0);
        docStart = at + line.length() + 1;
      } else {
        doc.append(line.strip()).append('\n');
      }
      at += line.length() + 1;
    }
    if (doc.length() > 0) out.add(new RawDoc(r.file(), r.offset() + docStart, doc.toString(), null));
    return out.iterator();
  }

  private static RawDoc lineDocument(RawRecord r) {
    String text = decode(r);
    return text == null ? new RawDoc(r.file(), r.offset(), null, "invalid_utf8") : new RawDoc(r.file(), r.offset(), text, null);
  }

  private static Iterator<RawDoc> jsonDocuments(Iterator<RawRecord> records, String field) {
    // a line is one object: anything after it ("{...} garbage") makes the line invalid JSON
    ObjectMapper json = new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    List<RawDoc> out = new ArrayList<>();
    while (records.hasNext()) {
      RawRecord r = records.next();
      String line = decode(r);
      if (line == null) {
        out.add(new RawDoc(r.file(), r.offset(), null, "invalid_utf8"));
        continue;
      }
      if (line.isBlank()) continue;
      JsonNode node;
      try {
        node = json.readTree(line);
      } catch (IOException e) {
        out.add(new RawDoc(r.file(), r.offset(), null, "invalid_json"));
        continue;
      }
      JsonNode value = node == null ? null : node.get(field);
      if (value == null || !value.isTextual()) out.add(new RawDoc(r.file(), r.offset(), null, "missing_field"));
      else out.add(new RawDoc(r.file(), r.offset(), value.asText(), null));
    }
    return out.iterator();
  }

  private static JavaRDD<RawDoc> tsv(JavaSparkContext jsc, List<FileStatus> files, String column) {
    Map<String, Integer> columnIndex = new HashMap<>();
    for (FileStatus f : files) columnIndex.put(f.getPath().toString(), tsvColumn(jsc.hadoopConfiguration(), f.getPath(), column));
    return lines(jsc, files, null).mapPartitions(records -> {
      List<RawDoc> out = new ArrayList<>();
      while (records.hasNext()) {
        RawRecord r = records.next();
        if (r.offset() == 0) continue; // the header
        String line = decode(r);
        if (line == null) {
          out.add(new RawDoc(r.file(), r.offset(), null, "invalid_utf8"));
          continue;
        }
        if (line.isBlank()) continue;
        String[] fields = line.split("\t", -1);
        int index = columnIndex.get(r.file());
        if (index >= fields.length) out.add(new RawDoc(r.file(), r.offset(), null, "missing_field"));
        else out.add(new RawDoc(r.file(), r.offset(), fields[index], null));
      }
      return out.iterator();
    });
  }

  /** The index of {@code column} in a TSV file's header, read on the driver. */
  private static int tsvColumn(Configuration conf, Path file, String column) {
    try {
      FileSystem fs = file.getFileSystem(conf);
      CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(file);
      try (InputStream raw = fs.open(file);
           InputStream in = codec == null ? raw : codec.createInputStream(raw);
           BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String header = reader.readLine();
        if (header == null) throw new HunminException("TSV " + file + " is empty (it needs a header line)");
        List<String> names = List.of(header.replace("\uFEFF", "").split("\t", -1));
        int index = names.indexOf(column);
        if (index < 0) throw new HunminException("TSV " + file + " has no column '" + column + "' (columns: " + String.join(", ", names) + ")");
        return index;
      }
    } catch (IOException e) {
      if (new CompressionCodecFactory(conf).getCodec(file) != null && corruptCompressed(e)) throw corruptInput(file, e);
      throw new HunminException("cannot read " + file + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  private static JavaRDD<RawDoc> parquet(SparkSession spark, List<FileStatus> files, String column) {
    String[] paths = files.stream().map(f -> f.getPath().toString()).toArray(String[]::new);
    Dataset<Row> df = spark.read().parquet(paths);
    StructField f = java.util.Arrays.stream(df.schema().fields()).filter(x -> x.name().equals(column)).findFirst()
        .orElseThrow(() -> new HunminException("Parquet " + paths[0] + " has no column '" + column + "' (columns: "
            + String.join(", ", df.schema().fieldNames()) + ")"));
    if (!f.dataType().equals(DataTypes.StringType)) {
      throw new HunminException("Parquet column '" + column + "' in " + paths[0] + " is " + f.dataType().simpleString() + ", not string");
    }
    return df.select(df.col(column), df.col("_metadata.file_path"), df.col("_metadata.row_index")).javaRDD()
        .map(row -> row.isNullAt(0)
            ? new RawDoc(row.getString(1), row.getLong(2), null, "missing_field")
            : new RawDoc(row.getString(1), row.getLong(2), row.getString(0), null));
  }
}
