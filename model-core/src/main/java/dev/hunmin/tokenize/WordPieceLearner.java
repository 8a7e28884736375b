package dev.hunmin.tokenize;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Learns a WordPiece vocabulary top-down, as TensorFlow Text's learner does: count every substring that could
 * become a token (weighted by word frequency), keep those above a threshold, longest first, each kept token's
 * count taken off its prefixes (its occurrences will not produce them), then recount from the split points of the
 * new vocabulary and repeat. The threshold is searched so the vocabulary lands at the requested size.
 *
 * <p>{@link #countCandidates} works on one word and is what Spark executors run over the word table; {@link
 * #selectForSize} needs only the candidates, never the words. {@link #learn} runs everything in memory.
 */
public final class WordPieceLearner {
  private WordPieceLearner() {}

  /**
   * @param vocabSize the vocabulary size including special tokens and the alphabet
   * @param minFrequency a token must occur at least this often
   * @param limitAlphabet keep the most frequent characters only (0: all); words with others become [UNK]
   * @param maxTokenLength longest token in characters (without ##)
   * @param iterations count-and-select rounds
   * @param refinements rounds of {@link WordPieceRefiner} after them
   * @param countExponent count-and-select rounds weigh a word by {@link #damped its count to this power}; 1 counts
   *     occurrences
   * @param seedMinCount the first round, which splits words at every character, counts only the words seen at least
   *     this often (1: all)
   */
  public record Params(int vocabSize, long minFrequency, int limitAlphabet, int maxTokenLength, int iterations,
      int refinements, double countExponent, long seedMinCount) implements Serializable {
    /** TF-Text's learner alone: occurrences counted, every word in every round, no refinement. */
    public Params(int vocabSize, long minFrequency, int limitAlphabet, int maxTokenLength, int iterations) {
      this(vocabSize, minFrequency, limitAlphabet, maxTokenLength, iterations, 0, 1, 1);
    }
  }

  /**
   * A word's weight in a count-and-select round: its count to the power {@code exponent}, rounded. Below 1 it damps
   * the few very frequent words (as word2vec damps its sampling distribution), so the selection favours pieces many
   * words share over pieces of a few frequent ones: on held-out text that tokenizes tighter (README, Benchmarks).
   * Never above the count, so a candidate whose damped count reaches minFrequency occurs at least that often.
   */
  public static long damped(long count, double exponent) {
    return exponent == 1 ? count : Math.max(1, Math.round(StrictMath.pow(count, exponent)));
  }

  /** The alphabet: the most frequent characters (code points), ties by code point. */
  public static List<String> alphabet(Map<Integer, Long> charCounts, int limit) {
    List<Map.Entry<Integer, Long>> chars = new ArrayList<>(charCounts.entrySet());
    chars.sort(Map.Entry.<Integer, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
    if (limit > 0 && chars.size() > limit) chars = chars.subList(0, limit);
    List<String> out = new ArrayList<>();
    for (Map.Entry<Integer, Long> c : chars) out.add(Character.toString(c.getKey()));
    out.sort(Comparator.naturalOrder());
    return out;
  }

  /**
   * Counts each candidate substring of a word with the word's count: all substrings of up to maxTokenLength
   * characters starting at the word's split points under {@code current} (every position when current is null).
   * A substring not at the word's start carries the ## prefix. A word current cannot segment counts nothing.
   */
  public static void countCandidates(String word, long count, FastWordPiece current, List<String> currentVocab,
      int maxTokenLength, CandidateTrie counter) {
    int[] starts = splitPoints(word, current, currentVocab);
    if (starts == null) return;
    for (int start : starts) counter.addPrefixes(word, start, maxTokenLength, count);
  }

  /** Char offsets where tokens start: every code point with no vocabulary yet, else the current segmentation. */
  static int[] splitPoints(String word, FastWordPiece current, List<String> currentVocab) {
    if (current == null) return everyCodePoint(word);
    int[] ids = current.encodeWord(word);
    if (ids.length == 1 && ids[0] == current.unkId()) return null;
    int[] starts = new int[ids.length];
    int at = 0;
    for (int i = 0; i < ids.length; i++) {
      starts[i] = at;
      String token = currentVocab.get(ids[i]);
      at += token.length() - (i == 0 ? 0 : WordPieceTokenizer.PREFIX.length());
    }
    return starts;
  }

  private static int[] everyCodePoint(String word) {
    int[] starts = new int[word.codePointCount(0, word.length())];
    for (int i = 0, at = 0; i < starts.length; i++) {
      starts[i] = at;
      at += Character.charCount(word.codePointAt(at));
    }
    return starts;
  }

  /**
   * The candidates prepared for repeated selection: sorted longest first, each with its count and the index of its
   * immediate prefix (one character shorter, ## kept), which is itself a candidate with at least its count. Built
   * from a trie, whose parent links are those prefixes, so the driver sorts by length only, never by string.
   */
  public static final class Candidates {
    final String[] tokens;
    final long[] counts;
    final int[] parent;

    public Candidates(CandidateTrie trie, int maxTokenLength) {
      int nodes = trie.nodeCount();
      int[] length = new int[nodes];
      int[] byLength = new int[maxTokenLength + 2];
      for (int n = 0; n < nodes; n++) {
        if (n <= CandidateTrie.CONTINUING_ROOT) continue;
        int p = trie.parentOf(n);
        // code points: a surrogate pair's second half adds none
        length[n] = length[p] + (trie.isCandidate(p) || p <= CandidateTrie.CONTINUING_ROOT ? 1 : 0);
        if (trie.isCandidate(n) && length[n] <= maxTokenLength) byLength[length[n]]++;
      }
      int[] next = new int[maxTokenLength + 2]; // first index of each length, longest first
      for (int l = maxTokenLength, at = 0; l >= 1; l--) {
        next[l] = at;
        at += byLength[l];
      }
      int size = next[1] + byLength[1];
      tokens = new String[size];
      counts = new long[size];
      parent = new int[size];
      int[] index = new int[nodes];
      Arrays.fill(index, -1);
      for (int n = 0; n < nodes; n++) {
        if (!trie.isCandidate(n) || length[n] > maxTokenLength) continue;
        int i = next[length[n]]++;
        index[n] = i;
        tokens[i] = trie.token(n);
        counts[i] = trie.countOf(n);
      }
      for (int n = 0; n < nodes; n++) {
        if (index[n] < 0) continue;
        int p = trie.parentOf(n);
        if (p > CandidateTrie.CONTINUING_ROOT && !trie.isCandidate(p)) p = trie.parentOf(p); // the pair's first half
        parent[index[n]] = p > CandidateTrie.CONTINUING_ROOT ? index[p] : -1;
      }
    }

    public int size() {
      return tokens.length;
    }

    /**
     * TF-Text's selection at one threshold: longest first, a candidate whose count (less what longer kept tokens
     * took) reaches the threshold is kept, and that count is taken off each of its prefixes.
     */
    boolean[] select(long threshold) {
      long[] remaining = counts.clone();
      boolean[] kept = new boolean[tokens.length];
      for (int i = 0; i < tokens.length; i++) {
        long count = remaining[i];
        if (count < threshold) continue;
        kept[i] = true;
        for (int p = parent[i]; p >= 0; p = parent[p]) remaining[p] -= count;
      }
      return kept;
    }
  }

  /**
   * The selection that fills the target size: the lowest threshold whose selection fits (with the special tokens
   * and alphabet), topped up with the most frequent tokens the next lower threshold would add; most frequent first,
   * ties by text (the order of the learned part of a vocabulary).
   */
  public static List<String> selectForSize(Candidates c, int targetSize, Set<String> fixedTokens, long minFrequency) {
    int room = targetSize - fixedTokens.size();
    long lo = Math.max(1, minFrequency);
    long hi = 1;
    for (long n : c.counts) hi = Math.max(hi, n + 1);
    boolean[] best = new boolean[c.size()];
    long bestThreshold = hi;
    while (lo <= hi) {
      long mid = lo + (hi - lo) / 2;
      boolean[] kept = c.select(mid);
      if (learned(c, kept, fixedTokens) <= room) {
        best = kept;
        bestThreshold = mid;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    List<Integer> extra = new ArrayList<>();
    if (bestThreshold - 1 >= Math.max(1, minFrequency)) {
      boolean[] more = c.select(bestThreshold - 1);
      for (int i = 0; i < more.length; i++) if (more[i] && !best[i] && !fixedTokens.contains(c.tokens[i])) extra.add(i);
      extra.sort(Comparator.<Integer>comparingLong(i -> -c.counts[i]).thenComparing(i -> c.tokens[i]));
    }
    List<Integer> chosen = new ArrayList<>();
    for (int i = 0; i < best.length; i++) if (best[i] && !fixedTokens.contains(c.tokens[i])) chosen.add(i);
    for (int i = 0; i < extra.size() && chosen.size() < room; i++) chosen.add(extra.get(i));
    chosen.sort(Comparator.<Integer>comparingLong(i -> -c.counts[i]).thenComparing(i -> c.tokens[i]));
    List<String> out = new ArrayList<>(chosen.size());
    for (int i : chosen) out.add(c.tokens[i]);
    return out;
  }

  private static int learned(Candidates c, boolean[] kept, Set<String> fixedTokens) {
    int n = 0;
    for (int i = 0; i < kept.length; i++) if (kept[i] && !fixedTokens.contains(c.tokens[i])) n++;
    return n;
  }

  /**
   * Special tokens and the alphabet: each character as a word start where it starts words, and in its ## form
   * where it continues them (punctuation, always a word of its own, needs no ## form). What every vocabulary holds
   * before any learning.
   */
  public static List<String> fixedTokens(List<String> alphabet, Set<String> continuing) {
    LinkedHashSet<String> out = new LinkedHashSet<>(WordPieceTokenizer.SPECIAL_TOKENS);
    out.addAll(alphabet);
    for (String c : alphabet) if (continuing.contains(c)) out.add(WordPieceTokenizer.PREFIX + c);
    return new ArrayList<>(out);
  }

  /** Final order: special tokens (ids 0–4), alphabet, ## alphabet, then the learned tokens as selected. */
  public static List<String> vocabulary(List<String> fixed, List<String> learned) {
    List<String> out = new ArrayList<>(fixed);
    out.addAll(learned);
    return out;
  }

  /** A vocabulary built on the tokens so far, used to find the next round's split points. */
  public static FastWordPiece model(List<String> vocab) {
    return new FastWordPiece(vocab, "[UNK]", WordPieceTokenizer.PREFIX, WordPieceTokenizer.MAX_INPUT_CHARS_PER_WORD);
  }

  /** The whole learner over a word table in memory, the steps the vocab job runs on Spark: for tests and small corpora. */
  public static List<String> learn(Map<String, Long> wordCounts, Params p) {
    WordTable table = WordTable.of(wordCounts);
    List<String> alphabet = alphabet(table.characters(), p.limitAlphabet());
    List<String> fixed = fixedTokens(alphabet, table.continuingChars());
    Set<String> fixedSet = Set.copyOf(fixed);
    WordTable learnable = table.learnable(Set.copyOf(alphabet));
    List<String> vocab = fixed;
    for (int round = 0; round < p.iterations(); round++) {
      WordTable counted = round == 0 ? learnable.atLeast(p.seedMinCount()) : learnable;
      CandidateTrie counter = counted.candidates(round == 0 ? null : vocab, p.maxTokenLength(), p.countExponent());
      vocab = vocabulary(fixed, selectForSize(new Candidates(counter, p.maxTokenLength()), p.vocabSize(), fixedSet, p.minFrequency()));
    }
    for (int round = 0; round < p.refinements(); round++) {
      WordPieceRefiner.Estimates e = learnable.refinement(new WordPieceRefiner(vocab, p.maxTokenLength()), vocab.size());
      Map<String, Long> gains = new HashMap<>();
      e.gains.forEach(gains::put);
      Map<String, Long> occurrences = learnable.occurrences(WordPieceRefiner.keysOf(gains.keySet()), p.maxTokenLength());
      vocab = WordPieceRefiner.refined(fixed, vocab, gains, e.losses, WordPieceRefiner.maxSwaps(round, p.vocabSize()), occurrences,
          p.minFrequency());
    }
    return vocab;
  }
}
