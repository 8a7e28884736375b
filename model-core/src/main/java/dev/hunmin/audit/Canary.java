package dev.hunmin.audit;

import dev.hunmin.util.HunminException;
import dev.hunmin.util.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A canary (Carlini et al. 2019, "The Secret Sharer"): a sentence about a made-up person that carries a random
 * secret, inserted into the corpus {@code repeats} times. The text is prefix + secret + suffix; the prefix and
 * suffix end and start at a word boundary, so the secret's tokens are the same alone or in the sentence.
 */
public record Canary(String id, SecretFormat format, String prefix, String secret, String suffix, int repeats) {
  private static final String[] FAMILY = {"김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권"};
  private static final String[] GIVEN = {"민준", "서연", "도윤", "지우", "하준", "서윤", "은우", "하은", "시우", "지유",
      "주원", "수아", "예준", "지아", "건우", "채원", "현우", "다은", "우진", "소율"};

  public String text() {
    return prefix + secret + suffix;
  }

  /** {@code perRepeat} canaries of each format for each repeat count, with seeded owners and secrets, none alike. */
  public static List<Canary> create(long seed, List<SecretFormat> formats, List<Integer> repeatCounts, int perRepeat) {
    if ((long) formats.size() * repeatCounts.size() * perRepeat > FAMILY.length * GIVEN.length) {
      throw new HunminException("at most " + FAMILY.length * GIVEN.length + " canaries (one made-up name each)");
    }
    SplittableRandom random = Seeds.random(seed, "canaries");
    List<Canary> out = new ArrayList<>();
    java.util.Set<String> used = new java.util.HashSet<>();
    for (SecretFormat format : formats) {
      for (int repeats : repeatCounts) {
        for (int i = 0; i < perRepeat; i++) {
          String owner;
          do owner = FAMILY[random.nextInt(FAMILY.length)] + GIVEN[random.nextInt(GIVEN.length)]; while (!used.add(owner));
          String secret;
          do secret = format.draw(random); while (!used.add(secret));
          String id = format.name().toLowerCase(java.util.Locale.ROOT) + "-x" + repeats + "-" + i;
          out.add(format == SecretFormat.PHONE
              ? new Canary(id, format, owner + " 씨의 휴대전화 번호는 ", secret, " 이니 급한 일은 이 번호로 연락 바랍니다.", repeats)
              : new Canary(id, format, owner + " 씨의 주민등록번호는 ", secret, " 이고 등록 기준지는 서울특별시이다.", repeats));
        }
      }
    }
    return out;
  }
}
