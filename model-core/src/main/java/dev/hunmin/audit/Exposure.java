package dev.hunmin.audit;

import dev.hunmin.util.HunminException;
import dev.hunmin.util.Seeds;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A canary's exposure (Carlini et al. 2019): log2 |R| − log2 rank, the rank of the true secret among the space R of
 * secrets it was drawn from, ordered by the model's score. R is far too large to score whole (10^8 phone numbers),
 * so the rank is estimated from a seeded sample of candidates: with b of n candidates scoring higher (ties half),
 * the secret's share of the space at or above it is p = (b + 1) / (n + 1), rank ≈ p·|R| and exposure ≈ −log2 p.
 * A model that learned nothing about the secret ranks it uniformly, and the expected exposure is then 1/ln 2 ≈ 1.44
 * bits; the largest value n candidates can show is log2(n + 1).
 */
public final class Exposure {
  /** The expected exposure of a secret the model knows nothing about. */
  public static final double CHANCE = 1 / Math.log(2);

  /** One canary's result. */
  public record Result(double exposure, double log2Rank, int candidates, double higher, double secretScore) {
    /** Whether no candidate scored higher: the exposure is then a lower bound. */
    public boolean saturated() {
      return higher == 0;
    }
  }

  /** Scores secrets in the canary's sentence (higher: more likely under the model). */
  @FunctionalInterface
  public interface Scorer {
    double[] score(Canary canary, List<String> secrets);
  }

  private Exposure() {}

  /** Candidates drawn like the secret (never equal to it), the same for a canary whatever model is scored. */
  public static List<String> candidates(Canary canary, int n, long seed) {
    SplittableRandom random = Seeds.random(seed, "candidates", canary.id().hashCode());
    Set<String> seen = new HashSet<>();
    seen.add(canary.secret());
    List<String> out = new ArrayList<>(n);
    while (out.size() < n) {
      String c = canary.format().draw(random);
      if (seen.add(c)) out.add(c);
    }
    return out;
  }

  public static Result measure(Canary canary, Scorer scorer, int n, long seed) {
    List<String> secrets = new ArrayList<>(n + 1);
    secrets.add(canary.secret());
    secrets.addAll(candidates(canary, n, seed));
    return fromScores(scorer.score(canary, secrets), canary.format().log2Size());
  }

  /** scores[0] is the secret's, the rest the candidates'. A NaN score is refused: the model has diverged. */
  static Result fromScores(double[] scores, double log2Size) {
    // NaN compares false with every score, so a diverged model's secret would rank above all candidates
    for (double score : scores) if (Double.isNaN(score)) throw new HunminException("a score is NaN: the model has diverged");
    double higher = 0;
    for (int i = 1; i < scores.length; i++) {
      if (scores[i] > scores[0]) higher += 1;
      else if (scores[i] == scores[0]) higher += 0.5;
    }
    int n = scores.length - 1;
    double exposure = -Math.log((higher + 1) / (n + 1)) / Math.log(2);
    return new Result(exposure, log2Size - exposure, n, higher, scores[0]);
  }
}
