package dev.hunmin.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WordPieceTokenizerTest {
  private static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
      "이순신", "##은", "조선", "중기", "##의", "무신", "##이다", ".", "漢", "字", "먹", "었", "습니다", "##습니다", "##었");
  private final WordPieceTokenizer tokenizer =
      new WordPieceTokenizer(VOCAB, new BertNormalizer(true, true, false, false), WordPieceTokenizer.PreTokenization.WHITESPACE);

  private List<String> tokens(String text) {
    List<String> out = new ArrayList<>();
    for (int id : tokenizer.encode(text)) out.add(tokenizer.token(id));
    return out;
  }

  @Test
  void theSeedsFillMaskProbe() {
    assertEquals(List.of("이순신", "##은", "[MASK]", "중기", "##의", "무신", "##이다", "."), tokens("이순신은 [MASK] 중기의 무신이다."));
    assertEquals(List.of("[MASK]", "[MASK]", "조선"), tokens("[MASK][MASK]조선"), "[MASK] in text stays one token");
  }

  @Test
  void normalizerAndPreTokenizer() {
    assertEquals(List.of("漢", "字"), tokens("漢字"), "CJK ideographs are words of their own");
    assertEquals(List.of("조선", "."), tokens("조선\u200b\u0007."), "controls and zero-width removed, punctuation split");
    assertEquals(List.of("[UNK]"), tokens("없는단어"));
    assertEquals(List.of(), tokens(""));
    assertArrayEquals(new int[] {2, 7, 3}, tokenizer.encodeWithSpecialTokens("조선"));
  }

  @Test
  void savedFilesLoadBackToTheSameTokenizer() throws IOException {
    Map<String, String> files = tokenizer.files();
    assertEquals(List.of("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"), List.copyOf(files.keySet()));
    assertTrue(files.get("tokenizer.json").contains("\"type\" : \"BertNormalizer\""));
    WordPieceTokenizer fromJson = WordPieceTokenizer.load(files::get);
    WordPieceTokenizer fromVocabTxt = WordPieceTokenizer.load(name -> name.equals("tokenizer.json") ? null : files.get(name));
    for (WordPieceTokenizer t : List.of(fromJson, fromVocabTxt)) {
      assertEquals(VOCAB, t.vocab());
      assertArrayEquals(tokenizer.encode("이순신은 [MASK] 중기의 무신이다."), t.encode("이순신은 [MASK] 중기의 무신이다."));
    }
  }

  @Test
  void morphemeModeSplitsEojeolsAndIsRecorded() throws IOException {
    assertEquals("먹 었 습니다", new MorphemeSplitter().split("먹었습니다"));
    WordPieceTokenizer morph = new WordPieceTokenizer(VOCAB, new BertNormalizer(true, true, false, false),
        WordPieceTokenizer.PreTokenization.MORPHEME);
    List<String> t = new ArrayList<>();
    for (int id : morph.encode("먹었습니다")) t.add(morph.token(id));
    assertEquals(List.of("먹", "었", "습니다"), t);
    assertEquals(List.of("먹", "##었", "##습니다"), tokens("먹었습니다"));
    assertTrue(morph.files().get("tokenizer_config.json").contains("\"hunmin_pretokenizer\" : \"morpheme\""));
    assertEquals(WordPieceTokenizer.PreTokenization.MORPHEME, WordPieceTokenizer.load(morph.files()::get).preTokenization());
  }
}
