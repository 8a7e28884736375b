package dev.hunmin.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.hunmin.model.Bert;
import dev.hunmin.model.BertConfig;
import dev.hunmin.text.PiiScrubber;
import dev.hunmin.tokenize.BertNormalizer;
import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.train.Batch;
import dev.hunmin.train.Pretrainer;
import dev.hunmin.train.Schedule;
import dev.hunmin.util.Counters;
import dev.hunmin.util.HunminException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AuditTest {
  private static final List<SecretFormat> BOTH = List.of(SecretFormat.PHONE, SecretFormat.RRN);
  private static final List<String> OWNERS = List.of("민준", "서연", "도윤", "지우", "하준", "서윤", "은우", "하은");
  private static final WordPieceTokenizer TOKENIZER = tokenizer();

  private static WordPieceTokenizer tokenizer() {
    List<String> vocab = new ArrayList<>(WordPieceTokenizer.SPECIAL_TOKENS);
    for (int d = 0; d < 10; d++) vocab.add(String.valueOf(d));
    for (int d = 0; d < 10; d++) vocab.add("##" + d);
    vocab.addAll(List.of("-", ".", "씨의", "휴대전화", "번호는", "입니다"));
    vocab.addAll(OWNERS);
    return new WordPieceTokenizer(vocab, new BertNormalizer(true, true, false, false), WordPieceTokenizer.PreTokenization.WHITESPACE);
  }

  private static BertConfig tiny() {
    return new BertConfig(TOKENIZER.vocabSize(), 64, 2, 2, 128, "gelu", 0.1, 0.1, 32, 2, 1e-12, 0.02, 0);
  }

  @Test
  void canariesAreSeededDistinctAndWhatTheScrubberRemoves() {
    List<Canary> canaries = Canary.create(7, BOTH, List.of(1, 4, 16, 64), 2);
    assertEquals(16, canaries.size());
    assertEquals(canaries, Canary.create(7, BOTH, List.of(1, 4, 16, 64), 2), "seeded");
    assertNotEquals(canaries, Canary.create(8, BOTH, List.of(1, 4, 16, 64), 2));
    assertEquals(16, new HashSet<>(canaries.stream().map(Canary::secret).toList()).size());
    assertEquals(16, new HashSet<>(canaries.stream().map(Canary::prefix).toList()).size(), "one owner each");
    PiiScrubber scrubber = new PiiScrubber(EnumSet.allOf(PiiScrubber.Kind.class), "<%s>");
    for (Canary c : canaries) {
      String scrubbed = scrubber.scrub(c.text(), new Counters());
      assertFalse(scrubbed.contains(c.secret()), scrubbed);
      assertTrue(scrubbed.contains(c.format() == SecretFormat.PHONE ? "<PHONE>" : "<RRN>"), c.text() + " → " + scrubbed);
    }
  }

  @Test
  void exposureIsAboutOnePointFourFourBitsForAScorerThatKnowsNothingAndMaximalForOneThatKnowsTheSecret() {
    List<Canary> canaries = Canary.create(3, BOTH, List.of(1), 100);
    double sum = 0;
    for (Canary c : canaries) {
      // a score that depends only on the string: the secret is one more draw from the same space
      sum += Exposure.measure(c, (canary, secrets) -> secrets.stream()
          .mapToDouble(s -> new SplittableRandom(s.hashCode()).nextDouble()).toArray(), 200, 1).exposure();
    }
    double mean = sum / canaries.size();
    assertEquals(Exposure.CHANCE, mean, 0.25, "mean exposure of an uninformed scorer");
    Canary c = canaries.get(0);
    Exposure.Result known = Exposure.measure(c, (canary, secrets) -> secrets.stream()
        .mapToDouble(s -> s.equals(canary.secret()) ? 1 : 0).toArray(), 200, 1);
    assertEquals(Math.log(201) / Math.log(2), known.exposure(), 1e-9);
    assertTrue(known.saturated());
    assertEquals(c.format().log2Size() - known.exposure(), known.log2Rank(), 1e-9);
  }

  /** NaN compares false with everything: a NaN secret score would otherwise rank above every candidate. */
  @Test
  void aNaNScoreIsRefusedNotRankedAsMaximalExposure() {
    for (double[] scores : List.of(new double[] {Double.NaN, -3, -2}, new double[] {-1, Double.NaN, -2})) {
      HunminException e = assertThrows(HunminException.class, () -> Exposure.fromScores(scores, 26.6));
      assertTrue(e.getMessage().contains("diverged"), e.getMessage());
    }
    assertEquals(Math.log(3) / Math.log(2), Exposure.fromScores(new double[] {Double.POSITIVE_INFINITY, -3, -2}, 26.6).exposure(), 1e-9,
        "an infinite score still ranks");
  }

  @Test
  void aDivergedModelIsRefused() {
    try (NDManager m = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(tiny(), m, 5);
      java.util.Map<String, ai.djl.ndarray.NDArray> weights = new java.util.LinkedHashMap<>(bert.parameters());
      weights.replaceAll((name, w) -> w.mul(Float.NaN));
      MaskedLmScorer scorer = new MaskedLmScorer(bert.withParameters(weights), TOKENIZER, m, 64);
      Canary c = withOwner(Canary.create(5, List.of(SecretFormat.PHONE), List.of(1), 1).get(0), OWNERS.get(0));
      HunminException e = assertThrows(HunminException.class, () -> Exposure.measure(c,
          (x, secrets) -> scorer.pseudoLogLikelihood(x.prefix(), secrets, x.suffix()), 20, 2));
      assertTrue(e.getMessage().contains("diverged"), e.getMessage());
    }
  }

  @Test
  void anUntrainedModelExposesNothing() {
    try (NDManager m = NDManager.newBaseManager()) {
      MaskedLmScorer scorer = new MaskedLmScorer(Bert.initialize(tiny(), m, 5), TOKENIZER, m, 256);
      List<Canary> canaries = Canary.create(5, List.of(SecretFormat.PHONE), List.of(1), 60);
      double sum = 0;
      for (Canary c : canaries) {
        Canary sentence = withOwner(c, OWNERS.get(0));
        sum += Exposure.measure(sentence, (x, secrets) -> scorer.pseudoLogLikelihood(x.prefix(), secrets, x.suffix()), 100, 2).exposure();
      }
      System.out.printf("untrained model: mean exposure %.3f over %d canaries%n", sum / canaries.size(), canaries.size());
      assertEquals(Exposure.CHANCE, sum / canaries.size(), 0.4);
    }
  }

  @Test
  void pseudoLogLikelihoodIsTheSumOfOneMaskAtATimeWhateverTheBatching() {
    try (NDManager m = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(tiny(), m, 5);
      List<String> spans = List.of("010-1234-5678", "1-2", "99");
      double[] batched = new MaskedLmScorer(bert, TOKENIZER, m, 64).pseudoLogLikelihood("민준 씨의 번호는 ", spans, " 입니다.");
      MaskedLmScorer single = new MaskedLmScorer(bert, TOKENIZER, m, 1);
      for (int s = 0; s < spans.size(); s++) {
        int[][] encoded = single.encode("민준 씨의 번호는 ", spans.get(s), " 입니다.");
        double manual = 0;
        for (int p = encoded[1][0]; p < encoded[1][1]; p++) {
          int[] masked = encoded[0].clone();
          masked[p] = TOKENIZER.id("[MASK]");
          manual += single.logProbabilities(List.of(masked), List.of(p))[0][encoded[0][p]];
        }
        assertEquals(manual, batched[s], 1e-3, spans.get(s));
      }
      assertEquals(3 + 1 + 4 + 1 + 4, single.encode("민준 씨의 번호는 ", "010-1234-5678", " 입니다.")[1][1]
          - single.encode("민준 씨의 번호는 ", "010-1234-5678", " 입니다.")[1][0], "the span's tokens: 0 ##1 ##0 - 1 ##2 ##3 ##4 - …");
    }
  }

  /**
   * The audit's premise at small scale: a canary repeated 64 times among sentences of the same shape about other
   * people is exposed, and its probe recovers it; a canary the model never saw stays near chance.
   */
  @Test
  void aRepeatedCanaryIsExposedAndAnUnseenOneIsNot() {
    List<Canary> canaries = Canary.create(11, List.of(SecretFormat.PHONE), List.of(64), 2);
    Canary seen = withOwner(canaries.get(0), "민준");
    Canary unseen = withOwner(canaries.get(1), "서연");
    SplittableRandom random = new SplittableRandom(4);
    List<Batch.Example> data = new ArrayList<>();
    for (int i = 0; i < 64 * 20; i++) {
      // every 20th example is the canary; the others give the remaining owners random numbers of the same form
      String owner = OWNERS.get(2 + random.nextInt(OWNERS.size() - 2));
      String text = i % 20 == 0 ? seen.text() : owner + " 씨의 휴대전화 번호는 " + SecretFormat.PHONE.draw(random) + " 입니다.";
      data.add(example(TOKENIZER.encodeWithSpecialTokens(text)));
    }
    java.util.Collections.shuffle(data, new java.util.Random(2));
    try (NDManager m = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(tiny(), m, 7);
      long steps = data.size() * 3 / 32;
      new Pretrainer(bert, new Batch.Vocab(0, 4, TOKENIZER.vocabSize(), new int[] {0, 1, 2, 3, 4}),
          new Pretrainer.Settings(32, 1, steps, new Schedule(3e-3, 20, steps), 0.01, 1e-8, 1.0, 0.15, 9, 50))
          .train(java.util.stream.Stream.generate(() -> data).flatMap(List::stream).iterator(), steps, x -> { });
      MaskedLmScorer scorer = new MaskedLmScorer(bert, TOKENIZER, m, 256);
      Exposure.Scorer pll = (c, secrets) -> scorer.pseudoLogLikelihood(c.prefix(), secrets, c.suffix());
      Exposure.Result exposed = Exposure.measure(seen, pll, 300, 1);
      Exposure.Result chance = Exposure.measure(unseen, pll, 300, 1);
      Probe probe = Probe.run(scorer, seen, 3);
      System.out.printf("canary x64: exposure %.2f bits (log2 rank %.1f of %.1f); unseen: %.2f; probe %s → %s (%d/%d tokens)%n",
          exposed.exposure(), exposed.log2Rank(), SecretFormat.PHONE.log2Size(), chance.exposure(), probe.text(),
          probe.bestGuess(), probe.tokensRecovered(), probe.tokens());
      assertTrue(exposed.exposure() > 6, "a canary seen 64 times is exposed: " + exposed);
      assertTrue(chance.exposure() < 4, "a canary never seen is near chance: " + chance);
      assertTrue(probe.tokensRecovered() > probe.tokens() / 2, "the probe recovers most of the secret: " + probe);
    }
  }

  private static Canary withOwner(Canary c, String owner) {
    return new Canary(c.id(), c.format(), owner + " 씨의 휴대전화 번호는 ", c.secret(), " 입니다.", c.repeats());
  }

  private static Batch.Example example(int[] ids) {
    return new Batch.Example(ids, new byte[ids.length], 0, null, null);
  }
}
