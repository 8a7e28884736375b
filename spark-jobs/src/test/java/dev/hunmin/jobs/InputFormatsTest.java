package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inputs as files, gzip, directories, globs and Parquet, mixed in one run. */
class InputFormatsTest {
  @TempDir Path tmp;

  private static final List<String> DOCS = List.of(
      "부산은 대한민국 제2의 도시이다.\n해운대 해수욕장이 유명하다.",
      "제주도는 화산섬이다.\n한라산은 남한에서 가장 높은 산이다.",
      "세종대왕은 훈민정음을 창제하였다.\n훈민정음은 1446년에 반포되었다.",
      "경주는 신라의 수도였다.\n불국사와 석굴암이 있다.");

  @Test
  void gzipDirectoryGlobAndParquetTogether() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("corpus/part"));
    try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(dir.resolve("a.txt.gz")))) {
      gz.write((DOCS.get(0) + "\n\n" + DOCS.get(1) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    Files.writeString(tmp.resolve("b-1.txt"), DOCS.get(2) + "\n", StandardCharsets.UTF_8);
    Path parquet = tmp.resolve("c.parquet");
    SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
    try {
      StructType schema = new StructType().add("id", DataTypes.IntegerType).add("body", DataTypes.StringType);
      List<Row> rows = List.of(RowFactory.create(1, DOCS.get(3)), RowFactory.create(2, null));
      spark.createDataFrame(rows, schema).coalesce(1).write().parquet(parquet.toString());
    } finally {
      spark.stop();
    }
    Path out = tmp.resolve("out");
    Hunmin.Result r = Hunmin.run("clean", "--input", tmp.resolve("corpus") + "," + tmp.resolve("b-*.txt") + "," + parquet,
        "--parquet-column", "body", "--output", out.toString());
    assertEquals(0, r.exit(), r.err());
    assertEquals(5, Hunmin.report(out).at("/documents/in").asLong());
    assertEquals(1, Hunmin.report(out).at("/drops/missing_field").asLong(), "the null body");
    assertEquals(4, Hunmin.report(out).at("/documents/out").asLong());
    String text = Hunmin.readAll(out.resolve("text"), ".txt");
    for (String doc : DOCS) assertTrue(text.contains(doc + "\n\n"), doc);
  }

  @Test
  void parquetColumnMustBeAString() throws IOException {
    Path parquet = tmp.resolve("n.parquet");
    SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
    try {
      spark.range(3).toDF("text").write().parquet(parquet.toString());
    } finally {
      spark.stop();
    }
    Hunmin.Result r = Hunmin.run("clean", "--input", parquet.toString(), "--output", tmp.resolve("out").toString());
    assertEquals(2, r.exit());
    assertTrue(r.errorLine().matches("hunmin clean: error: Parquet column 'text' in .*n\\.parquet.* is bigint, not string"), r.err());
  }
}
