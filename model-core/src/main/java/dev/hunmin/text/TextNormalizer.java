package dev.hunmin.text;

import dev.hunmin.util.Counters;
import java.io.Serializable;
import java.text.Normalizer;

/**
 * The character-level steps of {@code clean}: Unicode NFC, removal of control and zero-width characters,
 * white-space folding and squeezing of repeated characters. Each step can be switched off and counts the lines it
 * changed under {@code normalize.<step>}.
 *
 * <p>NFC, not NFKC: NFKC would rewrite compatibility jamo and full-width forms, and NFD/NFKD would break Hangul
 * syllables into jamo; NFC keeps precomposed syllables as users typed them.
 */
public final class TextNormalizer implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Which steps run; {@code squeezeCap} 0 turns squeezing off. */
  public record Options(boolean nfc, boolean removeControl, boolean foldWhitespace, int squeezeCap)
      implements Serializable {}

  private final Options options;

  public TextNormalizer(Options options) {
    this.options = options;
  }

  public String normalize(String line, Counters counters) {
    String s = line;
    if (options.nfc()) s = counted(s, nfc(s), "normalize.nfc", counters);
    if (options.removeControl()) s = counted(s, removeControl(s), "normalize.control", counters);
    if (options.foldWhitespace()) s = counted(s, foldWhitespace(s), "normalize.whitespace", counters);
    if (options.squeezeCap() > 0) s = counted(s, squeezeRepeats(s, options.squeezeCap()), "normalize.squeeze", counters);
    return s;
  }

  private static String counted(String before, String after, String name, Counters counters) {
    if (!before.equals(after)) counters.increment(name);
    return after;
  }

  static String nfc(String s) {
    return Normalizer.isNormalized(s, Normalizer.Form.NFC) ? s : Normalizer.normalize(s, Normalizer.Form.NFC);
  }

  /** Drops control (Cc, except white space) and format (Cf: zero-width space/joiners, BOM, soft hyphen) characters. */
  static String removeControl(String s) {
    StringBuilder out = null;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      int n = Character.charCount(cp);
      boolean drop = isRemovable(cp);
      if (drop && out == null) out = new StringBuilder(s.length()).append(s, 0, i);
      if (!drop && out != null) out.appendCodePoint(cp);
      i += n;
    }
    return out == null ? s : out.toString();
  }

  private static boolean isRemovable(int cp) {
    int type = Character.getType(cp);
    if (type == Character.CONTROL) return !Character.isWhitespace(cp);
    return type == Character.FORMAT || cp == 0xFFFE || cp == 0xFFFF;
  }

  /** Every run of white space (including NBSP and the ideographic space) becomes one ASCII space; ends trimmed. */
  static String foldWhitespace(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean pendingSpace = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (isSpace(c)) {
        pendingSpace = out.length() > 0;
      } else {
        if (pendingSpace) out.append(' ');
        pendingSpace = false;
        out.append(c);
      }
    }
    return out.toString();
  }

  static boolean isSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c);
  }

  /** Caps runs of one repeated non-digit character (ㅋㅋㅋㅋㅋ, !!!!!, ......) at {@code cap}; digits are data. */
  static String squeezeRepeats(String s, int cap) {
    StringBuilder out = null;
    int run = 0;
    int prev = -1;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      int n = Character.charCount(cp);
      run = (cp == prev) ? run + 1 : 1;
      prev = cp;
      boolean drop = run > cap && !Character.isDigit(cp) && !Character.isWhitespace(cp);
      if (drop && out == null) out = new StringBuilder(s.length()).append(s, 0, i);
      if (!drop && out != null) out.appendCodePoint(cp);
      i += n;
    }
    return out == null ? s : out.toString();
  }
}
