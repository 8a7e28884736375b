package dev.hunmin.tokenize;

import java.util.Arrays;

/** A growable byte array of varints and UTF-16 units: the wire format of {@link Counts#encode}. */
final class Bytes {
  private byte[] data = new byte[1 << 12];
  private int size;

  private void ensure(int more) {
    if (size + more > data.length) data = Arrays.copyOf(data, Math.max(size + more, data.length * 2));
  }

  void varint(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      data[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    data[size++] = (byte) v;
  }

  void character(char c) {
    ensure(2);
    data[size++] = (byte) (c >>> 8);
    data[size++] = (byte) c;
  }

  byte[] toArray() {
    return Arrays.copyOf(data, size);
  }

  static long varint(byte[] b, int[] at) {
    long v = 0;
    for (int shift = 0; ; shift += 7) {
      byte x = b[at[0]++];
      v |= (long) (x & 0x7F) << shift;
      if (x >= 0) return v;
    }
  }

  static char character(byte[] b, int[] at) {
    int p = at[0];
    at[0] = p + 2;
    return (char) ((b[p] & 0xFF) << 8 | (b[p + 1] & 0xFF));
  }
}
