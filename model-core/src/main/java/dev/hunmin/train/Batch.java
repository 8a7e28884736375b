package dev.hunmin.train;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * A training batch as plain arrays, [batch × length] row-major, padded to the batch's longest example, with
 * masked-LM labels made the way Hugging Face's DataCollatorForLanguageModeling makes them: each position that is
 * neither special nor padding is chosen with probability mlmProbability; a chosen token becomes [MASK] 80% of the
 * time, a random token 10%, stays 10%; labels are the original ids there and -100 elsewhere. With static masking
 * (the example carries positions and labels, Google BERT style) those are used as they are.
 */
public record Batch(int size, int length, long[] inputIds, long[] tokenTypeIds, long[] attentionMask, long[] mlmLabels,
    long[] nspLabels) {

  /** One NSP example; maskedPositions/maskedIds are null unless the shard was written with static masking. */
  public record Example(int[] inputIds, byte[] tokenTypeIds, int nextSentenceLabel, int[] maskedPositions, int[] maskedIds) {}

  /** The ids the collator must know. */
  public record Vocab(int padId, int maskId, int vocabSize, int[] specialIds) {
    boolean isSpecial(int id) {
      for (int s : specialIds) if (s == id) return true;
      return false;
    }
  }

  public static final int IGNORE_INDEX = -100;

  /** A fresh mask every call: the caller gives each example (by its index in the batch) its own random stream. */
  public static Batch collate(List<Example> examples, Vocab vocab, double mlmProbability, IntFunction<SplittableRandom> rngOf) {
    int size = examples.size();
    int length = examples.stream().mapToInt(e -> e.inputIds().length).max().orElse(0);
    long[] ids = new long[size * length];
    long[] types = new long[size * length];
    long[] attention = new long[size * length];
    long[] labels = new long[size * length];
    long[] nsp = new long[size];
    Arrays.fill(ids, vocab.padId());
    Arrays.fill(labels, IGNORE_INDEX);
    for (int b = 0; b < size; b++) {
      Example e = examples.get(b);
      int row = b * length;
      for (int i = 0; i < e.inputIds().length; i++) {
        ids[row + i] = e.inputIds()[i];
        types[row + i] = e.tokenTypeIds()[i];
        attention[row + i] = 1;
      }
      nsp[b] = e.nextSentenceLabel();
      if (e.maskedPositions() != null) {
        for (int k = 0; k < e.maskedPositions().length; k++) labels[row + e.maskedPositions()[k]] = e.maskedIds()[k];
      } else {
        maskDynamically(ids, labels, row, e.inputIds().length, vocab, mlmProbability, rngOf.apply(b));
      }
    }
    return new Batch(size, length, ids, types, attention, labels, nsp);
  }

  /** Positions that carry an MLM label. */
  public int labelled() {
    int n = 0;
    for (long l : mlmLabels) if (l != IGNORE_INDEX) n++;
    return n;
  }

  private static void maskDynamically(long[] ids, long[] labels, int row, int n, Vocab vocab, double p, SplittableRandom rng) {
    for (int i = row; i < row + n; i++) {
      int original = (int) ids[i];
      if (vocab.isSpecial(original) || rng.nextDouble() >= p) continue;
      labels[i] = original;
      double r = rng.nextDouble();
      if (r < 0.8) ids[i] = vocab.maskId();
      else if (r < 0.9) ids[i] = rng.nextInt(vocab.vocabSize());
    }
  }
}
