package dev.hunmin.tokenize;

import java.util.Arrays;
import java.util.function.ObjLongConsumer;

/**
 * Counts the learner's candidates: every prefix (up to maxTokenLength code points) of a word from a split point on.
 * They form a trie, so a node stands for one candidate and extending a candidate by a character is one lookup of
 * (parent node, char), never a hash and compare over the whole substring as a string-keyed counter would do for
 * each of the up to 16 lengths at a split point (three times as slow on the shared corpora's word table).
 *
 * <p>Node 0 is the root of word starts, node 1 the root of ## continuations; a node's id is larger than its parent's,
 * and counts never grow from a node to its children, so any count threshold keeps a set closed under prefixes. A
 * code point outside the BMP takes two nodes, the first (a high surrogate) not a candidate itself.
 *
 * <p>Between Spark tasks a trie moves as byte arrays ({@link #encode}): each whole subtree of a first character goes to
 * one part, nodes as (parent within the part, char, count) in id order, so {@link #merge} is one lookup per node.
 */
public final class CandidateTrie implements Counts {
  private static final long serialVersionUID = 1L;
  static final int WORD_ROOT = 0;
  static final int CONTINUING_ROOT = 1;

  private int[] parent = new int[0];
  private char[] ch = new char[0];
  private long[] count = new long[0];
  private int nodes = 2;
  /** Open addressing on (parent << 16 | char) + 1 (0 when free), load at most 1/2. */
  private long[] slotKey = new long[0];
  private int[] slotNode = new int[0];

  public CandidateTrie() {
    this(1 << 12);
  }

  /** A trie with room for {@code expectedNodes} before it grows: growing millions of nodes by doubling was a third of a round. */
  public CandidateTrie(int expectedNodes) {
    reserve(expectedNodes);
  }

  /** Grows the arrays and the table at once to hold {@code total} nodes. */
  private void reserve(int total) {
    if (total <= count.length) return;
    int size = Math.max(total, count.length * 2);
    parent = Arrays.copyOf(parent, size);
    ch = Arrays.copyOf(ch, size);
    count = Arrays.copyOf(count, size);
    if (size * 2 > slotKey.length) rehash(Integer.highestOneBit(size * 2 - 1) << 1);
  }

  /** Adds {@code n} to every prefix of word[start…] of 1 to maxTokenLength code points (## prefixed when start > 0). */
  public void addPrefixes(String word, int start, int maxTokenLength, long n) {
    int node = start > 0 ? CONTINUING_ROOT : WORD_ROOT;
    for (int i = start, length = 0; i < word.length() && length < maxTokenLength; length++) {
      char c = word.charAt(i++);
      node = child(node, c);
      count[node] += n;
      if (Character.isHighSurrogate(c) && i < word.length()) {
        node = child(node, word.charAt(i++));
        count[node] += n;
      }
    }
  }

  /**
   * The node of word[start, end) (## when continuing), created with its prefixes if missing, counts unchanged: for
   * a trie used as a dictionary (see {@link WordPieceRefiner}).
   */
  int insert(String word, int start, int end, boolean continuing) {
    int node = continuing ? CONTINUING_ROOT : WORD_ROOT;
    for (int i = start; i < end; i++) node = child(node, word.charAt(i));
    return node;
  }

  /** The child of a node by one UTF-16 unit, or -1; reads only, so threads may share a trie no one adds to. */
  int find(int p, char c) {
    long key = ((long) p << 16 | c) + 1;
    int mask = slotKey.length - 1;
    for (int slot = slot(key, mask); ; slot = (slot + 1) & mask) {
      long k = slotKey[slot];
      if (k == key) return slotNode[slot];
      if (k == 0) return -1;
    }
  }

  private int child(int p, char c) {
    long key = ((long) p << 16 | c) + 1;
    int mask = slotKey.length - 1;
    for (int slot = slot(key, mask); ; slot = (slot + 1) & mask) {
      long k = slotKey[slot];
      if (k == key) return slotNode[slot];
      if (k == 0) {
        if (nodes == count.length) {
          reserve(nodes + 1);
          return child(p, c); // the table was rebuilt
        }
        int node = nodes++;
        parent[node] = p;
        ch[node] = c;
        slotKey[slot] = key;
        slotNode[slot] = node;
        return node;
      }
    }
  }

  private static int slot(long key, int mask) {
    return (int) ((key * 0x9E3779B97F4A7C15L) >>> 40) & mask;
  }

  private void rehash(int slots) {
    long[] keys = new long[slots];
    int[] values = new int[slots];
    int mask = slots - 1;
    for (int i = 0; i < slotKey.length; i++) {
      if (slotKey[i] == 0) continue;
      int slot = slot(slotKey[i], mask);
      while (keys[slot] != 0) slot = (slot + 1) & mask;
      keys[slot] = slotKey[i];
      values[slot] = slotNode[i];
    }
    slotKey = keys;
    slotNode = values;
  }

  /** Whether a node is a candidate: not a root, and not the first half of a surrogate pair. */
  boolean isCandidate(int node) {
    return node > CONTINUING_ROOT && !Character.isHighSurrogate(ch[node]);
  }

  int nodeCount() {
    return nodes;
  }

  int parentOf(int node) {
    return parent[node];
  }

  long countOf(int node) {
    return count[node];
  }

  /** The candidate a node stands for, ## prefixed under the continuation root. */
  String token(int node) {
    int length = 0;
    int n = node;
    for (; n > CONTINUING_ROOT; n = parent[n]) length++;
    char[] chars = new char[length];
    for (int m = node, i = length - 1; m > CONTINUING_ROOT; m = parent[m]) chars[i--] = ch[m];
    String body = new String(chars);
    return n == CONTINUING_ROOT ? WordPieceTokenizer.PREFIX + body : body;
  }

  /** Each candidate and its count, in node order (parents first). */
  public void forEach(ObjLongConsumer<String> sink) {
    for (int n = CONTINUING_ROOT + 1; n < nodes; n++) if (isCandidate(n)) sink.accept(token(n), count[n]);
  }

  /** How many candidates (nodes less the roots and surrogate halves). */
  public int size() {
    int n = 0;
    for (int i = 0; i < nodes; i++) if (isCandidate(i)) n++;
    return n;
  }

  @Override
  public byte[][] encode(int parts, long minCount) {
    Bytes[] out = new Bytes[parts];
    for (int i = 0; i < parts; i++) out[i] = new Bytes();
    int[] partOf = new int[nodes];
    int[] local = new int[nodes];
    int[] next = new int[parts];
    Arrays.fill(next, CONTINUING_ROOT + 1);
    for (int n = CONTINUING_ROOT + 1; n < nodes; n++) {
      if (count[n] < minCount) continue;
      int p = parent[n];
      int part;
      int parentRef;
      if (p <= CONTINUING_ROOT) {
        part = Math.floorMod(p * 0x10001 + ch[n] * 0x9E3779B1, parts);
        parentRef = p;
      } else {
        part = partOf[p];
        parentRef = local[p];
        if (parentRef == 0) throw new IllegalStateException("a candidate counted more often than its prefix");
      }
      partOf[n] = part;
      local[n] = next[part]++;
      out[part].varint(parentRef);
      out[part].character(ch[n]);
      out[part].varint(count[n]);
    }
    byte[][] arrays = new byte[parts][];
    for (int i = 0; i < parts; i++) arrays[i] = out[i].toArray();
    return arrays;
  }

  @Override
  public void merge(byte[] encoded) {
    reserve(nodes + encoded.length / 4); // a node takes at least 4 bytes
    int[] node = new int[1 << 10];
    node[CONTINUING_ROOT] = CONTINUING_ROOT;
    int size = CONTINUING_ROOT + 1;
    int[] at = {0};
    while (at[0] < encoded.length) {
      int parentRef = (int) Bytes.varint(encoded, at);
      char c = Bytes.character(encoded, at);
      int n = child(node[parentRef], c);
      count[n] += Bytes.varint(encoded, at);
      if (size == node.length) node = Arrays.copyOf(node, size * 2);
      node[size++] = n;
    }
  }

  @Override
  public long[] histogram() {
    long[] h = Counts.emptyHistogram();
    for (int n = 0; n < nodes; n++) if (isCandidate(n)) h[Counts.bucket(count[n])]++;
    return h;
  }
}
