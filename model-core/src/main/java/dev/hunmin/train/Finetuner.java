package dev.hunmin.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.ndarray.index.NDIndex;
import dev.hunmin.model.Bert;
import dev.hunmin.model.BertConfig;
import dev.hunmin.model.SafeTensors;
import dev.hunmin.util.HunminException;
import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.util.Seeds;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * BertForSequenceClassification on top of a {@link Bert}: dropout on the pooled [CLS] state, then a linear layer
 * named {@code classifier.weight}/{@code classifier.bias} as Hugging Face names it; cross entropy over the classes,
 * or mean squared error for a one-output regression (KorSTS). Fine-tunes every encoder weight with AdamW, linear
 * warmup and decay, clipping; the pretraining heads (cls.*) are left out.
 */
public final class Finetuner {
  /** The loop's settings, Hugging Face Trainer's names where it has one. */
  public record Settings(int batchSize, int epochs, double learningRate, double warmupRatio, double weightDecay,
      double maxGradNorm, long seed) {}

  /** One tokenized example: [CLS] A [SEP] (B [SEP]) and its label (a class index, or the value). */
  public record Example(int[] inputIds, byte[] tokenTypeIds, float label) {}

  private final Bert bert;
  private final int numLabels;
  private final Map<String, NDArray> parameters = new LinkedHashMap<>();
  private final int padId;

  public Finetuner(Bert bert, int numLabels, int padId, long seed) {
    this.bert = bert;
    this.numLabels = numLabels;
    this.padId = padId;
    NDManager manager = bert.parameters().values().iterator().next().getManager();
    SplittableRandom rng = Seeds.random(seed, "classifier");
    int h = bert.config().hiddenSize();
    float[] w = new float[numLabels * h];
    for (int i = 0; i < w.length; i++) w[i] = (float) (rng.nextGaussian() * bert.config().initializerRange());
    bert.parameters().forEach((name, p) -> {
      if (!name.startsWith("cls.")) parameters.put(name, p);
    });
    parameters.put("classifier.weight", manager.create(w, new Shape(numLabels, h)));
    parameters.put("classifier.bias", manager.zeros(new Shape(numLabels)));
    parameters.values().forEach(p -> p.setRequiresGradient(true));
  }

  /**
   * A fine-tuned classifier as Hugging Face saves BertForSequenceClassification (bert.* and classifier.*; no
   * pretraining heads, which are filled with zeros here since classification never reads them).
   */
  public static Finetuner load(BertConfig config, NDManager manager, Map<String, SafeTensors.Tensor> tensors, int padId) {
    Map<String, SafeTensors.Tensor> encoder = new LinkedHashMap<>(tensors);
    SafeTensors.Tensor weight = encoder.remove("classifier.weight");
    SafeTensors.Tensor bias = encoder.remove("classifier.bias");
    if (weight == null || bias == null) throw new HunminException("not a sequence classifier: no classifier.weight/classifier.bias");
    Bert.shapes(config).forEach((name, shape) -> {
      if (name.startsWith("cls.")) encoder.putIfAbsent(name, new SafeTensors.Tensor(shape.getShape(), new float[(int) shape.size()]));
    });
    Finetuner f = new Finetuner(Bert.fromTensors(config, manager, encoder), (int) weight.shape()[0], padId, 0);
    JniUtils.setGradMode(false); // this thread (a Spark task) may never have turned it off
    f.parameters.get("classifier.weight").set(new NDIndex(":, :"), manager.create(weight.values(), new Shape(weight.shape())));
    f.parameters.get("classifier.bias").set(new NDIndex(":"), manager.create(bias.values(), new Shape(bias.shape())));
    return f;
  }

  /** Class probabilities [N, numLabels] (softmax), or the values [N, 1] for regression. */
  public float[][] scores(List<Example> examples, int batchSize) {
    JniUtils.setGradMode(false);
    float[][] out = new float[examples.size()][];
    for (int from = 0; from < examples.size(); from += batchSize) {
      List<Example> batch = examples.subList(from, Math.min(examples.size(), from + batchSize));
      try (NDScope scope = new NDScope(); NDManager m = NDManager.newBaseManager(device())) {
        NDArray logits = forward(m, batch, false);
        float[] values = (numLabels == 1 ? logits : logits.softmax(-1)).toFloatArray();
        for (int i = 0; i < batch.size(); i++) out[from + i] = java.util.Arrays.copyOfRange(values, i * numLabels, (i + 1) * numLabels);
      }
    }
    return out;
  }

  /**
   * [CLS] A [SEP] (B [SEP]) within maxLength tokens, cutting the longer text from its end first (Hugging Face's
   * longest_first truncation); token types 0 for A, 1 for B.
   */
  public static Example encode(WordPieceTokenizer tokenizer, String a, String b, float label, int maxLength) {
    int[] ta = tokenizer.encode(a);
    int[] tb = b == null ? new int[0] : tokenizer.encode(b);
    int budget = maxLength - (b == null ? 2 : 3);
    int la = ta.length;
    int lb = tb.length;
    while (la + lb > budget) {
      if (la >= lb) la--;
      else lb--;
    }
    int n = la + lb + (b == null ? 2 : 3);
    int[] ids = new int[n];
    byte[] types = new byte[n];
    ids[0] = tokenizer.id("[CLS]");
    System.arraycopy(ta, 0, ids, 1, la);
    ids[la + 1] = tokenizer.id("[SEP]");
    if (b != null) {
      System.arraycopy(tb, 0, ids, la + 2, lb);
      ids[n - 1] = tokenizer.id("[SEP]");
      for (int i = la + 2; i < n; i++) types[i] = 1;
    }
    return new Example(ids, types, label);
  }

  /** BertForSequenceClassification's tensors: bert.* (no pretraining heads) and classifier.*. */
  public Map<String, NDArray> parameters() {
    return parameters;
  }

  /** Trains for the epochs; onStep gets (step, loss). Returns the optimizer steps taken. */
  public long train(List<Example> examples, Settings s, Consumer<double[]> onStep) {
    JniUtils.setGradMode(false);
    int stepsPerEpoch = (examples.size() + s.batchSize() - 1) / s.batchSize();
    long total = (long) stepsPerEpoch * s.epochs();
    Schedule schedule = new Schedule(s.learningRate(), Math.round(total * s.warmupRatio()), total);
    AdamW optimizer = new AdamW(0.9, 0.999, 1e-8, s.weightDecay());
    long step = 0;
    for (int epoch = 0; epoch < s.epochs(); epoch++) {
      List<Example> order = new ArrayList<>(examples);
      Collections.shuffle(order, new java.util.Random(Seeds.mix(s.seed(), "epoch", epoch)));
      for (int from = 0; from < order.size(); from += s.batchSize()) {
        List<Example> batch = order.subList(from, Math.min(order.size(), from + s.batchSize()));
        double loss;
        try (NDScope scope = new NDScope()) {
          synchronized (Engine.class) { // one gradient collector per JVM (see Pretrainer)
            try (GradientCollector collector = Engine.getInstance().newGradientCollector();
                NDManager m = NDManager.newBaseManager(device())) {
              Engine.getInstance().setRandomSeed((int) Seeds.mix(s.seed(), "dropout", step));
              NDArray l = loss(forward(m, batch, true), labels(m, batch));
              collector.backward(l);
              loss = l.getFloat();
            }
          }
          // a step with an inf or NaN gradient is skipped, as in pretraining
          if (Double.isFinite(Gradients.clipByGlobalNorm(parameters.values(), s.maxGradNorm()))) {
            optimizer.update(parameters, schedule.learningRate(step));
          }
          Gradients.zero(parameters.values());
        }
        step++;
        onStep.accept(new double[] {step, loss});
      }
    }
    return step;
  }

  /**
   * Predicted class indices, or values for regression; NaN for an example whose logits are not finite (a diverged
   * model: argmax would still name a class).
   */
  public float[] predict(List<Example> examples, int batchSize) {
    JniUtils.setGradMode(false);
    float[] out = new float[examples.size()];
    for (int from = 0; from < examples.size(); from += batchSize) {
      List<Example> batch = examples.subList(from, Math.min(examples.size(), from + batchSize));
      try (NDScope scope = new NDScope(); NDManager m = NDManager.newBaseManager(device())) {
        float[] logits = forward(m, batch, false).toFloatArray();
        for (int i = 0; i < batch.size(); i++) out[from + i] = prediction(logits, i * numLabels, numLabels);
      }
    }
    return out;
  }

  /** The class with the highest logit (the first of equals, as argmax), the value for one output; NaN if any is not finite. */
  private static float prediction(float[] logits, int offset, int n) {
    int best = 0;
    for (int c = 0; c < n; c++) {
      if (!Float.isFinite(logits[offset + c])) return Float.NaN;
      if (logits[offset + c] > logits[offset + best]) best = c;
    }
    return n == 1 ? logits[offset] : best;
  }

  /** Logits [B, numLabels] of a batch padded to its longest example. */
  private NDArray forward(NDManager m, List<Example> batch, boolean training) {
    int length = batch.stream().mapToInt(e -> e.inputIds().length).max().orElse(0);
    long[] ids = new long[batch.size() * length];
    long[] types = new long[ids.length];
    long[] attention = new long[ids.length];
    java.util.Arrays.fill(ids, padId);
    for (int b = 0; b < batch.size(); b++) {
      Example e = batch.get(b);
      for (int i = 0; i < e.inputIds().length; i++) {
        ids[b * length + i] = e.inputIds()[i];
        types[b * length + i] = e.tokenTypeIds()[i];
        attention[b * length + i] = 1;
      }
    }
    Shape shape = new Shape(batch.size(), length);
    NDArray sequence = bert.encode(m.create(ids, shape), m.create(types, shape), m.create(attention, shape), training);
    NDArray pooled = Bert.dropout(bert.pooled(sequence), bert.config().hiddenDropoutProb(), training);
    return pooled.matMul(parameters.get("classifier.weight").transpose()).add(parameters.get("classifier.bias"));
  }

  private NDArray labels(NDManager m, List<Example> batch) {
    float[] y = new float[batch.size()];
    for (int i = 0; i < y.length; i++) y[i] = batch.get(i).label();
    return m.create(y);
  }

  private NDArray loss(NDArray logits, NDArray labels) {
    if (numLabels == 1) return logits.reshape(-1).sub(labels).square().mean();
    return Bert.crossEntropy(logits, labels.toType(DataType.INT64, false));
  }

  private ai.djl.Device device() {
    return parameters.values().iterator().next().getDevice();
  }
}
