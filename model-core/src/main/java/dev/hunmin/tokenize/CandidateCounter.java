package dev.hunmin.tokenize;

import java.util.Arrays;
import java.util.function.ObjLongConsumer;

/**
 * Counts strings (words, the refiner's gains, or tokens by range of a word) without allocating per occurrence or per
 * key: keys are copied into one char arena, counts live in primitive arrays behind an open-addressing table, where
 * a HashMap of substrings and boxed counts was most of the vocab job's time, and String keys most of its garbage.
 * Candidates, every prefix from a split point, are counted by {@link CandidateTrie} instead.
 */
public final class CandidateCounter implements Counts {
  private static final long serialVersionUID = 1L;

  private char[] arena = new char[1 << 16];
  private int arenaSize;
  /** Per key: start in the arena, length << 1 | continuing, hash, count. */
  private int[] keyStart = new int[1 << 12];
  private int[] keyShape = new int[1 << 12];
  private int[] keyHash = new int[1 << 12];
  private long[] counts = new long[1 << 12];
  private int size;
  /** Open addressing, load at most 1/2: key index + 1, 0 when free. */
  private int[] table = new int[1 << 13];
  private char[] scratch = new char[64];

  /** Adds {@code count} to the candidate word[start, end), prefixed with ## when {@code continuing}. */
  public void add(String word, int start, int end, boolean continuing, long count) {
    int length = end - start;
    if (scratch.length < length) scratch = new char[Math.max(length, scratch.length * 2)];
    word.getChars(start, end, scratch, 0);
    add(scratch, length, continuing, count);
  }

  /** Adds {@code count} to a whole string (a word). */
  public void add(String word, long count) {
    add(word, 0, word.length(), false, count);
  }

  /**
   * The count of word[start, end) (with ## when continuing), 0 when never added. Reads only, so one counter (a
   * broadcast vocabulary) may serve several task threads at once.
   */
  public long get(String word, int start, int end, boolean continuing) {
    int length = end - start;
    int h = continuing ? 0x9E3779B9 : 0;
    for (int i = start; i < end; i++) h = 31 * h + word.charAt(i);
    h ^= h >>> 16;
    int shape = length << 1 | (continuing ? 1 : 0);
    int mask = table.length - 1;
    for (int slot = h & mask; ; slot = (slot + 1) & mask) {
      int k = table[slot] - 1;
      if (k < 0) return 0;
      if (keyHash[k] == h && keyShape[k] == shape && sameChars(keyStart[k], word, start, length)) return counts[k];
    }
  }

  private boolean sameChars(int at, String word, int start, int length) {
    for (int i = 0; i < length; i++) if (arena[at + i] != word.charAt(start + i)) return false;
    return true;
  }

  private static int hash(char[] chars, int length, boolean continuing) {
    int h = continuing ? 0x9E3779B9 : 0;
    for (int i = 0; i < length; i++) h = 31 * h + chars[i];
    return h ^ (h >>> 16);
  }

  private void add(char[] chars, int length, boolean continuing, long count) {
    int h = hash(chars, length, continuing);
    int shape = length << 1 | (continuing ? 1 : 0);
    int mask = table.length - 1;
    for (int slot = h & mask; ; slot = (slot + 1) & mask) {
      int k = table[slot] - 1;
      if (k < 0) {
        table[slot] = insert(chars, shape, h, count) + 1;
        if (size * 2 > table.length) rehash();
        return;
      }
      if (keyHash[k] == h && keyShape[k] == shape && Arrays.equals(arena, keyStart[k], keyStart[k] + length, chars, 0, length)) {
        counts[k] += count;
        return;
      }
    }
  }

  private int insert(char[] chars, int shape, int h, long count) {
    int length = shape >>> 1;
    if (arenaSize + length > arena.length) arena = Arrays.copyOf(arena, Math.max(arenaSize + length, arena.length * 2));
    System.arraycopy(chars, 0, arena, arenaSize, length);
    if (size == counts.length) {
      int n = size * 2;
      keyStart = Arrays.copyOf(keyStart, n);
      keyShape = Arrays.copyOf(keyShape, n);
      keyHash = Arrays.copyOf(keyHash, n);
      counts = Arrays.copyOf(counts, n);
    }
    keyStart[size] = arenaSize;
    keyShape[size] = shape;
    keyHash[size] = h;
    counts[size] = count;
    arenaSize += length;
    return size++;
  }

  private void rehash() {
    table = new int[table.length * 2];
    int mask = table.length - 1;
    for (int k = 0; k < size; k++) {
      int slot = keyHash[k] & mask;
      while (table[slot] != 0) slot = (slot + 1) & mask;
      table[slot] = k + 1;
    }
  }

  public int size() {
    return size;
  }

  /** Each key (with ## where continuing) and its count, in insertion order. */
  public void forEach(ObjLongConsumer<String> sink) {
    for (int k = 0; k < size; k++) sink.accept(key(k), counts[k]);
  }

  private String key(int k) {
    String body = new String(arena, keyStart[k], keyShape[k] >>> 1);
    return (keyShape[k] & 1) != 0 ? WordPieceTokenizer.PREFIX + body : body;
  }

  @Override
  public byte[][] encode(int parts, long minCount) {
    Bytes[] out = new Bytes[parts];
    for (int i = 0; i < parts; i++) out[i] = new Bytes();
    for (int k = 0; k < size; k++) {
      if (counts[k] < minCount) continue;
      Bytes b = out[Math.floorMod(keyHash[k], parts)];
      b.varint(keyShape[k]);
      for (int i = keyStart[k], end = i + (keyShape[k] >>> 1); i < end; i++) b.character(arena[i]);
      b.varint(counts[k]);
    }
    byte[][] arrays = new byte[parts][];
    for (int i = 0; i < parts; i++) arrays[i] = out[i].toArray();
    return arrays;
  }

  @Override
  public void merge(byte[] encoded) {
    int[] at = {0};
    while (at[0] < encoded.length) {
      int shape = (int) Bytes.varint(encoded, at);
      int length = shape >>> 1;
      if (scratch.length < length) scratch = new char[Math.max(length, scratch.length * 2)];
      for (int i = 0; i < length; i++) scratch[i] = Bytes.character(encoded, at);
      add(scratch, length, (shape & 1) != 0, Bytes.varint(encoded, at));
    }
  }

  @Override
  public long[] histogram() {
    long[] h = Counts.emptyHistogram();
    for (int k = 0; k < size; k++) h[Counts.bucket(counts[k])]++;
    return h;
  }
}
