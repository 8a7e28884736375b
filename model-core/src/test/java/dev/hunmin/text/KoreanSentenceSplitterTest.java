package dev.hunmin.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class KoreanSentenceSplitterTest {
  private final KoreanSentenceSplitter splitter = new KoreanSentenceSplitter(true);
  private final KoreanSentenceSplitter punctuationOnly = new KoreanSentenceSplitter(false);

  @Test
  void splitsOnTerminalPunctuationWithOrWithoutSpace() {
    assertEquals(List.of("이순신은 조선 중기의 무신이다.", "그는 수군을 이끌었다!", "정말일까?"),
        splitter.split("이순신은 조선 중기의 무신이다. 그는 수군을 이끌었다!정말일까?"));
  }

  @Test
  void splitsOnSentenceFinalEndingsWithoutPunctuation() {
    assertEquals(List.of("한 남자가 춤을 추고 있다", "한 여자가 노래를 부른다"),
        splitter.split("한 남자가 춤을 추고 있다 한 여자가 노래를 부른다"));
    assertEquals(List.of("먹었습니다", "그는 갔어요"), splitter.split("먹었습니다그는 갔어요"));
    assertEquals(List.of("매일 아침 피곤해", "정말 힘드네"), splitter.split("매일 아침 피곤해 정말 힘드네"));
  }

  @Test
  void keepsConnectivesInsideTheSentence() {
    assertEquals(List.of("그는 평화를 위해 싸웠다."), splitter.split("그는 평화를 위해 싸웠다."));
    assertEquals(List.of("밥을 먹고 학교에 가지 않았다."), splitter.split("밥을 먹고 학교에 가지 않았다."));
    assertEquals(List.of("창문에서 햇빛을 받아 화분을 심었다."), splitter.split("창문에서 햇빛을 받아 화분을 심었다."));
    // written prose: -어/-아 before a new clause join it to a sentence that closes with -다
    for (String prose : List.of("물가가 너무 빠르게 오르면 화폐의 가치가 떨어져 저축한 돈의 실질 구매력이 줄어든다.",
        "4일 경찰은 검찰과 금융기관을 사칭해 돈을 가로챈 혐의로 조직원 12명을 검거했다고 밝혔다.",
        "매년 가을에는 부산국제영화제가 열려 국내외 영화인들이 한자리에 모인다.",
        "반도체의 재료로는 실리콘이 있으며, 여기에 불순물을 넣어 전기적 성질을 조절한다.",
        "결혼 했으면 사랑을 떠나서 의리와 정이라도 있다.")) {
      assertEquals(List.of(prose), splitter.split(prose));
    }
  }

  @Test
  void noSplitInsideNumbersDatesAbbreviationsAndUrls() {
    assertEquals(List.of("원주율은 약 3.14이다.", "다음 문장."), splitter.split("원주율은 약 3.14이다. 다음 문장."));
    assertEquals(List.of("2019. 3. 1. 독립선언서가 낭독되었다."), splitter.split("2019. 3. 1. 독립선언서가 낭독되었다."));
    assertEquals(List.of("Dr. Kim은 U.S. 대학에 있다."), splitter.split("Dr. Kim은 U.S. 대학에 있다."));
    assertEquals(List.of("자세한 내용은 www.example.com에서 본다."), splitter.split("자세한 내용은 www.example.com에서 본다."));
    assertEquals(List.of("1. 첫째 항목이다."), punctuationOnly.split("1. 첫째 항목이다."));
  }

  @Test
  void anItemsNumberStaysWithItsTextAfterALabelOrBeforeTheNextItem() {
    assertEquals(List.of("문제> 1. 환전 문제가 있다.", "2. 결제 문제가 있다."), splitter.split("문제> 1. 환전 문제가 있다. 2. 결제 문제가 있다."));
    assertEquals(List.of("요약: 1. 첫째 항목이다."), splitter.split("요약: 1. 첫째 항목이다."));
    assertEquals(List.of("제3조 1. 이 법은 공포한 날부터 시행한다.", "2. 부칙은 따로 정한다."),
        splitter.split("제3조 1. 이 법은 공포한 날부터 시행한다. 2. 부칙은 따로 정한다."));
    // a number that closes a sentence is followed by no next item
    assertEquals(List.of("10점 만점에 8.", "그래도 재밌다."), punctuationOnly.split("10점 만점에 8. 그래도 재밌다."));
  }

  @Test
  void marksAndPiecesWithoutLettersStayWithASentence() {
    // U+FE0F after each ‼ makes it an emoji; it was cut off into sentences of its own
    assertEquals(List.of("턱 좀 처리 하고 ‼\uFE0F‼\uFE0F‼\uFE0F", "끝."), splitter.split("턱 좀 처리 하고 ‼\uFE0F‼\uFE0F‼\uFE0F 끝."));
    assertEquals(List.of("!!! 대박이다.", "진짜."), punctuationOnly.split("!!! 대박이다. 진짜."));
    assertEquals(List.of("정말 최고다. ♥\uFE0F"), punctuationOnly.split("정말 최고다. ♥\uFE0F"));
  }

  @Test
  void quotesStayWithTheirSentence() {
    assertEquals(List.of("그는 \"내일 다시 오겠다. 꼭.\"라고 말했다.", "모두 웃었다."),
        splitter.split("그는 \"내일 다시 오겠다. 꼭.\"라고 말했다. 모두 웃었다."));
    assertEquals(List.of("그리고 그가 말했다, \"엄마, 저 왔어요.\"", "그는 학교에 갔다."),
        splitter.split("그리고 그가 말했다, \"엄마, 저 왔어요.\" 그는 학교에 갔다."));
    // a quote glued to the next word is followed by its attribution
    assertEquals(List.of("\"곧 돌아오겠다.\"그는 말했다.", "모두 웃었다."),
        punctuationOnly.split("\"곧 돌아오겠다.\"그는 말했다. 모두 웃었다."));
  }

  @Test
  void laughterAndEllipsisBelongToTheSentenceBefore() {
    assertEquals(List.of("진짜 재밌다ㅋㅋㅋ", "또 볼래요..."), splitter.split("진짜 재밌다ㅋㅋㅋ 또 볼래요..."));
    assertEquals(List.of("진짜 든든했어요 ㅋㅋ"), splitter.split("진짜 든든했어요 ㅋㅋ"));
    assertEquals(List.of("진짜 재밌다 ㅋㅋㅋ", "또 볼래요"), splitter.split("진짜 재밌다 ㅋㅋㅋ 또 볼래요"));
    // an emoticon or emoji set off by a space after the mark went with the next sentence
    assertEquals(List.of("좋아요. ^^", "또 봐요."), splitter.split("좋아요. ^^ 또 봐요."));
    assertEquals(List.of("최고예요! 👍", "강추합니다."), punctuationOnly.split("최고예요! 👍 강추합니다."));
    assertEquals(List.of("죄송합니다. ;;", "다시 올릴게요."), splitter.split("죄송합니다. ;; 다시 올릴게요."));
    assertEquals(List.of("재밌었어요 ❤️", "또 볼래요"), splitter.split("재밌었어요 ❤️ 또 볼래요"));
  }

  @Test
  void survivesSerializationAndKeepsTheRulesAsAnOption() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(splitter);
    }
    KoreanSentenceSplitter copy;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (KoreanSentenceSplitter) in.readObject();
    }
    String text = "한 남자가 춤을 추고 있다 한 여자가 노래를 부른다";
    assertEquals(splitter.split(text), copy.split(text));
    assertEquals(List.of("한 남자가 춤을 추고 있다", "한 여자가 노래를 부른다"),
        new KoreanSentenceSplitter(true, false).split(text));
  }

  @Test
  void emptyAndBlankParagraphs() {
    assertEquals(List.of(), splitter.split(""));
    assertEquals(List.of(), splitter.split("   "));
  }
}
