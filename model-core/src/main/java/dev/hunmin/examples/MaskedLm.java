package dev.hunmin.examples;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Static masking, as Google BERT's create_masked_lm_predictions: of the positions that are not [CLS]/[SEP], a
 * shuffled max(1, round(len · prob)) (at most maxPredictions) are predicted; each becomes [MASK] 80% of the time,
 * stays 10%, becomes a random vocabulary token 10%. Returns the masked ids and, by position order, the positions and
 * original ids.
 */
public final class MaskedLm {
  private MaskedLm() {}

  public record Params(double maskedLmProb, int maxPredictionsPerSeq) implements Serializable {}

  public record Masked(int[] inputIds, int[] positions, int[] labels) implements Serializable {}

  public static Masked createMaskedLmPredictions(int[] inputIds, int clsId, int sepId, int maskId, int vocabSize,
      Params p, SplittableRandom rng) {
    List<Integer> candidates = new ArrayList<>();
    for (int i = 0; i < inputIds.length; i++) if (inputIds[i] != clsId && inputIds[i] != sepId) candidates.add(i);
    for (int i = candidates.size() - 1; i > 0; i--) { // Fisher–Yates, as rng.shuffle
      int j = rng.nextInt(i + 1);
      Integer t = candidates.get(i);
      candidates.set(i, candidates.get(j));
      candidates.set(j, t);
    }
    int numToPredict = Math.min(p.maxPredictionsPerSeq(), Math.max(1, (int) Math.round(inputIds.length * p.maskedLmProb())));
    numToPredict = Math.min(numToPredict, candidates.size());
    int[] masked = inputIds.clone();
    int[] positions = new int[numToPredict];
    for (int k = 0; k < numToPredict; k++) {
      int pos = candidates.get(k);
      positions[k] = pos;
      double r = rng.nextDouble();
      if (r < 0.8) masked[pos] = maskId;
      else if (r >= 0.9) masked[pos] = rng.nextInt(vocabSize);
    }
    Arrays.sort(positions);
    int[] labels = new int[numToPredict];
    for (int k = 0; k < numToPredict; k++) labels[k] = inputIds[positions[k]];
    return new Masked(masked, positions, labels);
  }
}
