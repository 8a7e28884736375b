package dev.hunmin.tokenize;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Distinct words with their counts, as two arrays: one Spark partition's share of the corpus word table (each word
 * in exactly one partition), which every learner round reads again, so it is kept compact and iterated without
 * per-record overhead.
 */
public final class WordTable implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String[] words;
  private final long[] counts;

  public WordTable(String[] words, long[] counts) {
    this.words = words;
    this.counts = counts;
  }

  /** The words a counter holds (counted with {@link CandidateCounter#add(String, long)}). */
  public static WordTable of(CandidateCounter counter) {
    String[] words = new String[counter.size()];
    long[] counts = new long[counter.size()];
    int[] i = {0};
    counter.forEach((w, n) -> {
      words[i[0]] = w;
      counts[i[0]++] = n;
    });
    return new WordTable(words, counts);
  }

  /** A word table held in a map (the in-memory learner's input). */
  public static WordTable of(Map<String, Long> wordCounts) {
    String[] words = wordCounts.keySet().toArray(new String[0]);
    long[] counts = new long[words.length];
    for (int i = 0; i < words.length; i++) counts[i] = wordCounts.get(words[i]);
    return new WordTable(words, counts);
  }

  public int size() {
    return words.length;
  }

  public long total() {
    long n = 0;
    for (long c : counts) n += c;
    return n;
  }

  /** The words the learner can use: short enough to tokenize, every character in the alphabet. */
  public WordTable learnable(Set<String> alphabet) {
    BitSet letters = new BitSet();
    for (String c : alphabet) letters.set(c.codePointAt(0));
    List<Integer> keep = new ArrayList<>();
    for (int i = 0; i < words.length; i++) {
      if (words[i].length() <= WordPieceTokenizer.MAX_INPUT_CHARS_PER_WORD && words[i].codePoints().allMatch(letters::get)) keep.add(i);
    }
    if (keep.size() == words.length) return this;
    String[] w = new String[keep.size()];
    long[] c = new long[keep.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = words[keep.get(i)];
      c[i] = counts[keep.get(i)];
    }
    return new WordTable(w, c);
  }

  /** The words counted at least {@code minCount} times. */
  public WordTable atLeast(long minCount) {
    int kept = 0;
    for (long c : counts) if (c >= minCount) kept++;
    if (kept == words.length) return this;
    String[] w = new String[kept];
    long[] c = new long[kept];
    for (int i = 0, j = 0; i < words.length; i++) {
      if (counts[i] < minCount) continue;
      w[j] = words[i];
      c[j++] = counts[i];
    }
    return new WordTable(w, c);
  }

  /** Each character (code point) with how often it occurs, words weighted by count. */
  public Map<Integer, Long> characters() {
    long[] byCodePoint = new long[Character.MAX_CODE_POINT + 1]; // no boxing per character of millions of words
    for (int i = 0; i < words.length; i++) {
      long n = counts[i];
      words[i].codePoints().forEach(cp -> byCodePoint[cp] += n);
    }
    Map<Integer, Long> chars = new HashMap<>();
    for (int cp = 0; cp < byCodePoint.length; cp++) if (byCodePoint[cp] > 0) chars.put(cp, byCodePoint[cp]);
    return chars;
  }

  /** The characters that occur after a word's first one (those need a ## form). */
  public Set<String> continuingChars() {
    BitSet seen = new BitSet();
    for (String w : words) w.codePoints().skip(1).forEach(seen::set);
    Set<String> out = new TreeSet<>();
    seen.stream().forEach(cp -> out.add(Character.toString(cp)));
    return out;
  }

  /**
   * One learner round's candidate counts over these words (see {@link WordPieceLearner#countCandidates}), each word
   * weighed by its {@link WordPieceLearner#damped damped} count.
   */
  public CandidateTrie candidates(List<String> currentVocab, int maxTokenLength, double countExponent) {
    FastWordPiece model = currentVocab == null ? null : WordPieceLearner.model(currentVocab);
    CandidateTrie counter = new CandidateTrie(5 * words.length); // 4–7 candidates per distinct word on Korean text
    for (int i = 0; i < words.length; i++) {
      long weight = WordPieceLearner.damped(counts[i], countExponent);
      WordPieceLearner.countCandidates(words[i], weight, model, currentVocab, maxTokenLength, counter);
    }
    return counter;
  }

  /** One refinement round's estimates over these words (see {@link WordPieceRefiner#measure}). */
  public WordPieceRefiner.Estimates refinement(WordPieceRefiner refiner, int vocabSize) {
    WordPieceRefiner.Estimates e = refiner.estimates(vocabSize);
    for (int i = 0; i < words.length; i++) refiner.measure(words[i], counts[i], e);
    return e;
  }

  /**
   * How often each wanted string (## where it continues a word) occurs in the words, at any offset, weighted by
   * the words' counts: a refinement's additions are ranked by tokens saved, which says nothing of how often.
   */
  public Map<String, Long> occurrences(CandidateCounter wanted, int maxTokenLength) {
    CandidateCounter found = new CandidateCounter();
    for (int i = 0; i < words.length; i++) {
      String w = words[i];
      for (int s = 0; s < w.length(); s += Character.charCount(w.codePointAt(s))) {
        int e = s;
        for (int length = 1; length <= maxTokenLength && e < w.length(); length++) {
          e += Character.charCount(w.codePointAt(e));
          if (wanted.get(w, s, e, s > 0) > 0) found.add(w, s, e, s > 0, counts[i]);
        }
      }
    }
    Map<String, Long> out = new java.util.HashMap<>();
    found.forEach(out::put);
    return out;
  }

  /** How many word occurrences the tokenizer does not turn into [UNK] alone. */
  public long covered(WordPieceTokenizer tokenizer) {
    long n = 0;
    for (int i = 0; i < words.length; i++) {
      int[] ids = tokenizer.encode(words[i]);
      if (!(ids.length == 1 && ids[0] == tokenizer.unkId())) n += counts[i];
    }
    return n;
  }
}
