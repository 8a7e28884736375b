package dev.hunmin.tokenize;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Refines a learned vocabulary against what tokenization actually does. The top-down learner selects by candidate
 * counts, which only estimate use: some tokens are pre-empted by longer ones at the same split point and are never
 * produced, while some strings that would save tokens are never selected. A refinement round measures, over the
 * word table and under greedy longest-match-first, for each token the tokens its removal would cost, and for each
 * missing string the tokens its addition would save, then swaps the best additions for the cheapest tokens while
 * the saving exceeds the cost.
 *
 * <p>Greedy segmentation from any offset is a right-to-left recurrence: tokens(e) = 1 + tokens(e + longest match at
 * e), so one pass per word gives the token count of every suffix and with it both estimates exactly for a single
 * change at a split point. {@link #measure} is what the executors run per word; {@link #swap} runs on the driver
 * with the summed estimates.
 */
public final class WordPieceRefiner implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * The vocabulary as a trie walked along a word, one lookup per character, ending where no token continues: the
   * matches at an offset cost what the longest one does, not a hash of every substring.
   */
  private final CandidateTrie tokens = new CandidateTrie();
  /** By trie node: the token's id + 1, 0 where the node is only a prefix of tokens. */
  private int[] idAt = new int[0];
  private final int maxTokenLength;

  public WordPieceRefiner(List<String> vocab, int maxTokenLength) {
    for (int i = 0; i < vocab.size(); i++) {
      String t = vocab.get(i);
      boolean continuing = t.startsWith(WordPieceTokenizer.PREFIX) && t.length() > WordPieceTokenizer.PREFIX.length();
      int node = tokens.insert(t, continuing ? WordPieceTokenizer.PREFIX.length() : 0, t.length(), continuing);
      if (node >= idAt.length) idAt = java.util.Arrays.copyOf(idAt, Math.max(node + 1, idAt.length * 2));
      idAt[node] = i + 1;
    }
    this.maxTokenLength = maxTokenLength;
  }

  /** The next node along word from {@code node} by the code point at {@code at}, or -1 where no token continues. */
  private int step(int node, String word, int at) {
    if (node < 0) return -1;
    node = tokens.find(node, word.charAt(at));
    if (node >= 0 && Character.isHighSurrogate(word.charAt(at)) && at + 1 < word.length()) node = tokens.find(node, word.charAt(at + 1));
    return node;
  }

  private int root(int offset) {
    return offset > 0 ? CandidateTrie.CONTINUING_ROOT : CandidateTrie.WORD_ROOT;
  }

  /** The token id + 1 at a node reached by {@link #step}, 0 for none. */
  private int idAt(int node) {
    return node >= 0 && node < idAt.length ? idAt[node] : 0;
  }

  /** What one round learns about a vocabulary: savings of additions (by string) and costs of removals (by id). */
  public static final class Estimates implements Serializable {
    private static final long serialVersionUID = 1L;
    public final CandidateCounter gains = new CandidateCounter();
    public final long[] losses;

    Estimates(int vocabSize) {
      losses = new long[vocabSize];
    }

  }

  public Estimates estimates(int vocabSize) {
    return new Estimates(vocabSize);
  }

  /** Adds one word's (weighted by its count) savings and costs under greedy longest-match-first. */
  public void measure(String word, long count, Estimates into) {
    int n = word.length();
    if (n == 0 || n > WordPieceTokenizer.MAX_INPUT_CHARS_PER_WORD) return;
    long[] tokens = new long[n + 1]; // tokens from offset e to the end; -1: no segmentation ([UNK])
    int[] next = new int[n + 1];      // the end of the longest match at e
    int[] id = new int[n + 1];
    for (int e = n - 1; e >= 0; e--) {
      tokens[e] = -1;
      if (Character.isLowSurrogate(word.charAt(e)) && e > 0 && Character.isHighSurrogate(word.charAt(e - 1))) continue;
      int end = e;
      int node = root(e);
      for (int length = 1; length <= maxTokenLength && end < n; length++) {
        node = step(node, word, end);
        if (node < 0) break;
        end += Character.charCount(word.codePointAt(end));
        int found = idAt(node);
        if (found > 0 && tokens[end] >= 0) {
          next[e] = end;
          id[e] = found - 1;
        } else if (found > 0) {
          next[e] = -1; // the longest match leads into a dead end: greedy gives [UNK]
        }
      }
      if (next[e] > 0) tokens[e] = 1 + tokens[next[e]];
    }
    if (tokens[0] < 0) return;
    for (int s = 0; s < n; s = next[s]) {
      int current = next[s];
      // the best extension at this split point: it becomes the longest match, the rest is re-segmented from its end
      long bestGain = 0;
      int bestEnd = -1;
      int end = current;
      for (int length = word.codePointCount(s, current) + 1; length <= maxTokenLength && end < n; length++) {
        end += Character.charCount(word.codePointAt(end));
        if (tokens[end] < 0) continue;
        long gain = tokens[s] - 1 - tokens[end];
        if (gain > bestGain) {
          bestGain = gain;
          bestEnd = end;
        }
      }
      if (bestEnd > 0) into.gains.add(word, s, bestEnd, s > 0, count * bestGain);
      // the cost of losing the token used here: the next shorter match takes over
      int shorter = -1;
      int node = step(root(s), word, s);
      for (int e = s + Character.charCount(word.codePointAt(s)); e < current; e += Character.charCount(word.codePointAt(e))) {
        if (tokens[e] >= 0 && idAt(node) > 0) shorter = e;
        node = step(node, word, e);
      }
      if (shorter > 0) into.losses[id[s]] += count * (tokens[shorter] - tokens[current]);
    }
  }

  /**
   * How many swaps round {@code round} may make: a tenth of the vocabulary at first, halving each round (the
   * estimates assume one change at a time, so a round must change little where changes interact; in practice the
   * number of profitable swaps falls faster than that).
   */
  public static int maxSwaps(int round, int vocabSize) {
    return Math.max(1, (vocabSize / 10) >> Math.min(round, 30));
  }

  /** The strings as keys of a counter (## marking those that continue a word), to look up along words. */
  public static CandidateCounter keysOf(java.util.Collection<String> strings) {
    CandidateCounter c = new CandidateCounter();
    for (String t : strings) {
      boolean continuing = t.startsWith(WordPieceTokenizer.PREFIX) && t.length() > WordPieceTokenizer.PREFIX.length();
      c.add(t, continuing ? WordPieceTokenizer.PREFIX.length() : 0, t.length(), continuing, 1);
    }
    return c;
  }

  /**
   * The vocabulary after one round: the additions with the largest savings that occur at least minFrequency times
   * ({@code occurrences}: {@link WordTable#occurrences} of the gains' strings) replace the learned tokens with the
   * smallest costs, pair by pair while the saving is larger, at most maxSwaps pairs. Fixed tokens (special tokens,
   * alphabet) stay; the kept tokens keep their ids, additions follow by saving.
   */
  public static List<String> refined(List<String> fixed, List<String> vocab, Map<String, Long> gains, long[] losses, int maxSwaps,
      Map<String, Long> occurrences, long minFrequency) {
    Set<String> fixedSet = Set.copyOf(fixed);
    Set<String> present = Set.copyOf(vocab);
    List<Map.Entry<String, Long>> adds = new ArrayList<>();
    for (Map.Entry<String, Long> g : gains.entrySet()) {
      boolean frequent = occurrences.getOrDefault(g.getKey(), 0L) >= Math.max(1, minFrequency);
      if (g.getValue() > 0 && frequent && !present.contains(g.getKey())) adds.add(g);
    }
    adds.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
    List<Integer> drops = new ArrayList<>();
    for (int i = 0; i < vocab.size(); i++) if (!fixedSet.contains(vocab.get(i))) drops.add(i);
    drops.sort(Comparator.<Integer>comparingLong(i -> losses[i]).thenComparing(vocab::get));
    int k = 0;
    while (k < maxSwaps && k < adds.size() && k < drops.size() && adds.get(k).getValue() > losses[drops.get(k)]) k++;
    boolean[] dropped = new boolean[vocab.size()];
    for (int i = 0; i < k; i++) dropped[drops.get(i)] = true;
    List<String> out = new ArrayList<>(vocab.size());
    for (int i = 0; i < vocab.size(); i++) if (!dropped[i]) out.add(vocab.get(i));
    for (int i = 0; i < k; i++) out.add(adds.get(i).getKey());
    return out;
  }
}
