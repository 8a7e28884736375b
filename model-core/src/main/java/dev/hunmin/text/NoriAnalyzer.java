package dev.hunmin.text;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.ko.KoreanTokenizer;
import org.apache.lucene.analysis.ko.POS;
import org.apache.lucene.analysis.ko.dict.Dictionary;
import org.apache.lucene.analysis.ko.tokenattributes.PartOfSpeechAttribute;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;

/**
 * Lucene Nori's morphological analysis of a text as a list of tokens with offsets and parts of speech. Compound
 * and inflected words stay whole (DecompoundMode.NONE), so the tokens partition the text. One Lucene tokenizer
 * per thread (they are stateful); the dictionaries behind them are shared.
 */
public final class NoriAnalyzer {
  /**
   * A token: its span, the parts of speech of its first and last morpheme, and the dictionary form of its last
   * morpheme when that is an ending (Nori tags every ending E). Tokens of several morphemes (했다 = 하 + 었 + 다)
   * also carry the forms of the first and last one and the part of speech of the one before the last (for an
   * ending and the token after one); otherwise, and for a token of one morpheme, these are null.
   */
  public record Morpheme(int start, int end, POS.Tag left, POS.Tag right, String ending, String firstForm,
      String lastForm, POS.Tag beforeLast) {
    Morpheme(int start, int end, POS.Tag left, POS.Tag right, String ending) {
      this(start, end, left, right, ending, null, null, null);
    }
  }

  private final ThreadLocal<Tokenizer> tokenizer = ThreadLocal.withInitial(Tokenizer::new);

  /** Tokens in text order, white space left out. */
  public List<Morpheme> analyze(String text) {
    return tokenizer.get().analyze(text);
  }

  private static final class Tokenizer {
    private final KoreanTokenizer tokenizer = new KoreanTokenizer(
        TokenStream.DEFAULT_TOKEN_ATTRIBUTE_FACTORY, null, KoreanTokenizer.DecompoundMode.NONE, false, false);
    private final OffsetAttribute offset = tokenizer.addAttribute(OffsetAttribute.class);
    private final PartOfSpeechAttribute pos = tokenizer.addAttribute(PartOfSpeechAttribute.class);
    private final CharTermAttribute term = tokenizer.addAttribute(CharTermAttribute.class);

    List<Morpheme> analyze(String text) {
      List<Morpheme> out = new ArrayList<>();
      boolean afterEnding = false; // since the last ending, only marks and laughter (ㅋㅋ, ~) so far
      try {
        tokenizer.setReader(new StringReader(text));
        tokenizer.reset();
        while (tokenizer.incrementToken()) {
          POS.Tag left = pos.getLeftPOS();
          POS.Tag right = pos.getRightPOS();
          if (left == null || right == null || left == POS.Tag.SP) continue;
          out.add(morpheme(left, right, right == POS.Tag.E || afterEnding));
          if (right == POS.Tag.E) afterEnding = true;
          else if (hasWordCharacter()) afterEnding = false;
        }
        tokenizer.end();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        try {
          tokenizer.close();
        } catch (IOException ignored) {
          // closing a StringReader cannot fail
        }
      }
      return out;
    }

    private boolean hasWordCharacter() {
      for (int i = 0; i < term.length(); i++) {
        char c = term.charAt(i);
        if ((c >= '가' && c <= '힣') || Character.isLetterOrDigit(c) && !(c >= 'ㄱ' && c <= 'ㅣ')) return true;
      }
      return false;
    }

    /**
     * The token; its morphemes' forms only where the sentence splitter looks at them (an ending, and the token
     * after one), since Nori builds them from the dictionary on request.
     */
    private Morpheme morpheme(POS.Tag left, POS.Tag right, boolean withForms) {
      int start = offset.startOffset();
      int end = offset.endOffset();
      Dictionary.Morpheme[] parts = withForms ? pos.getMorphemes() : null;
      if (parts == null || parts.length < 2) {
        return new Morpheme(start, end, left, right, right == POS.Tag.E ? term.toString() : null);
      }
      String last = parts[parts.length - 1].surfaceForm;
      return new Morpheme(start, end, left, right, right == POS.Tag.E ? last : null, parts[0].surfaceForm, last,
          parts[parts.length - 2].posTag);
    }
  }
}
