package dev.hunmin.tokenize;

import java.util.Arrays;
import java.util.function.ObjLongConsumer;

/**
 * Counts candidate subwords without allocating per occurrence: an open-addressing table keyed by a range of a
 * word (plus whether it carries the ## prefix), which creates the key's String only the first time it is seen.
 * Candidate counting runs tens of millions of times a round; a HashMap of fresh substrings and boxed counts was
 * most of the vocab job's time.
 */
public final class CandidateCounter {
  private String[] keys = new String[1 << 16];
  private int[] hashes = new int[1 << 16];
  private long[] counts = new long[1 << 16];
  private int size;

  /** Adds {@code count} to the candidate word[start, end), prefixed with ## when {@code continuing}. */
  public void add(String word, int start, int end, boolean continuing, long count) {
    int h = hash(word, start, end, continuing);
    int mask = keys.length - 1;
    for (int i = h & mask; ; i = (i + 1) & mask) {
      String k = keys[i];
      if (k == null) {
        keys[i] = continuing ? WordPieceTokenizer.PREFIX + word.substring(start, end) : word.substring(start, end);
        hashes[i] = h;
        counts[i] = count;
        if (++size * 2 > keys.length) grow();
        return;
      }
      if (hashes[i] == h && matches(k, word, start, end, continuing)) {
        counts[i] += count;
        return;
      }
    }
  }

  public int size() {
    return size;
  }

  public void forEach(ObjLongConsumer<String> sink) {
    for (int i = 0; i < keys.length; i++) if (keys[i] != null) sink.accept(keys[i], counts[i]);
  }

  private static int hash(String word, int start, int end, boolean continuing) {
    int h = continuing ? 0x9E3779B9 : 0;
    for (int i = start; i < end; i++) h = 31 * h + word.charAt(i);
    return h ^ (h >>> 16);
  }

  private static boolean matches(String key, String word, int start, int end, boolean continuing) {
    int offset = continuing ? WordPieceTokenizer.PREFIX.length() : 0;
    if (key.length() != offset + end - start) return false;
    if (continuing != key.startsWith(WordPieceTokenizer.PREFIX)) return false;
    return key.regionMatches(offset, word, start, end - start);
  }

  private void grow() {
    String[] oldKeys = keys;
    int[] oldHashes = hashes;
    long[] oldCounts = counts;
    keys = new String[oldKeys.length * 2];
    hashes = new int[keys.length];
    counts = new long[keys.length];
    int mask = keys.length - 1;
    for (int j = 0; j < oldKeys.length; j++) {
      if (oldKeys[j] == null) continue;
      int i = oldHashes[j] & mask;
      while (keys[i] != null) i = (i + 1) & mask;
      keys[i] = oldKeys[j];
      hashes[i] = oldHashes[j];
      counts[i] = oldCounts[j];
    }
    Arrays.fill(oldKeys, null);
  }
}
