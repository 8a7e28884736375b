package dev.hunmin.tokenize;

import java.io.Serializable;

/**
 * Hugging Face's BertPreTokenizer: words are split on white space (dropped) and every punctuation character is
 * a word of its own. Reports words as [start, end) char ranges of the text, so nothing is copied.
 */
public final class BertPreTokenizer implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Receives each word's range. */
  @FunctionalInterface
  public interface WordSink {
    void word(int start, int end);
  }

  public void split(CharSequence text, WordSink sink) {
    BertChars chars = BertChars.get();
    int start = -1;
    for (int i = 0; i < text.length(); ) {
      int cp = Character.codePointAt(text, i);
      int next = i + Character.charCount(cp);
      int flags = chars.flags(cp);
      if ((flags & BertChars.SPLIT_SPACE) != 0) {
        if (start >= 0) sink.word(start, i);
        start = -1;
      } else if ((flags & BertChars.PUNCT) != 0) {
        if (start >= 0) sink.word(start, i);
        sink.word(i, next);
        start = -1;
      } else if (start < 0) {
        start = i;
      }
      i = next;
    }
    if (start >= 0) sink.word(start, text.length());
  }
}
