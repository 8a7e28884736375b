package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nsp through the CLI on the cleaned sample corpus: the Parquet contract, balance, reruns. */
class NspJobTest {
  @TempDir static Path tmp;
  static Path clean;
  static Path vocab;
  static Path nsp;

  @BeforeAll
  static void prepare() throws IOException {
    Path sample = Hunmin.sample(tmp);
    clean = tmp.resolve("clean");
    vocab = tmp.resolve("vocab");
    nsp = tmp.resolve("nsp");
    assertEquals(0, Hunmin.run("clean", "--input", sample.toString(), "--output", clean.toString()).exit());
    assertEquals(0, Hunmin.run("vocab", "--input", clean.toString(), "--output", vocab.toString(), "--vocab-size", "1500").exit());
    Hunmin.Result r = Hunmin.run("nsp", "--input", clean.toString(), "--vocab", vocab.toString(), "--output", nsp.toString(),
        "--shards", "4", "--max-seq-length", "64", "--dupe-factor", "3", "--master", "local[2]");
    assertEquals(0, r.exit(), r.err());
  }

  @Test
  void inspectListsAFileOfNoRows() throws IOException {
    Path table = Files.createDirectories(tmp.resolve("with-empty"));
    Files.copy(nsp.resolve("shards/part-00000.parquet"), table.resolve("part-00000.parquet"));
    SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
    try {
      spark.read().parquet(table.resolve("part-00000.parquet").toString()).limit(0).coalesce(1)
          .write().parquet(tmp.resolve("empty").toString());
    } finally {
      spark.stop();
    }
    try (var files = Files.list(tmp.resolve("empty"))) {
      Path empty = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
      Files.copy(empty, table.resolve("part-00001.parquet"));
    }
    Hunmin.Result r = Hunmin.run("inspect", table.toString(), "--json");
    assertEquals(0, r.exit(), r.err());
    JsonNode out = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
    assertEquals(2, out.at("/files").size(), out.toString());
    assertEquals(0, out.at("/files/1/rows").asLong(-1));
    assertTrue(out.at("/files/1/file").asText().endsWith("part-00001.parquet"));
    Hunmin.Result text = Hunmin.run("inspect", table.toString());
    assertTrue(text.out().contains("part-00001.parquet: 0 rows\n"), text.out());
    assertTrue(text.out().contains(" in 2 files\n"), text.out());
  }

  @Test
  void inspectPrintsTheShardsAsJsonWithDecodedTokens() throws IOException {
    Hunmin.Result r = Hunmin.run("inspect", nsp.toString(), "--json", "--rows", "3");
    assertEquals(0, r.exit(), r.err());
    JsonNode out = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
    assertEquals(Hunmin.report(nsp).at("/examples").asLong(), out.at("/rows").asLong());
    assertEquals(4, out.at("/files").size());
    assertEquals("input_ids", out.at("/schema/0/name").asText());
    assertEquals("array<int>", out.at("/schema/0/type").asText());
    // as the files declare it (Spark reads every column as nullable)
    assertEquals(false, out.at("/schema/0/nullable").asBoolean(true));
    assertEquals(false, out.at("/schema/0/element_nullable").asBoolean(true));
    assertEquals(false, out.at("/schema/2/nullable").asBoolean(true));
    assertEquals(3, out.at("/sample").size());
    JsonNode first = out.at("/sample/0");
    assertEquals(first.at("/input_ids").size(), first.at("/input_tokens").size());
    assertEquals("[CLS]", first.at("/input_tokens/0").asText(), "decoded with the vocab the report names");
    assertEquals("nsp", out.at("/report/stage").asText());
    // a flag's value is recorded as the type of its key (--max-seq-length 64: a number, not "64")
    assertTrue(out.at("/report/config/max-seq-length").isIntegralNumber(), out.at("/report/config").toString());

    Hunmin.Result docs = Hunmin.run("inspect", "--input", clean.toString());
    assertEquals(0, docs.exit(), docs.err());
    assertTrue(docs.out().contains("sentences array<string>"), docs.out());
  }

  @Test
  void badSettingsAndInputsFailBeforeAnyOutput() throws IOException {
    Path out = tmp.resolve("nsp-bad");
    Hunmin.Result shards = Hunmin.run("nsp", "--input", clean.toString(), "--vocab", vocab.toString(), "--output", out.toString(), "--shards", "0");
    assertEquals(2, shards.exit());
    assertEquals("hunmin nsp: error: --shards (hunmin.nsp.shards) must be at least 1, not 0", shards.errorLine());
    Hunmin.Result prob = Hunmin.run("nsp", "--input", clean.toString(), "--vocab", vocab.toString(), "--output", out.toString(), "--nsp-prob", "1.5");
    assertEquals("hunmin nsp: error: --nsp-prob (hunmin.nsp.nsp-prob) must be between 0 and 1, not 1.5", prob.errorLine());
    Hunmin.Result notClean = Hunmin.run("nsp", "--input", vocab.toString(), "--vocab", vocab.toString(), "--output", out.toString());
    assertEquals(2, notClean.exit());
    assertEquals("hunmin nsp: error: " + vocab + " is a hunmin vocab output, not a hunmin clean output", notClean.errorLine());
    Path noUnk = Files.createDirectories(tmp.resolve("vocab-empty"));
    Files.writeString(noUnk.resolve("vocab.txt"), "");
    Hunmin.Result empty = Hunmin.run("nsp", "--input", clean.toString(), "--vocab", noUnk.toString(), "--output", out.toString());
    assertEquals(2, empty.exit());
    assertTrue(empty.errorLine().startsWith("hunmin nsp: error: cannot load the tokenizer in " + noUnk + ": "), empty.err());
    assertTrue(!Files.exists(out), "no output after a failed run");
  }

  @Test
  void tokenizeRefusesBinaryInputAndKeepsTheOldOutput() throws IOException {
    Path good = Files.writeString(tmp.resolve("lines.txt"), "서울은 대한민국의 수도이다.\n");
    Path ids = tmp.resolve("ids.txt");
    assertEquals(0, Hunmin.run("tokenize", "--vocab", vocab.toString(), "--input", good.toString(), "--output", ids.toString()).exit());
    String before = Files.readString(ids);
    Path bin = Files.write(tmp.resolve("model.bin"), new byte[] {'a', 0, 'b', '\n'});
    Hunmin.Result r = Hunmin.run("tokenize", "--vocab", vocab.toString(), "--input", bin.toString(), "--output", ids.toString(), "--overwrite");
    assertEquals(2, r.exit());
    assertEquals("hunmin tokenize: error: binary data in " + bin + " at line 1: not a text file", r.errorLine());
    Path latin1 = Files.write(tmp.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
    Hunmin.Result invalid = Hunmin.run("tokenize", "--vocab", vocab.toString(), "--input", latin1.toString(), "--output", ids.toString(), "--overwrite");
    assertEquals("hunmin tokenize: error: invalid UTF-8 in " + latin1 + " at line 1: tokenize reads UTF-8 text", invalid.errorLine());
    Hunmin.Result dir = Hunmin.run("tokenize", "--vocab", vocab.toString(), "--input", tmp.toString(), "--output", ids.toString(), "--overwrite");
    assertEquals("hunmin tokenize: error: input is a directory, not a text file: " + tmp, dir.errorLine());
    Hunmin.Result same = Hunmin.run("tokenize", "--vocab", vocab.toString(), "--input", ids.toString(), "--output", ids.toString(), "--overwrite");
    assertEquals("hunmin tokenize: error: --output is the input " + ids + ": choose another file", same.errorLine());
    assertEquals(before, Files.readString(ids), "the old output is kept");
    try (var files = Files.list(tmp)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".ids.txt.tmp")), "no staging file left");
    }
  }

  @Test
  void inspectOfSomethingThatIsNoParquetIsAnError() {
    Hunmin.Result r = Hunmin.run("inspect", vocab.toString());
    assertEquals(2, r.exit());
    assertTrue(r.errorLine().startsWith("hunmin inspect: error: no readable Parquet at " + vocab + ": "), r.err());
  }

  @Test
  void aVocabularySmallerThanItsAlphabetIsAnError() {
    Hunmin.Result r = Hunmin.run("vocab", "--input", clean.toString(), "--output", tmp.resolve("vocab-small").toString(), "--vocab-size", "50");
    assertEquals(2, r.exit());
    assertTrue(r.errorLine().startsWith("hunmin vocab: error: --vocab-size 50 is below the "), r.err());
  }

  @Test
  void shardsFollowTheContract() throws IOException {
    JsonNode report = Hunmin.report(nsp);
    long examples = report.at("/examples").asLong();
    assertTrue(examples > 200, "three passes over 51 documents");
    SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
    try {
      List<Path> shards = parts(nsp.resolve("shards"));
      assertEquals(4, shards.size());
      long min = Long.MAX_VALUE;
      long max = 0;
      for (Path shard : shards) {
        long n = spark.read().parquet(shard.toString()).count();
        min = Math.min(min, n);
        max = Math.max(max, n);
      }
      assertTrue(max - min <= Math.max(1, examples / 4 / 100), "balanced within 1%: " + min + ".." + max);
      Dataset<Row> all = spark.read().parquet(nsp.resolve("shards").toString());
      assertEquals("struct<input_ids:array<int>,token_type_ids:array<tinyint>,next_sentence_label:int>", all.schema().simpleString());
      assertEquals(examples, all.count());
      for (Row row : all.collectAsList()) {
        List<Integer> ids = row.getList(0);
        List<Byte> types = row.getList(1);
        assertTrue(ids.size() <= 64 && ids.size() == types.size());
        assertEquals(2, ids.get(0), "[CLS]");
        assertEquals(3, ids.get(ids.size() - 1), "[SEP]");
        assertEquals(2, ids.stream().filter(i -> i == 3).count(), "two [SEP]");
        int sep = ids.indexOf(3);
        assertTrue(sep >= 2 && sep <= ids.size() - 3, "both segments");
        for (int i = 0; i < ids.size(); i++) assertEquals(i <= sep ? 0 : 1, (int) types.get(i));
        assertTrue(row.getInt(2) == 0 || row.getInt(2) == 1);
      }
    } finally {
      spark.stop();
    }
    assertEquals(51, report.at("/documents").asLong());
    assertTrue(report.at("/length_histogram").size() > 1);
    assertTrue(report.has("short_target_share") && report.has("unk_rate") && report.has("random_next_share_where_coin_decides"));
  }

  @Test
  void rerunOnOneCoreIsByteIdentical() throws IOException {
    Path again = tmp.resolve("nsp-again");
    Hunmin.Result r = Hunmin.run("nsp", "--input", clean.toString(), "--vocab", vocab.toString(), "--output", again.toString(),
        "--shards", "4", "--max-seq-length", "64", "--dupe-factor", "3", "--master", "local[1]");
    assertEquals(0, r.exit(), r.err());
    List<Path> a = parts(nsp.resolve("shards"));
    List<Path> b = parts(again.resolve("shards"));
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) assertArrayEquals(Files.readAllBytes(a.get(i)), Files.readAllBytes(b.get(i)), a.get(i).toString());
  }

  @Test
  void staticMaskingAddsGoogleBertColumns() throws IOException {
    Path masked = tmp.resolve("nsp-masked");
    Hunmin.Result r = Hunmin.run("nsp", "--input", clean.toString(), "--vocab", vocab.toString(), "--output", masked.toString(),
        "--shards", "2", "--static-masking");
    assertEquals(0, r.exit(), r.err());
    SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
    try {
      Dataset<Row> all = spark.read().parquet(masked.resolve("shards").toString());
      assertEquals("struct<input_ids:array<int>,token_type_ids:array<tinyint>,next_sentence_label:int,"
          + "masked_lm_positions:array<int>,masked_lm_ids:array<int>>", all.schema().simpleString());
      for (Row row : all.collectAsList()) {
        List<Integer> positions = row.getList(3);
        assertEquals(positions.size(), row.getList(4).size());
        assertTrue(!positions.isEmpty() && positions.size() <= 20);
      }
    } finally {
      spark.stop();
    }
  }

  @Test
  void tokenizeRefusesAnOutputInsideItsVocab() throws IOException {
    Path good = Files.writeString(tmp.resolve("lines-v.txt"), "서울은 대한민국의 수도이다.\n");
    String before = Files.readString(vocab.resolve("vocab.txt"));
    Hunmin.Result r = Hunmin.run("tokenize", "--vocab", vocab.toString(), "--input", good.toString(), "--output",
        vocab.resolve("vocab.txt").toString(), "--overwrite");
    assertEquals(2, r.exit(), r.err());
    assertEquals("hunmin tokenize: error: output file:" + vocab.resolve("vocab.txt") + " lies inside the input " + vocab
        + ", which a rerun would read: choose another --output", r.errorLine());
    assertEquals(before, Files.readString(vocab.resolve("vocab.txt")), "the vocabulary is kept");
  }

  @Test
  void inspectCountsTheRowsOfAPathWithASpace() throws IOException {
    Path spaced = Files.createDirectories(tmp.resolve("with space/shards"));
    for (Path part : parts(nsp.resolve("shards"))) Files.copy(part, spaced.resolve(part.getFileName()));
    Hunmin.Result r = Hunmin.run("inspect", spaced.toString(), "--json");
    assertEquals(0, r.exit(), r.err());
    JsonNode out = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
    long examples = Hunmin.report(nsp).at("/examples").asLong();
    assertTrue(examples > 0);
    assertEquals(examples, out.at("/rows").asLong(), out.toString());
    for (JsonNode f : out.at("/files")) assertTrue(f.at("/rows").asLong() > 0, out.toString());
  }

  @Test
  void inspectOfAnOutputWhoseVocabIsGoneShowsItUndecoded() throws IOException {
    Path copy = Files.createDirectories(tmp.resolve("nsp-orphan/shards"));
    for (Path part : parts(nsp.resolve("shards"))) Files.copy(part, copy.resolve(part.getFileName()));
    Path gone = tmp.resolve("vocab-gone");
    String report = Files.readString(nsp.resolve("_REPORT.json")).replace(Hunmin.report(nsp).at("/vocab").asText(), "file:" + gone);
    Files.writeString(copy.getParent().resolve("_REPORT.json"), report);
    Hunmin.Result r = Hunmin.run("inspect", copy.getParent().toString(), "--json", "--rows", "2");
    assertEquals(0, r.exit(), r.err());
    JsonNode out = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
    assertEquals(Hunmin.report(nsp).at("/examples").asLong(), out.at("/rows").asLong());
    assertEquals(2, out.at("/sample").size());
    assertTrue(out.at("/sample/0/input_tokens").isMissingNode(), out.toString());
    assertEquals("rows not decoded: the vocabulary at file:" + gone + " that _REPORT.json names is gone (pass --vocab DIR)",
        out.at("/not_decoded").asText());
    Hunmin.Result text = Hunmin.run("inspect", copy.getParent().toString());
    assertEquals(0, text.exit(), text.err());
    assertTrue(text.out().contains("rows not decoded: the vocabulary at file:" + gone), text.out());
    Hunmin.Result given = Hunmin.run("inspect", copy.getParent().toString(), "--json", "--vocab", vocab.toString(), "--rows", "1");
    assertEquals(0, given.exit(), given.err());
    assertTrue(new com.fasterxml.jackson.databind.ObjectMapper().readTree(given.out()).at("/sample/0/input_tokens").isArray());
  }

  @Test
  void aMaxSeqLengthBeyondTheLimitIsRefused() throws IOException {
    Path out = tmp.resolve("nsp-huge");
    Hunmin.Result r = Hunmin.run("nsp", "--input", clean.toString(), "--vocab", vocab.toString(), "--output", out.toString(),
        "--max-seq-length", "2147483647");
    assertEquals(2, r.exit(), r.err());
    assertEquals("hunmin nsp: error: --max-seq-length (hunmin.nsp.max-seq-length) must be at most 65536, not 2147483647", r.errorLine());
    assertTrue(!Files.exists(out));
  }

  @Test
  void unkRateIsTheSameWithStaticMasking() throws IOException {
    // a vocabulary of its first 300 tokens (vocab.txt alone, as a Hugging Face BERT has): much of the text becomes [UNK]
    Path small = Files.createDirectories(tmp.resolve("vocab-300"));
    List<String> lines = Files.readAllLines(vocab.resolve("vocab.txt"));
    Files.write(small.resolve("vocab.txt"), lines.subList(0, 300));
    double[] rates = new double[2];
    for (int i = 0; i < 2; i++) {
      Path out = tmp.resolve("nsp-unk-" + i);
      Hunmin.Result r = i == 0
          ? Hunmin.run("nsp", "--input", clean.toString(), "--vocab", small.toString(), "--output", out.toString(), "--max-seq-length", "64")
          : Hunmin.run("nsp", "--input", clean.toString(), "--vocab", small.toString(), "--output", out.toString(), "--max-seq-length", "64",
              "--static-masking");
      assertEquals(0, r.exit(), r.err());
      rates[i] = Hunmin.report(out).at("/unk_rate").asDouble();
    }
    assertTrue(rates[0] > 0.01, "the small vocabulary gives [UNK]s: " + rates[0]);
    assertEquals(rates[0], rates[1], 1e-12);
  }

  private static List<Path> parts(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
    }
  }
}
