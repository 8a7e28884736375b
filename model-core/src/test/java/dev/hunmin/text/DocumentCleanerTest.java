package dev.hunmin.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.hunmin.util.Counters;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class DocumentCleanerTest {
  private final DocumentCleaner cleaner = new DocumentCleaner(
      new TextNormalizer(new TextNormalizer.Options(true, true, true, 3)),
      new PiiScrubber(EnumSet.allOf(PiiScrubber.Kind.class), "<%s>"),
      new KoreanSentenceSplitter(true),
      new DocumentCleaner.Filters(10, 1000, 0.3, 0.5, List.of("무단\\s*전재", "(?i)all rights reserved")));

  @Test
  void cleansScrubsAndSplits() {
    Counters c = new Counters();
    DocumentCleaner.Result r = cleaner.clean(
        "서울시는  오늘 새 정책을 발표했다. 문의는 02-123-4567로 하면 된다.\n무단 전재 및 재배포 금지", c);
    assertEquals(List.of("서울시는 오늘 새 정책을 발표했다.", "문의는 <PHONE>로 하면 된다."), r.sentences());
    assertEquals(1, c.get("pii.phone"));
    assertEquals(1, c.get("boilerplate_sentences"));
  }

  @Test
  void dropsJunkWithAReason() {
    assertEquals("too_short", cleaner.clean("짧다", new Counters()).dropReason());
    assertEquals("empty", cleaner.clean(" \u200b \n ", new Counters()).dropReason());
    assertEquals("few_hangul", cleaner.clean("This review is written in English only.", new Counters()).dropReason());
    assertEquals("few_letters", cleaner.clean("12345 67890 !!! ??? 한글", new Counters()).dropReason());
    assertEquals("too_long", cleaner.clean("가".repeat(5000), new Counters()).dropReason());
    assertEquals("boilerplate", cleaner.clean("무단 전재 및 재배포를 금지합니다", new Counters()).dropReason());
  }

  @Test
  void matchKeyIgnoresSpacingAndCase() {
    assertEquals(MatchKey.of("재밌어요 ! Good"), MatchKey.of("재밌어요!good"));
    assertNotEquals(MatchKey.of("재밌어요"), MatchKey.of("재미없어요"));
  }
}
