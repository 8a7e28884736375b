package dev.hunmin.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.hunmin.model.Bert;
import dev.hunmin.model.BertConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PretrainerTest {
  private static final BertConfig TINY = new BertConfig(60, 64, 2, 2, 128, "gelu", 0.1, 0.1, 32, 2, 1e-12, 0.02, 0);
  private static final Batch.Vocab VOCAB = new Batch.Vocab(0, 4, 60, new int[] {0, 1, 2, 3, 4});

  /**
   * Context-predictable sequences: A repeats one token, B repeats it again (IsNext) or repeats another (random), so
   * a masked token can be read off its unmasked neighbours while no unigram guess beats 1/55.
   */
  static List<Batch.Example> corpus(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Batch.Example> out = new ArrayList<>();
    for (int e = 0; e < n; e++) {
      int la = 4 + rng.nextInt(6);
      int lb = 4 + rng.nextInt(6);
      int start = rng.nextInt(55);
      boolean random = rng.nextBoolean();
      int startB = rng.nextInt(55);
      int[] ids = new int[la + lb + 3];
      byte[] types = new byte[ids.length];
      ids[0] = 2;
      for (int i = 0; i < la; i++) ids[1 + i] = 5 + start;
      ids[la + 1] = 3;
      for (int i = 0; i < lb; i++) {
        ids[la + 2 + i] = 5 + (random ? startB : start);
        types[la + 2 + i] = 1;
      }
      ids[ids.length - 1] = 3;
      types[ids.length - 1] = 1;
      out.add(new Batch.Example(ids, types, random ? 1 : 0, null, null));
    }
    return out;
  }

  private static float[] train(long steps, List<Batch.Example> data, double[] heldOutMetrics, List<Batch.Example> heldOut) {
    return train(steps, data, heldOutMetrics, heldOut, Pretrainer.Precision.FP32);
  }

  private static float[] train(long steps, List<Batch.Example> data, double[] heldOutMetrics, List<Batch.Example> heldOut,
      Pretrainer.Precision precision) {
    try (NDManager m = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(TINY, m, 11);
      Pretrainer trainer = new Pretrainer(bert, VOCAB, new Pretrainer.Settings(16, 2, steps, new Schedule(2e-3, 10, steps),
          0.01, 1e-8, 1.0, 0.15, 99, 10, precision));
      trainer.train(data.iterator(), steps, metrics -> { });
      if (heldOutMetrics != null) System.arraycopy(trainer.evaluate(heldOut), 0, heldOutMetrics, 0, 2);
      return bert.parameters().get("bert.encoder.layer.1.output.dense.weight").toFloatArray();
    }
  }

  @Test
  void learnsToPredictMaskedTokensFarAboveTheUnigramBaseline() {
    List<Batch.Example> data = corpus(16 * 2 * 150, 1);
    List<Batch.Example> heldOut = corpus(200, 2);
    double[] metrics = new double[2];
    train(150, data, metrics, heldOut);
    double unigram = 1.0 / 55; // tokens are uniform over 55 ids
    System.out.printf("tiny BERT after 150 steps: held-out MLM loss %.3f, accuracy %.3f (unigram baseline %.3f)%n",
        metrics[0], metrics[1], unigram);
    assertTrue(metrics[1] > 0.5, "held-out MLM accuracy " + metrics[1]);
  }

  @Test
  void mixedPrecisionLearnsAsFloat32Does() {
    List<Batch.Example> data = corpus(16 * 2 * 150, 1);
    List<Batch.Example> heldOut = corpus(200, 2);
    double[] fp16 = new double[2];
    float[] weights = train(150, data, fp16, heldOut, Pretrainer.Precision.FP16);
    System.out.printf("tiny BERT, fp16 with fp32 masters, after 150 steps: held-out MLM loss %.3f, accuracy %.3f%n", fp16[0], fp16[1]);
    assertTrue(fp16[1] > 0.5, "held-out MLM accuracy " + fp16[1]);
    for (float w : weights) assertTrue(Float.isFinite(w));
    float[] fp32 = train(150, data, null, null);
    double diff = 0;
    for (int i = 0; i < fp32.length; i++) diff = Math.max(diff, Math.abs(fp32[i] - weights[i]));
    System.out.println("max |fp16 - fp32| weight difference after 150 steps: " + diff);
    assertTrue(diff > 0, "float16 arithmetic was used");
  }

  @Test
  void theLossScaleHalvesOnOverflowAndGrowsAfterCleanSteps() {
    try (NDManager m = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(TINY, m, 11);
      bert.parameters().values().forEach(p -> p.setRequiresGradient(true));
      MixedPrecision mixed = new MixedPrecision(bert.parameters());
      assertEquals(MixedPrecision.INITIAL_SCALE, mixed.scale());
      mixed.update(false);
      assertEquals(MixedPrecision.INITIAL_SCALE / 2, mixed.scale());
      for (int i = 0; i < MixedPrecision.GROWTH_INTERVAL; i++) mixed.update(true);
      assertEquals(MixedPrecision.INITIAL_SCALE, mixed.scale());
      // the float16 gradients, unscaled, become the masters' gradients
      NDArray half = mixed.halves().get("cls.predictions.bias");
      try (ai.djl.training.GradientCollector collector = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
        collector.backward(half.sum().mul(mixed.scale() * 0.25f)); // a scaled loss whose gradient is 0.25 everywhere
      }
      mixed.unscaleGradients();
      assertEquals(0.25f, bert.parameters().get("cls.predictions.bias").getGradient().getFloat(7), 1e-6);
      assertEquals(0f, half.getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).abs().sum().getFloat());
    }
  }

  @Test
  void aRunWhoseGradientsStayNonFiniteStopsWithAClearError() {
    try (NDManager m = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(TINY, m, 11);
      bert.parameters().get("cls.predictions.bias").muli(Float.NaN); // a poisoned weight: every gradient is NaN
      long steps = Pretrainer.MAX_NON_FINITE_IN_A_ROW + 10;
      Pretrainer trainer = new Pretrainer(bert, VOCAB, new Pretrainer.Settings(4, 1, steps, new Schedule(1e-3, 1, steps),
          0.01, 1e-8, 1.0, 0.15, 99, 10));
      dev.hunmin.util.HunminException e = org.junit.jupiter.api.Assertions.assertThrows(dev.hunmin.util.HunminException.class,
          () -> trainer.train(corpus(4 * (int) steps, 5).iterator(), steps, metrics -> { }));
      assertTrue(e.getMessage().contains("training diverged"), e.getMessage());
      assertEquals(Pretrainer.MAX_NON_FINITE_IN_A_ROW - 1, trainer.step(), "stopped at the 50th skipped step");
    }
  }

  @Test
  void aStepWithANonFiniteGradientIsSkippedAndTheNextStepsTrain() {
    try (NDManager m = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(TINY, m, 11);
      Pretrainer trainer = new Pretrainer(bert, VOCAB, new Pretrainer.Settings(4, 1, 6, new Schedule(1e-3, 1, 6),
          0.01, 1e-8, 1.0, 0.15, 99, 10));
      java.util.Iterator<Batch.Example> data = corpus(4 * 6, 5).iterator();
      List<Pretrainer.Metrics> seen = new ArrayList<>();
      trainer.train(data, 1, seen::add);
      // what one overflowing backward pass leaves in the accumulated gradient
      bert.parameters().get("cls.predictions.bias").getGradient().muli(Float.NaN);
      float[] before = bert.parameters().get("bert.pooler.dense.weight").toFloatArray();
      trainer.train(data, 2, seen::add);
      assertArrayEquals(before, bert.parameters().get("bert.pooler.dense.weight").toFloatArray(), "step 2 skipped");
      trainer.train(data, 6, seen::add);
      assertTrue(Double.isNaN(seen.get(1).gradNorm()), "step 2 reports its NaN norm");
      for (int i : new int[] {0, 2, 3, 4, 5}) {
        assertTrue(Double.isFinite(seen.get(i).gradNorm()), "step " + (i + 1) + " has a finite gradient: " + seen);
      }
      for (NDArray p : bert.parameters().values()) assertTrue(p.isInfinite().logicalOr(p.isNaN()).none().getBoolean());
    }
  }

  @Test
  void theSameSeedGivesTheSameWeights() {
    List<Batch.Example> data = corpus(16 * 2 * 5, 3);
    assertArrayEquals(train(5, data, null, null), train(5, data, null, null));
  }
}
