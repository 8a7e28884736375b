package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hunmin.tokenize.WordPieceTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vocab and tokenize through the CLI, on the cleaned sample corpus. */
class VocabJobTest {
  @TempDir static Path tmp;
  static Path clean;
  static Path vocab;

  @BeforeAll
  static void cleanAndLearn() throws IOException {
    Path sample = Hunmin.sample(tmp);
    clean = tmp.resolve("clean");
    assertEquals(0, Hunmin.run("clean", "--input", sample.toString(), "--output", clean.toString()).exit());
    vocab = tmp.resolve("vocab");
    Hunmin.Result r = Hunmin.run("vocab", "--input", clean.toString(), "--output", vocab.toString(), "--vocab-size", "1500",
        "--master", "local[2]");
    assertEquals(0, r.exit(), r.err());
  }

  @Test
  void writesHuggingFaceFilesAndAReport() throws IOException {
    for (String f : List.of("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "_REPORT.json", "_SUCCESS")) {
      assertTrue(Files.exists(vocab.resolve(f)), f);
    }
    List<String> tokens = Files.readAllLines(vocab.resolve("vocab.txt"), StandardCharsets.UTF_8);
    assertEquals(1500, tokens.size());
    assertEquals(WordPieceTokenizer.SPECIAL_TOKENS, tokens.subList(0, 5));
    JsonNode report = Hunmin.report(vocab);
    assertEquals(1500, report.at("/vocab_size").asInt());
    assertTrue(report.at("/corpus_words").asLong() > 3000);
    assertTrue(report.at("/coverage").asDouble() > 0.99);
    assertEquals(2, report.at("/rounds").size(), "one per --iterations (default 2)");
  }

  @Test
  void rerunWithOneCoreGivesTheSameFiles() throws IOException {
    Path again = tmp.resolve("vocab-again");
    Hunmin.Result r = Hunmin.run("vocab", "--input", clean.toString(), "--output", again.toString(), "--vocab-size", "1500",
        "--master", "local[1]");
    assertEquals(0, r.exit(), r.err());
    for (String f : List.of("vocab.txt", "tokenizer.json", "tokenizer_config.json")) {
      assertArrayEquals(Files.readAllBytes(vocab.resolve(f)), Files.readAllBytes(again.resolve(f)), f);
    }
  }

  @Test
  void tokenizeWritesOneLineOfIdsPerLine() throws IOException {
    Path input = Files.writeString(tmp.resolve("in.txt"), "이순신은 [MASK] 중기의 무신이다.\n\n서울의 날씨\n", StandardCharsets.UTF_8);
    Path output = tmp.resolve("ids.txt");
    Hunmin.Result r = Hunmin.run("tokenize", "--vocab", vocab.toString(), "--input", input.toString(), "--output", output.toString());
    assertEquals(0, r.exit(), r.err());
    List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
    WordPieceTokenizer t = Tokenizers.load(new org.apache.hadoop.conf.Configuration(), vocab.toString());
    assertEquals(3, lines.size());
    assertEquals(ids(t.encode("이순신은 [MASK] 중기의 무신이다.")), lines.get(0));
    assertTrue(lines.get(0).contains(" 4 "), "[MASK] is id 4: " + lines.get(0));
    assertEquals("", lines.get(1));
    assertEquals(ids(t.encode("서울의 날씨")), lines.get(2));
  }

  @Test
  void morphemeModeIsRecordedAndAppliedByTokenize() throws IOException {
    Path morph = tmp.resolve("vocab-morpheme");
    Hunmin.Result r = Hunmin.run("vocab", "--input", clean.toString(), "--output", morph.toString(), "--vocab-size", "1500",
        "--pretokenizer", "morpheme");
    assertEquals(0, r.exit(), r.err());
    assertTrue(Files.readString(morph.resolve("tokenizer_config.json")).contains("\"hunmin_pretokenizer\" : \"morpheme\""));
    WordPieceTokenizer t = Tokenizers.load(new org.apache.hadoop.conf.Configuration(), morph.toString());
    assertEquals(WordPieceTokenizer.PreTokenization.MORPHEME, t.preTokenization());
    Path input = Files.writeString(tmp.resolve("m.txt"), "관광객이 많이 찾았습니다\n", StandardCharsets.UTF_8);
    Path output = tmp.resolve("m.ids");
    assertEquals(0, Hunmin.run("tokenize", "--vocab", morph.toString(), "--input", input.toString(), "--output", output.toString()).exit());
    assertEquals(ids(t.encode("관광객이 많이 찾았습니다")), Files.readAllLines(output).get(0));
    List<String> pieces = Arrays.stream(t.encode("찾았습니다")).mapToObj(t::token).toList();
    assertTrue(pieces.stream().noneMatch(p -> p.startsWith("##")) && pieces.size() > 1, "morphemes are separate words: " + pieces);
  }

  @Test
  void clearErrors() throws IOException {
    Path incomplete = Files.createDirectories(tmp.resolve("half-clean"));
    Hunmin.Result r = Hunmin.run("vocab", "--input", incomplete.toString(), "--output", tmp.resolve("v").toString());
    assertEquals(2, r.exit());
    assertTrue(r.errorLine().contains("has no _SUCCESS"), r.err());
    Path docsOnly = Files.createDirectories(tmp.resolve("docs-only"));
    Files.writeString(docsOnly.resolve("_SUCCESS"), "");
    Hunmin.Result noText = Hunmin.run("vocab", "--input", docsOnly.toString(), "--output", tmp.resolve("v").toString());
    assertEquals(2, noText.exit());
    assertTrue(noText.errorLine().contains("no text/ in "), noText.err());
    Hunmin.Result noVocab = Hunmin.run("tokenize", "--vocab", tmp.resolve("nope").toString(), "--input", "x", "--output", "y");
    assertEquals(2, noVocab.exit());
    assertTrue(noVocab.errorLine().contains("vocabulary not found: "), noVocab.err());
    Hunmin.Result badMode = Hunmin.run("vocab", "--input", clean.toString(), "--output", tmp.resolve("v").toString(), "--pretokenizer", "bpe");
    assertEquals(2, badMode.exit());
    assertEquals("hunmin vocab: error: --pretokenizer must be whitespace or morpheme, not 'bpe'", badMode.errorLine());
    Hunmin.Result badExponent = Hunmin.run("vocab", "--input", clean.toString(), "--output", tmp.resolve("v").toString(), "--count-exponent", "1.5");
    assertEquals(2, badExponent.exit());
    assertEquals("hunmin vocab: error: --count-exponent must be in (0, 1], not 1.5", badExponent.errorLine());
  }

  private static String ids(int[] ids) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < ids.length; i++) b.append(i > 0 ? " " : "").append(ids[i]);
    return b.toString();
  }
}
