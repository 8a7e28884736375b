package dev.hunmin.downstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hunmin.testing.SharedData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScoresTest {
  @Test
  void accuracyAndMacroF1() {
    float[] gold = {0, 0, 1, 1, 2, 2};
    float[] predicted = {0, 1, 1, 1, 2, 0};
    assertEquals(4 / 6.0, Scores.accuracy(gold, predicted), 1e-12);
    // F1 per class: 0 → 2·1/(2+1+1) = 0.5; 1 → 2·2/(4+1+0) = 0.8; 2 → 2·1/(2+0+1) = 2/3
    assertEquals((0.5 + 0.8 + 2 / 3.0) / 3, Scores.macroF1(gold, predicted, 3), 1e-12);
  }

  @Test
  void pearsonAndSpearmanWithTies() {
    float[] x = {1, 2, 3, 4, 5};
    assertEquals(1.0, Scores.pearson(x, new float[] {2, 4, 6, 8, 10}), 1e-9);
    assertEquals(-1.0, Scores.pearson(x, new float[] {5, 4, 3, 2, 1}), 1e-9);
    assertArrayEquals(new float[] {1, 2.5f, 2.5f, 4}, Scores.ranks(new float[] {0.1f, 0.5f, 0.5f, 0.9f}));
    // monotone but not linear: Spearman 1, Pearson below 1
    float[] y = {1, 4, 9, 16, 100};
    Task sts = Task.named("korsts");
    assertEquals(1.0, Scores.of(sts, x, y).get("spearman"), 1e-9);
    assertEquals(true, Scores.of(sts, x, y).get("pearson") < 0.95);
  }

  /** A diverged model's NaN outputs: Pearson NaN, Spearman from ranks that NaN ties broke, accuracy from nothing. */
  @Test
  void nanOrInfiniteValuesAreRefusedNotScored() {
    float[] gold = {1, 2, 3, 4};
    float[] nan = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Scores.of(Task.named("korsts"), gold, nan));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Scores.ranks(new float[] {0.5f, Float.NaN}));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Scores.pearson(gold, new float[] {1, 2, Float.POSITIVE_INFINITY, 4}));
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Scores.of(Task.named("hate_speech"), new float[] {0, 1}, new float[] {0, Float.NaN}));
    assertEquals("value 1 is NaN: no metric is defined for it", e.getMessage());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Scores.accuracy(nan, gold));
  }

  @Test
  void rowsWithoutTextOrUsableLabelAreSkipped() {
    Task sts = Task.named("korsts");
    String header = "genre\tfilename\tyear\tid\tscore\tsentence1\tsentence2";
    List<Task.Item> items = sts.parse(List.of(header,
        "g\tf\t2017\t1\t4.2\t하나\t둘",
        "g\tf\t2017\t2\tNaN\t하나\t둘",
        "g\tf\t2017\t3\tInfinity\t하나\t둘",
        "g\tf\t2017\t4\tabc\t하나\t둘",
        "g\tf\t2017\t5\t3.0\t\t둘"), "crafted");
    assertEquals(1, items.size());
    assertEquals(4.2f, items.get(0).label(), 1e-6);
  }

  @Test
  void everyTaskReadsItsPublishedFiles() {
    Path eval = SharedData.require("eval");
    for (Task t : Task.ALL) {
      List<Task.Item> train = t.train(eval);
      List<Task.Item> test = t.test(eval);
      assertEquals(true, train.size() > 400 && test.size() > 400, t.name() + ": " + train.size() + "/" + test.size());
      for (Task.Item i : train) {
        assertEquals(t.textB() != null, i.textB() != null);
        if (!t.regression()) assertEquals(true, i.label() >= 0 && i.label() < t.numLabels());
      }
    }
    assertEquals(2490, Task.named("kornli").train(eval).size(), "XNLI dev: trained on, as only dev and test exist");
  }
}
