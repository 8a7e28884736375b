package dev.hunmin.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hunmin.testing.HfOracle;
import dev.hunmin.testing.SharedData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token ids identical to Hugging Face tokenizers on every line: at least 100,000 lines of the shared corpora and
 * crafted edge cases, with a vocabulary Hunmin learned (alphabet limited, so [UNK] paths are exercised).
 */
class HfParityTest {
  @TempDir static Path tmp;
  static List<String> lines;
  static Map<String, Long> words;

  @BeforeAll
  static void corpus() throws IOException {
    Path corpus = SharedData.require("corpus");
    lines = new ArrayList<>(Files.readAllLines(corpus.resolve("news_comments.txt"), StandardCharsets.UTF_8));
    for (String json : Files.readAllLines(corpus.resolve("petitions_2017-08.jsonl"), StandardCharsets.UTF_8)) {
      lines.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path("content").asText());
    }
    try (var reviews = Files.lines(corpus.resolve("movie_reviews.tsv"), StandardCharsets.UTF_8)) {
      reviews.skip(1).limit(66_000).forEach(l -> lines.add(l.split("\t", -1)[4]));
    }
    try (InputStream in = HfParityTest.class.getResourceAsStream("edge-cases.txt")) {
      lines.addAll(Arrays.asList(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1)));
    }
    lines.removeIf(l -> l.contains("\n")); // one input line must stay one line for the oracle
    words = new HashMap<>();
    BertNormalizer normalizer = new BertNormalizer(true, true, false, false);
    for (String l : lines.subList(0, 20_000)) WordPieceTokenizer.words(l, normalizer, null, w -> words.merge(w, 1L, Long::sum));
  }

  @Test
  void identicalIdsOnOneHundredThousandLines() throws Exception {
    assertTrue(lines.size() >= 100_000, "parity set has " + lines.size() + " lines");
    assertParity(new BertNormalizer(true, true, false, false), lines, 8000);
  }

  @Test
  void identicalIdsWithLowercaseAndAccentStripping() throws Exception {
    assertParity(new BertNormalizer(true, true, true, true), lines.subList(lines.size() - 25_000, lines.size()), 4000);
  }

  private static void assertParity(BertNormalizer normalizer, List<String> parityLines, int vocabSize) throws Exception {
    List<String> vocab = WordPieceLearner.learn(words, new WordPieceLearner.Params(vocabSize, 2, 1000, 16, 2));
    WordPieceTokenizer ours = new WordPieceTokenizer(vocab, normalizer, WordPieceTokenizer.PreTokenization.WHITESPACE);
    Path dir = Files.createTempDirectory(tmp, "tok");
    for (Map.Entry<String, String> f : ours.files().entrySet()) Files.writeString(dir.resolve(f.getKey()), f.getValue());
    Path input = dir.resolve("lines.txt");
    Files.writeString(input, String.join("\n", parityLines) + "\n", StandardCharsets.UTF_8);

    List<int[]> reference = HfOracle.encode(dir, input);
    assertEquals(parityLines.size(), reference.size());
    int mismatches = 0;
    long unk = 0;
    StringBuilder examples = new StringBuilder();
    for (int i = 0; i < parityLines.size(); i++) {
      int[] mine = ours.encode(parityLines.get(i));
      for (int id : mine) if (id == ours.unkId()) unk++;
      if (!Arrays.equals(mine, reference.get(i))) {
        if (mismatches++ < 5) {
          examples.append("\n  line ").append(i).append(": ").append(parityLines.get(i), 0, Math.min(80, parityLines.get(i).length()))
              .append("\n    hunmin ").append(Arrays.toString(mine)).append("\n    hf     ").append(Arrays.toString(reference.get(i)));
        }
      }
    }
    System.out.printf("parity: %d lines, %d mismatches, %d [UNK] tokens, vocab %d%n", parityLines.size(), mismatches, unk, vocab.size());
    assertTrue(unk > 0, "the alphabet limit should leave some [UNK] to compare");
    assertEquals(0, mismatches, "lines whose ids differ from Hugging Face's:" + examples);
  }
}
