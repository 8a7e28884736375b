package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The clean job end to end through the CLI, on the embedded sample corpus. */
class CleanJobTest {
  @TempDir static Path tmp;
  static Path sample;
  static Path out;
  static Hunmin.Result first;

  @BeforeAll
  static void cleanTheSample() throws IOException {
    sample = Hunmin.sample(tmp);
    out = tmp.resolve("clean");
    first = Hunmin.run("clean", "--input", sample.toString(), "--output", out.toString(), "--master", "local[2]");
    assertEquals(0, first.exit(), first.err());
  }

  @Test
  void writesDocsTextReportAndSuccessLast() throws IOException {
    assertTrue(Files.exists(out.resolve("_SUCCESS")));
    JsonNode report = Hunmin.report(out);
    assertEquals(54, report.at("/documents/in").asLong());
    long docsOut = report.at("/documents/out").asLong();
    assertEquals(1, report.at("/drops/too_short").asLong(), "the ㅋㅋㅋ document");
    assertEquals(1, report.at("/dedup/documents").asLong(), "one exact duplicate");
    assertEquals(1, report.at("/dedup/near_duplicate_documents").asLong(), "one near duplicate");
    assertEquals(0, report.at("/dedup/sentences").asLong(-1), "the documented keys are there when nothing was found");
    assertEquals(0, report.at("/exclusion/texts").asLong(-1), "and when the step is off");
    assertEquals(1, report.at("/boilerplate_sentences").asLong());
    assertEquals(51, docsOut);
    for (String kind : List.of("phone", "email", "rrn", "card", "account", "ip", "url")) {
      assertTrue(report.at("/pii/" + kind).asLong() > 0, "PII kind " + kind + " counted");
    }

    SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
    try {
      Dataset<Row> docs = spark.read().parquet(out.resolve("docs").toString());
      assertEquals("struct<doc_id:string,source:string,sentences:array<string>>", docs.schema().simpleString());
      assertEquals(docsOut, docs.count());
      assertEquals(docsOut, docs.select("doc_id").distinct().count());
    } finally {
      spark.stop();
    }
  }

  @Test
  void textIsTheSeedFormatWithPiiScrubbed() throws IOException {
    String text = Hunmin.readAll(out.resolve("text"), ".txt");
    String[] documents = text.split("\n\n");
    assertEquals(51, documents.length);
    assertTrue(text.contains("이순신은 조선 중기의 무신이다.\n"), "one sentence a line");
    assertFalse(Pattern.compile("010[- ]?\\d{4}[- ]?\\d{4}").matcher(text).find(), "no phone number left");
    assertFalse(text.contains("@example.com"), "no e-mail left");
    assertFalse(text.contains("900101-1234567"), "no resident registration number left");
    assertTrue(text.contains("<PHONE>") && text.contains("<RRN>") && text.contains("<CARD>"));
    assertFalse(text.contains("\u200b"), "zero-width spaces removed");
    assertFalse(text.contains("ㅋㅋㅋㅋ"), "repeats squeezed to 3");
  }

  @Test
  void rerunIsByteIdenticalWhateverTheCoreCount() throws IOException {
    Path again = tmp.resolve("clean-again");
    Hunmin.Result r = Hunmin.run("clean", "--input", sample.toString(), "--output", again.toString(), "--master", "local[1]");
    assertEquals(0, r.exit(), r.err());
    for (String sub : List.of("docs", "text")) {
      List<Path> a = parts(out.resolve(sub));
      List<Path> b = parts(again.resolve(sub));
      assertEquals(a.stream().map(p -> p.getFileName().toString()).toList(), b.stream().map(p -> p.getFileName().toString()).toList());
      for (int i = 0; i < a.size(); i++) assertArrayEquals(Files.readAllBytes(a.get(i)), Files.readAllBytes(b.get(i)), a.get(i).toString());
    }
  }

  @Test
  void existingOutputIsRefusedUnlessOverwrite() throws IOException {
    Hunmin.Result refused = Hunmin.run("clean", "--input", sample.toString(), "--output", out.toString());
    assertEquals(2, refused.exit());
    assertTrue(refused.errorLine().contains("output exists: ") && refused.errorLine().contains("--overwrite"), refused.err());
    Path copy = tmp.resolve("overwritten");
    assertEquals(0, Hunmin.run("clean", "--input", sample.toString(), "--output", copy.toString()).exit());
    Hunmin.Result replaced = Hunmin.run("clean", "--input", sample.toString(), "--output", copy.toString(), "--overwrite",
        "--set", "clean.near-dup=false");
    assertEquals(0, replaced.exit(), replaced.err());
    assertEquals(52, Hunmin.report(copy).at("/documents/out").asLong(), "the near duplicate stays when near-dup is off");
  }

  @Test
  void decontaminationRemovesExcludedTextsFromTheCorpus() throws IOException {
    Path eval = tmp.resolve("eval.tsv");
    Files.writeString(eval, "id\tdocument\tlabel\n1\t이순신은 조선 중기의 무신이다.\t1\n", StandardCharsets.UTF_8);
    Path o = tmp.resolve("decontaminated");
    Hunmin.Result r = Hunmin.run("clean", "--input", sample.toString(), "--output", o.toString(), "--exclude", eval.toString());
    assertEquals(0, r.exit(), r.err());
    assertEquals(1, Hunmin.report(o).at("/exclusion/texts").asLong());
    assertEquals(1, Hunmin.report(o).at("/exclusion/sentences").asLong());
    assertFalse(Hunmin.readAll(o.resolve("text"), ".txt").contains("이순신은 조선 중기의 무신이다."));
  }

  private static List<Path> parts(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
    }
  }

  @Test
  void aBucketRemovesEachDocumentNearAnEarlierOne() {
    String text = "대한민국은 민주공화국이다 대한민국의 주권은 국민에게 있고 모든 권력은 국민으로부터 나온다";
    org.apache.spark.ml.linalg.Vector a = CleanJob.shingles(text, 5);
    org.apache.spark.ml.linalg.Vector nearA = CleanJob.shingles(text + "!", 5);
    org.apache.spark.ml.linalg.Vector other = CleanJob.shingles("오늘 본 영화는 배우들의 연기가 정말 좋았고 음악도 훌륭했다", 5);
    assertEquals(0.0, CleanJob.jaccardDistance(a, a));
    assertTrue(CleanJob.jaccardDistance(a, nearA) < 0.2, "one shingle more of many");
    assertEquals(1.0, CleanJob.jaccardDistance(a, other), "nothing shared");
    // given out of order: the earliest by (source, offset) stays, whichever key it has
    List<Row> bucket = List.of(org.apache.spark.sql.RowFactory.create("b.txt", 0L, 3L, nearA),
        org.apache.spark.sql.RowFactory.create("a.txt", 9L, 1L, a), org.apache.spark.sql.RowFactory.create("a.txt", 10L, 2L, other));
    assertEquals(List.of(3L), CleanJob.laterCopies(bucket, 0.2));
  }
}
