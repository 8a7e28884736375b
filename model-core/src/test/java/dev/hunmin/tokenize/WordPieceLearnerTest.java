package dev.hunmin.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WordPieceLearnerTest {
  @Test
  void aKeptTokenTakesItsCountOffItsPrefixes() {
    // counts abc 5, ab 7, a 9, ##bc 6, ##b 6
    CandidateTrie trie = new CandidateTrie();
    trie.addPrefixes("abc", 0, 16, 5);
    trie.addPrefixes("ab", 0, 16, 2);
    trie.addPrefixes("a", 0, 16, 2);
    trie.addPrefixes("xbc", 1, 16, 6);
    WordPieceLearner.Candidates c = new WordPieceLearner.Candidates(trie, 16);
    // abc (5) kept → ab 7-5=2 dropped, a 9-5=4 kept; ##bc (6) kept → ##b 6-6=0 dropped
    assertEquals(Set.of("abc", "a", "##bc"), kept(c, 4));
    assertEquals(Set.of("abc", "##bc"), kept(c, 5));
    assertEquals(Set.of(), kept(c, 10));
  }

  private static Set<String> kept(WordPieceLearner.Candidates c, long threshold) {
    boolean[] k = c.select(threshold);
    java.util.HashSet<String> out = new java.util.HashSet<>();
    for (int i = 0; i < k.length; i++) if (k[i]) out.add(c.tokens[i]);
    return out;
  }

  @Test
  void candidatesStartAtSplitPoints() {
    CandidateTrie counter = new CandidateTrie();
    WordPieceLearner.countCandidates("한국어", 3, null, null, 2, counter);
    Map<String, Long> got = new HashMap<>();
    counter.forEach(got::put);
    assertEquals(Map.of("한", 3L, "한국", 3L, "##국", 3L, "##국어", 3L, "##어", 3L), got);

    List<String> vocab = List.of("[UNK]", "한국", "##어", "한", "##국");
    CandidateTrie second = new CandidateTrie();
    WordPieceLearner.countCandidates("한국어", 2, WordPieceLearner.model(vocab), vocab, 3, second);
    Map<String, Long> fromSplits = new HashMap<>();
    second.forEach(fromSplits::put);
    assertEquals(Map.of("한", 2L, "한국", 2L, "한국어", 2L, "##어", 2L), fromSplits, "starts only at 0 and after 한국");
  }

  @Test
  void learnsSpecialTokensFirstThenAlphabetThenFrequentWords() {
    Map<String, Long> words = new HashMap<>();
    words.put("대한민국", 50L);
    words.put("대한", 20L);
    words.put("민국", 5L);
    words.put("국민", 30L);
    words.put("!", 40L);
    List<String> vocab = WordPieceLearner.learn(words, new WordPieceLearner.Params(40, 2, 0, 16, 3));
    assertEquals(WordPieceTokenizer.SPECIAL_TOKENS, vocab.subList(0, 5));
    assertTrue(vocab.size() <= 40);
    assertTrue(vocab.contains("대한민국") && vocab.contains("국민"), vocab.toString());
    assertTrue(vocab.contains("!") && !vocab.contains("##!"), "punctuation never continues a word: " + vocab);
    assertTrue(vocab.contains("##국"), vocab.toString());
    assertEquals(vocab, WordPieceLearner.learn(words, new WordPieceLearner.Params(40, 2, 0, 16, 3)), "deterministic");
  }

  @Test
  void dampedCountsWeighWordsBelowTheirOccurrences() {
    assertEquals(25, WordPieceLearner.damped(100, 0.7), "100^0.7 = 25.1");
    assertEquals(1, WordPieceLearner.damped(1, 0.7));
    assertEquals(2, WordPieceLearner.damped(2, 0.7), "2^0.7 = 1.62 rounds up, still not above the count");
    assertEquals(100, WordPieceLearner.damped(100, 1));
    for (long c = 1; c < 10_000; c++) assertTrue(WordPieceLearner.damped(c, 0.5) <= c);
    // one frequent word against pieces many words share: ab ×100 weighs 10 (0.5), each of xa..xd ×4 weighs 2
    CandidateTrie trie = WordTable.of(Map.of("ab", 100L, "xa", 4L, "xb", 4L, "xc", 4L, "xd", 4L)).candidates(null, 16, 0.5);
    Map<String, Long> counts = new HashMap<>();
    trie.forEach(counts::put);
    assertEquals(10L, counts.get("ab"));
    assertEquals(8L, counts.get("x"));
    assertEquals(12L, counts.get("##b"), "ab and xb");
  }

  @Test
  void theSeedRoundCountsOnlyWordsSeenOftenEnough() {
    WordTable words = WordTable.of(Map.of("가나", 3L, "다라", 1L, "마바", 2L));
    assertEquals(2, words.atLeast(2).size());
    assertEquals(5, words.atLeast(2).total());
    assertEquals(words, words.atLeast(1), "nothing to leave out: the same table");
    Map<String, Long> counts = new HashMap<>();
    words.atLeast(2).candidates(null, 16, 1).forEach(counts::put);
    assertTrue(counts.containsKey("가나") && !counts.containsKey("다라"), counts.toString());
  }

  @Test
  void alphabetLimitKeepsTheMostFrequentCharacters() {
    assertEquals(List.of("가", "나"), WordPieceLearner.alphabet(Map.of((int) '가', 10L, (int) '나', 5L, (int) '다', 1L), 2));
    WordTable words = WordTable.of(Map.of("가다", 3L, "나가", 2L, "x".repeat(101), 1L));
    assertEquals(1, words.learnable(Set.of("가", "나", "x")).size(), "가다 has a character outside the alphabet, x… is too long");
  }

  /** Every pair of 14 syllables as a word, counts 2 to 28: more candidates than a small vocabulary takes. */
  private static Map<String, Long> syllablePairs() {
    Map<String, Long> words = new HashMap<>();
    String syllables = "가나다라마바사아자차카타파하";
    for (int i = 0; i < syllables.length(); i++) {
      for (int j = 0; j < syllables.length(); j++) words.put("" + syllables.charAt(i) + syllables.charAt(j), (long) (i + j + 2));
    }
    return words;
  }

  @Test
  void fillsTheRequestedSizeExactlyWhenCandidatesSuffice() {
    Map<String, Long> words = syllablePairs();
    List<String> vocab = WordPieceLearner.learn(words, new WordPieceLearner.Params(100, 2, 0, 16, 2));
    assertEquals(100, vocab.size());
    assertEquals(vocab.size(), Arrays.stream(vocab.toArray()).distinct().count(), "no duplicates");
  }

  @Test
  void refinementMeasuresSavingsAndCostsUnderGreedyMatching() {
    // "abcd" is a,##b,##c,##d (4 tokens); adding "abc" makes it abc,##d (2): saving 2 per occurrence.
    // "xy" is unused (never in the words): removing it costs nothing.
    List<String> vocab = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "d", "x", "y", "##b", "##c", "##d", "##y", "xy");
    WordPieceRefiner refiner = new WordPieceRefiner(vocab, 16);
    WordPieceRefiner.Estimates e = refiner.estimates(vocab.size());
    refiner.measure("abcd", 3, e);
    Map<String, Long> gains = new HashMap<>();
    e.gains.forEach(gains::put);
    // at each split point its best extension: a → abcd saves 3, ##b → ##bcd saves 2, ##c → ##cd saves 1
    assertEquals(Map.of("abcd", 9L, "##bcd", 6L, "##cd", 3L), gains);
    assertEquals(0, e.losses[vocab.indexOf("xy")]);
    Map<String, Long> occurrences = WordTable.of(Map.of("abcd", 3L)).occurrences(WordPieceRefiner.keysOf(gains.keySet()), 16);
    assertEquals(Map.of("abcd", 3L, "##bcd", 3L, "##cd", 3L), occurrences);
    List<String> refined = WordPieceRefiner.refined(vocab.subList(0, 15), vocab, gains, e.losses, 10, occurrences, 2);
    assertEquals(vocab.size(), refined.size());
    assertTrue(refined.contains("abcd") && !refined.contains("xy"), refined.toString());
    // a word seen once saves as many tokens, but occurs less often than --min-frequency asks
    Map<String, Long> once = WordTable.of(Map.of("abcd", 1L)).occurrences(WordPieceRefiner.keysOf(gains.keySet()), 16);
    assertEquals(vocab, WordPieceRefiner.refined(vocab.subList(0, 15), vocab, gains, e.losses, 10, once, 2));
  }

  @Test
  void noRefinedTokenOccursLessOftenThanTheMinimumFrequency() {
    Map<String, Long> words = syllablePairs();
    words.put("허허웃는타이밍에악수하는타이밍에", 1L); // long and once: many tokens saved, one occurrence
    List<String> vocab = WordPieceLearner.learn(words, new WordPieceLearner.Params(120, 3, 0, 16, 2, 2, 1, 1));
    Map<String, Long> seen = WordTable.of(words).occurrences(WordPieceRefiner.keysOf(vocab), 16);
    for (String t : vocab.subList(5, vocab.size())) {
      if (t.codePointCount(0, t.length()) - (t.startsWith("##") ? 2 : 0) > 1) {
        assertTrue(seen.getOrDefault(t, 0L) >= 3, t + " occurs " + seen.get(t) + " times");
      }
    }
  }

  @Test
  void countersSplitAndMergeByKey() {
    CandidateCounter a = new CandidateCounter();
    a.add("한국어", 0, 2, false, 3);
    a.add("한국어", 1, 3, true, 2);
    a.add("국어", 5);
    CandidateCounter b = new CandidateCounter();
    b.add("한국", 4);
    byte[][] parts = a.encode(2, 1);
    Map<String, Long> merged = new HashMap<>();
    for (byte[] part : parts) b.merge(part);
    b.forEach(merged::put);
    assertEquals(Map.of("한국", 7L, "##국어", 2L, "국어", 5L), merged);
    assertEquals(7, b.get("대한국", 1, 3, false));
    assertEquals(2, b.get("국어", 0, 2, true));
    assertEquals(0, b.get("어", 0, 1, true));
    assertEquals(5, Counts.floor(b.histogram(), 2, 1), "counts 7, 5, 2: at most 2 keys at or above the floor");
  }

  @Test
  void candidateCounterAgreesWithAMapThroughGrowth() {
    // keys sharing their first four characters (found in the slot) and differing after them (found in the arena),
    // with and without ##, one longer than the slot's shape field, enough of them to rehash many times
    java.util.Random random = new java.util.Random(3);
    Map<String, Long> expected = new HashMap<>();
    CandidateCounter counter = new CandidateCounter();
    String alphabet = "가나다라마";
    for (int i = 0; i < 200_000; i++) {
      int length = 1 + random.nextInt(9);
      StringBuilder word = new StringBuilder("대한민국".substring(0, Math.min(4, length)));
      while (word.length() < length) word.append(alphabet.charAt(random.nextInt(alphabet.length())));
      boolean continuing = random.nextBoolean();
      long n = 1 + random.nextInt(3);
      counter.add(word.toString(), 0, length, continuing, n);
      expected.merge((continuing ? "##" : "") + word, n, Long::sum);
    }
    String huge = "가".repeat(40_000);
    counter.add(huge, 7);
    counter.add(huge.substring(1) + "나", 1);
    expected.merge(huge, 7L, Long::sum);
    expected.merge(huge.substring(1) + "나", 1L, Long::sum);
    Map<String, Long> got = new HashMap<>();
    counter.forEach(got::put);
    assertEquals(expected, got);
    assertEquals(expected.get("##대한민국가나"), counter.get("x대한민국가나", 1, 7, true));
    assertEquals(7, counter.get(huge, 0, huge.length(), false));
    assertEquals(0, counter.get("대한민국가나다라마가", 0, 10, false), "ten characters were never added");
  }

  @Test
  void candidateTrieCountsPrefixesAndMovesByFirstCharacter() {
    // every prefix from a split point, as a map would count it; a code point outside the BMP is one character
    java.util.Random random = new java.util.Random(5);
    String[] chars = {"가", "나", "다", "a", "\uD840\uDC0B"};
    Map<String, Long> expected = new HashMap<>();
    CandidateTrie[] tries = {new CandidateTrie(), new CandidateTrie(), new CandidateTrie()};
    for (int i = 0; i < 30_000; i++) {
      StringBuilder w = new StringBuilder();
      for (int k = 1 + random.nextInt(6); k > 0; k--) w.append(chars[random.nextInt(chars.length)]);
      String word = w.toString();
      int start = random.nextBoolean() ? 0 : word.offsetByCodePoints(0, random.nextInt(word.codePointCount(0, word.length())));
      long n = 1 + random.nextInt(4);
      tries[i % 3].addPrefixes(word, start, 4, n);
      for (int end = start, length = 0; end < word.length() && length < 4; length++) {
        end += Character.charCount(word.codePointAt(end));
        expected.merge((start > 0 ? "##" : "") + word.substring(start, end), n, Long::sum);
      }
    }
    // summed through parts as the shuffle does, then only the keys at or above a floor, as the driver collects them
    CandidateTrie[] reduced = {new CandidateTrie(), new CandidateTrie()};
    for (CandidateTrie t : tries) {
      byte[][] parts = t.encode(2, 1);
      for (int i = 0; i < 2; i++) reduced[i].merge(parts[i]);
    }
    Map<String, Long> got = new HashMap<>();
    for (CandidateTrie r : reduced) r.forEach((k, v) -> assertEquals(null, got.put(k, v), "a key in two parts: " + k));
    assertEquals(expected, got);
    long floor = 40;
    CandidateTrie driver = new CandidateTrie();
    for (CandidateTrie r : reduced) driver.merge(r.encode(1, floor)[0]);
    Map<String, Long> frequent = new HashMap<>();
    driver.forEach(frequent::put);
    Map<String, Long> expectedFrequent = new HashMap<>(expected);
    expectedFrequent.values().removeIf(v -> v < floor);
    assertEquals(expectedFrequent, frequent);
    assertEquals(expectedFrequent.size(), driver.size());
    long[] histogram = new long[Counts.emptyHistogram().length];
    for (CandidateTrie r : reduced) {
      long[] h = r.histogram();
      for (int i = 0; i < h.length; i++) histogram[i] += h[i];
    }
    assertEquals(expected.size(), java.util.Arrays.stream(histogram).sum());
    // the selection's view: each candidate's parent is its prefix one character shorter
    WordPieceLearner.Candidates c = new WordPieceLearner.Candidates(driver, 4);
    for (int i = 0; i < c.size(); i++) {
      String t = c.tokens[i];
      assertEquals(expectedFrequent.get(t), c.counts[i]);
      String prefix = length(t) == 1 ? null : t.substring(0, t.offsetByCodePoints(t.length(), -1));
      assertEquals(prefix, c.parent[i] < 0 ? null : c.tokens[c.parent[i]], t);
      if (i > 0) assertTrue(length(t) <= length(c.tokens[i - 1]), "longest first");
    }
  }

  private static int length(String token) {
    String body = token.startsWith("##") ? token.substring(2) : token;
    return body.codePointCount(0, body.length());
  }
}
