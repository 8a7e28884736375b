import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.hunmin.model.Bert;
import dev.hunmin.model.BertConfig;
import dev.hunmin.train.AdamW;
import java.util.SplittableRandom;

/**
 * Training step time on this machine through DJL PyTorch: forward, backward and AdamW for batch × length tokens,
 * and the achieved FLOP/s as a share of the engine's float32 matmul peak measured in the same run.
 *   java -cp model-core/target/classes:spark-jobs/target/lib/* bench/StepTime.java SIZE BATCH LENGTH STEPS
 */
public class StepTime {
  public static void main(String[] args) {
    String size = args[0];
    int batch = Integer.parseInt(args[1]);
    int length = Integer.parseInt(args[2]);
    int steps = Integer.parseInt(args[3]);
    BertConfig c = BertConfig.named(size, 30000, 512);
    try (NDManager m = NDManager.newBaseManager()) {
      double peak = matmulPeak(m);
      Bert bert = Bert.initialize(c, m, 1);
      bert.parameters().values().forEach(p -> p.setRequiresGradient(true));
      AdamW adam = new AdamW(0.9, 0.999, 1e-8, 0.01);
      SplittableRandom rng = new SplittableRandom(2);
      long[] ids = new long[batch * length];
      long[] labels = new long[batch * length];
      long masked = 0;
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 5 + rng.nextInt(29995);
        boolean mask = rng.nextDouble() < 0.15;
        labels[i] = mask ? ids[i] : -100;
        if (mask) masked++;
      }
      double seconds = 0;
      for (int s = 0; s <= steps; s++) { // step 0 warms up
        try (ai.djl.ndarray.NDScope stepScope = new ai.djl.ndarray.NDScope(); NDManager scope = m.newSubManager()) {
          NDArray in = scope.create(ids, new Shape(batch, length));
          NDArray types = scope.zeros(new Shape(batch, length), ai.djl.ndarray.types.DataType.INT64);
          NDArray attention = scope.ones(new Shape(batch, length), ai.djl.ndarray.types.DataType.INT64);
          NDArray mlm = scope.create(labels, new Shape(batch, length));
          NDArray nsp = scope.zeros(new Shape(batch), ai.djl.ndarray.types.DataType.INT64);
          long t0 = System.nanoTime();
          try (GradientCollector g = Engine.getInstance().newGradientCollector()) {
            g.backward(bert.preTrainingLoss(in, types, attention, mlm, nsp, true)[0]);
          }
          adam.update(bert.parameters(), 1e-4);
          dev.hunmin.train.Gradients.zero(bert.parameters().values());
          if (s > 0) seconds += (System.nanoTime() - t0) / 1e9;
        }
      }
      double step = seconds / steps;
      double flops = trainingFlops(c, batch, length, masked);
      System.out.printf("%s\tbatch %d × %d\t%.3f s/step\t%.1f GFLOP/step\t%.1f GFLOP/s\tpeak %.1f GFLOP/s\t%.0f%% of peak\t%.0f sequences/s%n",
          size, batch, length, step, flops / 1e9, flops / step / 1e9, peak / 1e9, 100 * flops / step / peak, batch / step);
    }
  }

  /** Forward matmul FLOPs ×3 (backward ≈ 2× forward): encoder layers, attention, MLM head at masked positions. */
  static double trainingFlops(BertConfig c, int batch, int length, long masked) {
    double h = c.hiddenSize();
    double tokens = (double) batch * length;
    double perTokenLayer = 2 * (4 * h * h + 2 * h * c.intermediateSize()) + 2 * 2 * length * h;
    double forward = tokens * perTokenLayer * c.numHiddenLayers() + masked * 2 * (h * h + h * c.vocabSize()) + batch * 2 * (h * h + 2 * h);
    return 3 * forward;
  }

  /** float32 matmul FLOP/s of this engine on this machine: 2048×2048 products. */
  static double matmulPeak(NDManager m) {
    NDArray a = m.randomNormal(new Shape(2048, 2048));
    NDArray b = m.randomNormal(new Shape(2048, 2048));
    a.matMul(b).close();
    long t0 = System.nanoTime();
    int n = 10;
    for (int i = 0; i < n; i++) a.matMul(b).close();
    return n * 2.0 * Math.pow(2048, 3) / ((System.nanoTime() - t0) / 1e9);
  }
}
