package dev.hunmin.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hunmin.util.Counters;
import dev.hunmin.util.HunminException;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PiiScrubberTest {
  private final PiiScrubber scrubber = new PiiScrubber(EnumSet.allOf(PiiScrubber.Kind.class), "<%s>");

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "연락처는 010-1234-5678 입니다.|연락처는 <PHONE> 입니다.",
      "010 9876 5432로 전화|<PHONE>로 전화",
      "01012345678로 문자|<PHONE>로 문자",
      "해외에서는 +82 10-2222-3333|해외에서는 <PHONE>",
      "대표번호 02-123-4567, 경기 031-987-6543|대표번호 <PHONE>, 경기 <PHONE>",
      "고객센터 1588-1234|고객센터 <PHONE>",
      "자치행정과(031-987-6543)나|자치행정과(<PHONE>)나",
      "문의 (02) 123-4567|문의 <PHONE>",
      "메일 hong.gildong@example.com 으로|메일 <EMAIL> 으로",
      "공지는 https://www.example.com/notice?id=3 에서 확인.|공지는 <URL> 에서 확인.",
      "www.example.co.kr.|<URL>.",
      "주민번호 900101-1234567 유출|주민번호 <RRN> 유출",
      "주민번호 9001011234567 유출|주민번호 <RRN> 유출",
      "상담 1644-1999 또는 1800-0123|상담 <PHONE> 또는 <PHONE>",
      "카드 4111-1111-1111-1111 결제|카드 <CARD> 결제",
      "카드 5500 0000 0000 0004|카드 <CARD>",
      "계좌 110-123-456789 로 입금|계좌 <ACCOUNT> 로 입금",
      "서버 192.168.10.25 접속|서버 <IP> 접속",
  })
  void replacesEachKind(String in, String out) {
    assertEquals(out, scrubber.scrub(in, new Counters()));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "원주율은 3.14이다.",
      "2019. 3. 1. 서울에서",
      "2017-08-25에 청원",
      "인구는 9,668,465명이다.",
      "4111-1111-1111-1112는 카드가 아니다",
      "1,000,000원을 모았다",
      "버전 1.2.3 출시",
      "한국전쟁(1950-1953)은 비극이었다.",
      "1997-1998년 외환위기",
      "임진왜란(1592-1598) 때",
      "정조(1752-1800)의 치세",
  })
  void leavesNumbersThatAreNotPersonalData(String text) {
    assertEquals(text, scrubber.scrub(text, new Counters()));
  }

  @Test
  void countsByKindAndHonoursTheEnabledSet() {
    Counters c = new Counters();
    scrubber.scrub("010-1234-5678, 010-2222-3333, a@example.com", c);
    assertEquals(2, c.get("pii.phone"));
    assertEquals(1, c.get("pii.email"));
    PiiScrubber phonesOnly = new PiiScrubber(EnumSet.of(PiiScrubber.Kind.PHONE), "[%s]");
    assertEquals("[PHONE] a@example.com", phonesOnly.scrub("010-1234-5678 a@example.com", new Counters()));
  }

  @Test
  void placeholderIsAFormatOfTheKindOrAFixedText() {
    assertEquals("연락처 *", new PiiScrubber(EnumSet.of(PiiScrubber.Kind.PHONE), "*").scrub("연락처 010-1234-5678", new Counters()));
    for (String bad : new String[] {"<%d>", "<%s %s>", "<%"}) {
      HunminException e = assertThrows(HunminException.class, () -> new PiiScrubber(EnumSet.of(PiiScrubber.Kind.PHONE), bad));
      assertTrue(e.getMessage().startsWith("PII placeholder '" + bad + "'"), e.getMessage());
    }
  }

  @Test
  void luhn() {
    assertTrue(PiiScrubber.luhnValid("4111111111111111"));
    assertTrue(PiiScrubber.luhnValid("5500-0000-0000-0004"));
    assertFalse(PiiScrubber.luhnValid("4111111111111112"));
    assertFalse(PiiScrubber.luhnValid("0000"));
  }
}
