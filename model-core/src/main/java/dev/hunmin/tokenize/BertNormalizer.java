package dev.hunmin.tokenize;

import java.io.Serializable;
import java.text.Normalizer;

/**
 * Hugging Face's BertNormalizer: clean text (drop controls, map white space to ' '), pad CJK ideographs with
 * spaces, optionally strip accents (NFD, then drop non-spacing marks) and lowercase — in that order.
 */
public final class BertNormalizer implements Serializable {
  private static final long serialVersionUID = 1L;
  private final boolean cleanText;
  private final boolean handleChineseChars;
  private final boolean stripAccents;
  private final boolean lowercase;

  public BertNormalizer(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowercase) {
    this.cleanText = cleanText;
    this.handleChineseChars = handleChineseChars;
    this.stripAccents = stripAccents;
    this.lowercase = lowercase;
  }

  public boolean stripAccents() {
    return stripAccents;
  }

  public boolean lowercase() {
    return lowercase;
  }

  public String normalize(String text) {
    BertChars chars = BertChars.get();
    StringBuilder out = new StringBuilder(text.length() + 8);
    boolean changed = false;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      int flags = chars.flags(cp);
      if (cleanText && (cp == 0 || cp == 0xFFFD || (flags & BertChars.REMOVED) != 0)) {
        changed = true;
      } else if (cleanText && (flags & BertChars.SPACE) != 0) {
        out.append(' ');
        changed |= cp != ' ';
      } else if (handleChineseChars && (flags & BertChars.CHINESE) != 0) {
        out.append(' ').appendCodePoint(cp).append(' ');
        changed = true;
      } else {
        out.appendCodePoint(cp);
      }
    }
    String s = changed ? out.toString() : text;
    if (stripAccents) s = stripAccents(s, chars);
    if (lowercase) s = lowercase(s, chars);
    return s;
  }

  private static String stripAccents(String s, BertChars chars) {
    String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
    StringBuilder out = new StringBuilder(nfd.length());
    nfd.codePoints().filter(cp -> !chars.is(cp, BertChars.MARK)).forEach(out::appendCodePoint);
    return out.toString();
  }

  private static String lowercase(String s, BertChars chars) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      String lower = chars.lowercase(cp);
      if (lower == null) out.appendCodePoint(cp);
      else out.append(lower);
    }
    return out.toString();
  }
}
