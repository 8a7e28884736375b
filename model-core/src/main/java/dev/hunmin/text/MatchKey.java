package dev.hunmin.text;

/**
 * The identity of a text for exact dedup and decontamination: white space removed and letters lower-cased (so
 * "재밌어요 !" and "재밌어요!" match), hashed to 64 bits. At 10⁸ texts a false match has probability ~3·10⁻⁴.
 */
public final class MatchKey {
  private MatchKey() {}

  public static long of(String text) {
    long h = 0xcbf29ce484222325L; // FNV-1a over the kept UTF-16 units, then a SplitMix64 finalizer
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c) || Character.isSpaceChar(c)) continue;
      h ^= Character.toLowerCase(c);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 30;
    h *= 0xbf58476d1ce4e5b9L;
    h ^= h >>> 27;
    h *= 0x94d049bb133111ebL;
    return h ^ (h >>> 31);
  }

  /** {@link #of} over the sentences of a document as if they were one text. */
  public static long ofSentences(Iterable<String> sentences) {
    return of(String.join("", sentences));
  }
}
