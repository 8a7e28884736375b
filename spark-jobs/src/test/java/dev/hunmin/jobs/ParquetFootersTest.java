package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetFootersTest {
  private static final MessageType SCHEMA = MessageTypeParser.parseMessageType(
      "message example { repeated int32 input_ids; required int32 next_sentence_label; }");

  @TempDir java.nio.file.Path tmp;

  /**
   * Another JVM lists each column chunk's encodings in another order (parquet-mr's HashSet of enums); simulated
   * here by one file with the lists in ascending and one in descending order. Both, canonicalized, are
   * byte-identical and read back the same rows.
   */
  @Test
  void filesThatDifferOnlyInEncodingOrderBecomeIdentical() throws IOException {
    Configuration conf = new Configuration();
    java.nio.file.Path written = tmp.resolve("written.parquet");
    write(written);
    java.nio.file.Path ascending = tmp.resolve("a.parquet");
    java.nio.file.Path descending = tmp.resolve("b.parquet");
    Files.write(ascending, withEncodingsOrdered(Files.readAllBytes(written), false));
    Files.write(descending, withEncodingsOrdered(Files.readAllBytes(written), true));
    assertFalse(Arrays.equals(Files.readAllBytes(ascending), Files.readAllBytes(descending)), "two runs' files differ");

    ParquetFooters.canonicalize(conf, new org.apache.hadoop.fs.Path(ascending.toUri()));
    assertTrue(ParquetFooters.canonicalize(conf, new org.apache.hadoop.fs.Path(descending.toUri())));
    assertArrayEquals(Files.readAllBytes(ascending), Files.readAllBytes(descending));
    assertFalse(ParquetFooters.canonicalize(conf, new org.apache.hadoop.fs.Path(ascending.toUri())), "already canonical: untouched");
    assertEquals(rows(written), rows(descending));
    assertEquals(1000, rows(descending).size());
  }

  @Test
  void aFileThatIsNoParquetIsRefused() throws IOException {
    java.nio.file.Path text = tmp.resolve("x.parquet");
    Files.writeString(text, "not parquet at all");
    IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
        () -> ParquetFooters.canonicalize(new Configuration(), new org.apache.hadoop.fs.Path(text.toUri())));
    assertTrue(e.getMessage().contains("not a Parquet file"), e.getMessage());
  }

  private static void write(java.nio.file.Path file) throws IOException {
    SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
    try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(file.toUri()))
        .withType(SCHEMA).withConf(new Configuration()).build()) {
      for (int i = 0; i < 1000; i++) {
        Group g = groups.newGroup();
        for (int j = 0; j < 1 + i % 7; j++) g.add("input_ids", (i * 31 + j) % 50);
        g.add("next_sentence_label", i % 2);
        writer.write(g);
      }
    }
  }

  /** The same file with every encodings list sorted one way or the other (footer rewritten in place: same length). */
  private static byte[] withEncodingsOrdered(byte[] file, boolean descending) throws IOException {
    int n = file.length;
    int footerLength = (file[n - 8] & 0xFF) | (file[n - 7] & 0xFF) << 8 | (file[n - 6] & 0xFF) << 16 | (file[n - 5] & 0xFF) << 24;
    int start = n - 8 - footerLength;
    FileMetaData metadata = Util.readFileMetaData(new ByteArrayInputStream(file, start, footerLength));
    boolean reversedOne = false;
    for (var group : metadata.getRow_groups()) {
      for (ColumnChunk chunk : group.getColumns()) {
        ColumnMetaData column = chunk.getMeta_data();
        List<Encoding> encodings = new ArrayList<>(column.getEncodings());
        encodings.sort(null);
        if (descending) Collections.reverse(encodings);
        reversedOne |= encodings.size() > 1;
        column.setEncodings(encodings);
      }
    }
    assertTrue(reversedOne, "some column chunk has two encodings");
    ByteArrayOutputStream footer = new ByteArrayOutputStream();
    Util.writeFileMetaData(metadata, footer);
    assertEquals(footerLength, footer.size());
    byte[] out = file.clone();
    System.arraycopy(footer.toByteArray(), 0, out, start, footerLength);
    return out;
  }

  private static List<String> rows(java.nio.file.Path file) throws IOException {
    List<String> out = new ArrayList<>();
    try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), new org.apache.hadoop.fs.Path(file.toUri())).build()) {
      for (Group g; (g = reader.read()) != null; ) out.add(g.toString());
    }
    return out;
  }
}
