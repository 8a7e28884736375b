package dev.hunmin.jobs;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.Util;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Makes a Parquet file's footer the same from one JVM to the next. parquet-mr lists each column chunk's encodings
 * from a HashSet of enum constants, whose order follows their identity hash codes: two runs that write the same
 * rows give files that differ in those few bytes. Sorting the lists (a permutation, so the footer keeps its length)
 * makes reruns byte-identical, as the stages promise. Also reads a file's schema from its footer (predict compares
 * its input files').
 */
final class ParquetFooters {
  private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

  private ParquetFooters() {}

  /** A file's footer (Thrift FileMetaData) and where it starts. */
  private record Footer(byte[] bytes, long start) {}

  private static Footer footer(FileSystem fs, Path file) throws IOException {
    long length = fs.getFileStatus(file).getLen();
    try (FSDataInputStream in = fs.open(file)) {
      byte[] tail = new byte[8];
      // "is not a Parquet file", as parquet-mr says it: the CLI reports either as unreadable Parquet input
      if (length < 12) throw new IOException(file + " is not a Parquet file (too short)");
      in.readFully(length - 8, tail);
      if (!java.util.Arrays.equals(tail, 4, 8, MAGIC, 0, 4)) throw new IOException(file + " is not a Parquet file (no PAR1 at its end)");
      int footerLength = (tail[0] & 0xFF) | (tail[1] & 0xFF) << 8 | (tail[2] & 0xFF) << 16 | (tail[3] & 0xFF) << 24;
      long start = length - 8 - footerLength;
      if (footerLength < 0 || start < 4) throw new IOException(file + " is not a Parquet file (its footer length is " + footerLength + ")");
      byte[] footer = new byte[footerLength];
      in.readFully(start, footer);
      return new Footer(footer, start);
    }
  }

  /** A file's schema from its footer, read here (the driver): no Spark job, one small read per file. */
  static MessageType schema(Configuration conf, Path file) throws IOException {
    Footer footer = footer(file.getFileSystem(conf), file);
    return new ParquetMetadataConverter().readParquetMetadata(new ByteArrayInputStream(footer.bytes())).getFileMetaData().getSchema();
  }

  /** Rewrites {@code file} with its encodings lists sorted; returns false, touching nothing, when they already are. */
  static boolean canonicalize(Configuration conf, Path file) throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    Footer read = footer(fs, file);
    byte[] footer = read.bytes();
    long footerStart = read.start();
    FileMetaData metadata = Util.readFileMetaData(new ByteArrayInputStream(footer));
    if (!sortEncodings(metadata)) return false;
    ByteArrayOutputStream rewritten = new ByteArrayOutputStream(footer.length);
    Util.writeFileMetaData(metadata, rewritten);
    if (rewritten.size() != footer.length) throw new IOException("footer of " + file + " changed length when sorted");

    Path tmp = new Path(file.getParent(), "." + file.getName() + ".canonical");
    try (InputStream in = fs.open(file); OutputStream out = fs.create(tmp, true)) {
      copy(in, out, footerStart);
      rewritten.writeTo(out);
      for (int shift = 0; shift < 32; shift += 8) out.write(footer.length >>> shift); // little-endian length
      out.write(MAGIC);
    }
    if (!fs.delete(file, false) || !fs.rename(tmp, file)) throw new IOException("cannot replace " + file);
    return true;
  }

  /** Canonicalizes the part files in {@code dir}, one Spark task each, where they were written (executors). */
  static void canonicalizeAll(JavaSparkContext jsc, FileSystem fs, Path dir) throws IOException {
    List<String> files = new ArrayList<>();
    for (FileStatus f : fs.listStatus(dir, p -> p.getName().startsWith("part-"))) files.add(f.getPath().toString());
    if (files.isEmpty()) return;
    Map<String, String> conf = ShippedConf.of(jsc.hadoopConfiguration());
    jsc.parallelize(files, files.size()).foreach(f -> canonicalize(ShippedConf.restore(conf), new Path(f)));
  }

  /** Sorts every column chunk's encodings by their Thrift value; whether any list changed. */
  static boolean sortEncodings(FileMetaData metadata) {
    boolean changed = false;
    for (RowGroup group : metadata.getRow_groups()) {
      for (ColumnChunk chunk : group.getColumns()) {
        ColumnMetaData column = chunk.getMeta_data();
        if (column == null || column.getEncodings() == null) continue;
        List<Encoding> sorted = new ArrayList<>(column.getEncodings());
        sorted.sort(Comparator.comparingInt(Encoding::getValue));
        if (!sorted.equals(column.getEncodings())) {
          column.setEncodings(sorted);
          changed = true;
        }
      }
    }
    return changed;
  }

  private static void copy(InputStream in, OutputStream out, long bytes) throws IOException {
    byte[] buffer = new byte[1 << 16];
    for (long left = bytes; left > 0; ) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) throw new IOException("file ended early");
      out.write(buffer, 0, n);
      left -= n;
    }
  }
}
