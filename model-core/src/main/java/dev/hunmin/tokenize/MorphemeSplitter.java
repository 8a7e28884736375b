package dev.hunmin.tokenize;

import dev.hunmin.text.NoriAnalyzer;
import java.io.Serializable;
import java.util.List;

/**
 * {@code --pretokenizer morpheme}: a space between the morphemes Nori finds inside each eojeol ("먹었습니다" →
 * "먹 었 습니다"), so that WordPiece learns and applies morpheme-sized pieces, as seed 004's morpheme tokenizer
 * did. Hugging Face tools see the same tokens when given text split this way.
 */
public final class MorphemeSplitter implements Serializable {
  private static final long serialVersionUID = 1L;
  private transient NoriAnalyzer nori;

  public String split(String text) {
    if (nori == null) nori = new NoriAnalyzer();
    List<NoriAnalyzer.Morpheme> tokens = nori.analyze(text);
    StringBuilder out = new StringBuilder(text.length() + tokens.size());
    int at = 0;
    for (NoriAnalyzer.Morpheme m : tokens) {
      if (m.start() < at) continue;
      out.append(text, at, m.start());
      if (m.start() > 0 && out.length() > 0 && !Character.isWhitespace(out.charAt(out.length() - 1))) out.append(' ');
      out.append(text, m.start(), m.end());
      at = m.end();
    }
    return out.append(text, at, text.length()).toString();
  }
}
