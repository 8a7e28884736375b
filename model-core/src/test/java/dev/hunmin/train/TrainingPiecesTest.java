package dev.hunmin.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainingPiecesTest {
  private static final Batch.Vocab VOCAB = new Batch.Vocab(0, 4, 1000, new int[] {0, 1, 2, 3, 4});

  private static Batch.Example example(int length, int label) {
    int[] ids = new int[length];
    byte[] types = new byte[length];
    ids[0] = 2;
    for (int i = 1; i < length - 1; i++) ids[i] = 100 + i;
    ids[length - 1] = 3;
    for (int i = length / 2; i < length; i++) types[i] = 1;
    return new Batch.Example(ids, types, label, null, null);
  }

  @Test
  void padsToTheLongestAndMasksOnlyRealTokens() {
    Batch b = Batch.collate(List.of(example(6, 0), example(4, 1)), VOCAB, 0.15, i -> new SplittableRandom(1 * 1000L + i));
    assertEquals(6, b.length());
    assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, b.attentionMask());
    assertEquals(0, b.inputIds()[10], "padding id");
    assertEquals(Batch.IGNORE_INDEX, b.mlmLabels()[10]);
    assertArrayEquals(new long[] {0, 1}, b.nspLabels());
    assertEquals(Batch.IGNORE_INDEX, b.mlmLabels()[0], "[CLS] is never a target");
  }

  @Test
  void dynamicMaskingFollowsTheCollatorsRates() {
    List<Batch.Example> many = new ArrayList<>();
    for (int i = 0; i < 400; i++) many.add(example(128, i % 2));
    long eligible = 400L * 126;
    long chosen = 0;
    long masked = 0;
    long kept = 0;
    Batch b = Batch.collate(many, VOCAB, 0.15, i -> new SplittableRandom(7 * 1000L + i));
    for (int i = 0; i < b.mlmLabels().length; i++) {
      if (b.mlmLabels()[i] == Batch.IGNORE_INDEX) continue;
      chosen++;
      if (b.inputIds()[i] == 4) masked++;
      else if (b.inputIds()[i] == b.mlmLabels()[i]) kept++;
    }
    assertEquals(0.15, (double) chosen / eligible, 0.005);
    assertEquals(0.8, (double) masked / chosen, 0.02);
    assertEquals(0.1, (double) kept / chosen, 0.015);
    Batch again = Batch.collate(many, VOCAB, 0.15, i -> new SplittableRandom(7 * 1000L + i));
    assertArrayEquals(b.inputIds(), again.inputIds(), "same seed, same mask");
    assertFalse(java.util.Arrays.equals(b.inputIds(), Batch.collate(many, VOCAB, 0.15, i -> new SplittableRandom(8 * 1000L + i)).inputIds()),
        "another seed (a later epoch), another mask");
  }

  @Test
  void staticMaskingColumnsAreUsedAsTheyAre() {
    Batch.Example e = new Batch.Example(new int[] {2, 4, 11, 3}, new byte[4], 0, new int[] {1}, new int[] {10});
    Batch b = Batch.collate(List.of(e), VOCAB, 0.15, i -> new SplittableRandom(0 * 1000L + i));
    assertArrayEquals(new long[] {-100, 10, -100, -100}, b.mlmLabels());
    assertArrayEquals(new long[] {2, 4, 11, 3}, b.inputIds());
  }

  @Test
  void scheduleWarmsUpThenDecaysLinearly() {
    Schedule s = new Schedule(1e-3, 10, 110);
    assertEquals(0.0, s.learningRate(0));
    assertEquals(5e-4, s.learningRate(5), 1e-12);
    assertEquals(1e-3, s.learningRate(10), 1e-12);
    assertEquals(5e-4, s.learningRate(60), 1e-12);
    assertEquals(0.0, s.learningRate(110));
  }

  @Test
  void adamWMatchesTheFormulaAndSparesBiasesFromDecay() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("layer.dense.weight", m.create(new float[] {1f, -2f}));
      params.put("layer.dense.bias", m.create(new float[] {1f}));
      params.values().forEach(p -> p.setRequiresGradient(true));
      try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
        // d/dw Σ 3w = 3, d/db 2b = 2
        c.backward(params.get("layer.dense.weight").mul(3f).sum().add(params.get("layer.dense.bias").mul(2f).sum()));
      }
      AdamW adam = new AdamW(0.9, 0.999, 1e-8, 0.01);
      adam.update(params, 0.1);
      // step 1: m̂ = g, v̂ = g², so the Adam step is lr·g/(|g|+eps) ≈ lr·sign(g); decay first: w·(1 − lr·wd)
      float w0 = (float) (1 * (1 - 0.1 * 0.01) - 0.1 * 3 / (3 + 1e-8));
      float w1 = (float) (-2 * (1 - 0.1 * 0.01) - 0.1 * 3 / (3 + 1e-8));
      assertArrayEquals(new float[] {w0, w1}, params.get("layer.dense.weight").toFloatArray(), 1e-6f);
      assertArrayEquals(new float[] {(float) (1 - 0.1 * 2 / (2 + 1e-8))}, params.get("layer.dense.bias").toFloatArray(), 1e-6f);
      assertTrue(AdamW.decays("bert.encoder.layer.0.attention.self.query.weight"));
      assertFalse(AdamW.decays("bert.embeddings.LayerNorm.weight"));
    }
  }

  @Test
  void clippingScalesToTheMaximumGlobalNorm() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(new float[] {1f, 1f});
      NDArray b = m.create(new float[] {1f});
      a.setRequiresGradient(true);
      b.setRequiresGradient(true);
      try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
        c.backward(a.mul(3f).sum().add(b.mul(4f).sum())); // gradients (3, 3) and (4): norm √34
      }
      double norm = Gradients.clipByGlobalNorm(List.of(a, b), 1.0);
      assertEquals(Math.sqrt(34), norm, 1e-5);
      double after = Math.sqrt(a.getGradient().square().sum().getFloat() + b.getGradient().square().sum().getFloat());
      assertEquals(1.0, after, 1e-4);
    }
  }

  /** argmax over NaN logits still names a class, which accuracy would count: a diverged classifier predicts NaN. */
  @Test
  void aDivergedClassifierPredictsNaNNotAClass() {
    try (NDManager m = NDManager.newBaseManager()) {
      dev.hunmin.model.Bert bert = dev.hunmin.model.Bert.initialize(dev.hunmin.model.BertConfig.named("tiny", 32, 16), m, 1);
      Finetuner f = new Finetuner(bert, 3, 0, 1);
      List<Finetuner.Example> examples = List.of(new Finetuner.Example(new int[] {2, 7, 3}, new byte[3], 0),
          new Finetuner.Example(new int[] {2, 9, 11, 3}, new byte[4], 1));
      float[] before = f.predict(examples, 2);
      assertTrue(before[0] >= 0 && before[0] < 3 && before[1] >= 0 && before[1] < 3, java.util.Arrays.toString(before));
      f.parameters().get("classifier.bias").muli(Float.NaN);
      assertTrue(Float.isNaN(f.predict(examples, 2)[0]) && Float.isNaN(f.predict(examples, 1)[1]));
    }
  }
}
