package dev.hunmin.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hunmin.util.Counters;
import org.junit.jupiter.api.Test;

class TextNormalizerTest {
  private final TextNormalizer all = new TextNormalizer(new TextNormalizer.Options(true, true, true, 3));

  @Test
  void composesDecomposedHangulWithoutCompatibilityRewrites() {
    String decomposed = "\u1112\u1161\u11ab\u1100\u1173\u11af"; // 한글 as conjoining jamo
    assertEquals("한글", TextNormalizer.nfc(decomposed));
    assertEquals("ㅋ１", TextNormalizer.nfc("ㅋ１"), "NFC keeps compatibility jamo and full-width digits");
  }

  @Test
  void removesControlAndZeroWidthCharacters() {
    assertEquals("한국어", TextNormalizer.removeControl("한\u200b국\u200d어\ufeff"));
    assertEquals("a\tb", TextNormalizer.removeControl("a\u0007\tb"), "white-space controls are left to folding");
  }

  @Test
  void foldsEveryKindOfWhiteSpace() {
    assertEquals("서울 특별시 중구", TextNormalizer.foldWhitespace("  서울\u00a0\u00a0특별시\t\u3000중구 \n"));
  }

  @Test
  void squeezesRepeatsButNotDigits() {
    assertEquals("ㅋㅋㅋ 좋아요!!! 1000000원", TextNormalizer.squeezeRepeats("ㅋㅋㅋㅋㅋㅋ 좋아요!!!!! 1000000원", 3));
  }

  @Test
  void countsTheLinesEachStepChanged() {
    Counters c = new Counters();
    assertEquals("ㅋㅋㅋ 재밌다", all.normalize("ㅋㅋㅋㅋ\u200b  재밌다", c));
    assertEquals(1, c.get("normalize.control"));
    assertEquals(1, c.get("normalize.whitespace"));
    assertEquals(1, c.get("normalize.squeeze"));
    assertEquals(0, c.get("normalize.nfc"));
  }

  @Test
  void stepsCanBeSwitchedOff() {
    TextNormalizer none = new TextNormalizer(new TextNormalizer.Options(false, false, false, 0));
    assertEquals("ㅋㅋㅋㅋ  a", none.normalize("ㅋㅋㅋㅋ  a", new Counters()));
  }
}
