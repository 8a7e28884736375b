package dev.hunmin.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.hunmin.collective.Collective;
import dev.hunmin.collective.Ring;
import dev.hunmin.model.Bert;
import dev.hunmin.model.BertConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** N replicas with batch B, joined by a real TCP ring, take the same steps as one replica with batch N·B. */
class DataParallelTest {
  /** Dropout off: the one source of randomness that cannot match between the two layouts. */
  private static final BertConfig TINY = new BertConfig(60, 64, 2, 2, 128, "gelu", 0.0, 0.0, 32, 2, 1e-12, 0.02, 0);
  private static final Batch.Vocab VOCAB = new Batch.Vocab(0, 4, 60, new int[] {0, 1, 2, 3, 4});
  private static final int STEPS = 6;
  private static final double RTOL = 1e-5;
  private static final double ATOL = 1e-9;
  private static final int ACCUMULATION = 2;
  /**
   * AdamW's first steps are close to sign descent: a gradient that is zero in exact arithmetic (the attention key
   * bias — softmax ignores a constant added to every score) would take a full learning-rate step in a direction
   * chosen by rounding noise, which differs with the summation order. A larger epsilon keeps noise at noise level.
   */
  private static final double ADAM_EPSILON = 1e-4;

  private static Pretrainer.Settings settings(int batch) {
    return new Pretrainer.Settings(batch, ACCUMULATION, STEPS, new Schedule(1e-3, 2, STEPS), 0.01, ADAM_EPSILON, 1.0, 0.15, 5, 1);
  }

  /** Replica r's stream: from each global micro-batch of n·b examples, the r-th block of b. */
  private static List<Batch.Example> slice(List<Batch.Example> all, int n, int b, int r) {
    List<Batch.Example> out = new ArrayList<>();
    for (int from = 0; from < all.size(); from += n * b) out.addAll(all.subList(from + r * b, from + (r + 1) * b));
    return out;
  }

  private static Map<String, float[]> weights(Bert bert) {
    Map<String, float[]> out = new LinkedHashMap<>();
    bert.parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  private static Map<String, float[]> train(Collective c, List<Batch.Example> data, int batch, long initSeed) {
    try (NDManager m = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(TINY, m, initSeed);
      Pretrainer trainer = new Pretrainer(bert, VOCAB, settings(batch), c);
      trainer.broadcastWeights();
      trainer.train(data.iterator(), STEPS, metrics -> { });
      return weights(bert);
    }
  }

  @Test
  void replicasWithBatchBMatchOneReplicaWithBatchNB() throws Exception {
    int b = 4;
    for (int n : new int[] {2, 3}) {
      List<Batch.Example> all = PretrainerTest.corpus(n * b * ACCUMULATION * STEPS, 21);
      Map<String, float[]> single = train(Collective.SINGLE, all, n * b, 7);
      // each replica initializes from its own seed: rank 0's broadcast must make them one model
      List<Map<String, float[]>> replicas = Ring.run(n, dev.hunmin.collective.Ring.options(false),
          c -> train(c, slice(all, n, b, c.rank()), b, c.rank() == 0 ? 7 : 100 + c.rank()));
      for (Map<String, float[]> r : replicas) {
        for (String name : single.keySet()) assertArrayEquals(replicas.get(0).get(name), r.get(name), name + ": replicas diverged");
      }
      double worst = 0;
      for (String name : single.keySet()) worst = Math.max(worst, worstRelative(replicas.get(0).get(name), single.get(name)));
      System.out.printf("%d replicas × batch %d vs 1 × batch %d after %d steps: worst |a − b| / (|b| + atol/rtol) %.2e%n",
          n, b, n * b, STEPS, worst * RTOL);
      assertTrue(worst <= 1, "parameters differ beyond rtol " + RTOL + " (atol " + ATOL + "): " + worst);
    }
  }

  /**
   * numpy.allclose's test, as a ratio (≤ 1 passes): |a − b| ≤ atol + rtol·|b| element by element. The absolute
   * floor, 1e-7 of a typical weight, admits the key biases, whose exact gradient is zero and whose values are
   * accumulated rounding noise of order 1e-11.
   */
  private static double worstRelative(float[] a, float[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (ATOL + RTOL * Math.abs(b[i])));
    return worst;
  }
}
