package dev.hunmin.tokenize;

import java.io.Serializable;

/**
 * Counts that Spark tasks sum by key: a counter is cut into one byte array per reducer ({@link #encode}), so a
 * shuffle moves a few arrays per task rather than a record per key, and {@link #merge} adds such an array back. The
 * driver sees only a {@link #histogram} of the counts and then the keys above a {@link #floor}.
 */
public interface Counts extends Serializable {
  /** Histogram buckets: counts below EXACT exactly, then one bucket per power of two. */
  int EXACT = 1024;

  /**
   * The keys counted at least {@code minCount} times, cut into {@code parts} byte arrays by key: the same key lands in
   * the same part from every counter, so part i of all counters merged is key-disjoint from part j.
   */
  byte[][] encode(int parts, long minCount);

  /** Adds the counts of an {@link #encode}d part. */
  void merge(byte[] encoded);

  /** How many keys have each count: exact below 1024, then by powers of two (bucket 1024 + floor(log2(count/1024))). */
  long[] histogram();

  static long[] emptyHistogram() {
    return new long[EXACT + 64];
  }

  static int bucket(long count) {
    return count < EXACT ? (int) count : EXACT + 63 - Long.numberOfLeadingZeros(count / EXACT);
  }

  private static long bucketFloor(int bucket) {
    return bucket < EXACT ? bucket : (long) EXACT << (bucket - EXACT);
  }

  /**
   * The lowest count worth keeping from summed {@link #histogram}s: the count above which at most {@code limit}
   * keys lie (a bucket boundary), never below minFrequency or 1.
   */
  static long floor(long[] histogram, long limit, long minFrequency) {
    long above = 0;
    long floor = Long.MAX_VALUE;
    for (int b = histogram.length - 1; b >= 0; b--) {
      if (histogram[b] == 0) continue;
      if (above + histogram[b] > limit) break;
      above += histogram[b];
      floor = bucketFloor(b);
    }
    return Math.max(Math.max(1, minFrequency), floor == Long.MAX_VALUE ? 1 : floor);
  }
}
