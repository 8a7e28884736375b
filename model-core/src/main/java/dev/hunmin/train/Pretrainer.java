package dev.hunmin.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.hunmin.model.Bert;
import dev.hunmin.util.Seeds;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The pretraining loop for one replica: micro-batches from an example stream, gradients accumulated over
 * {@code accumulation} of them, clipped, then one AdamW step at the schedule's rate. Every random choice (masking,
 * dropout) derives from (seed, step, micro-batch), so a run resumed at a step repeats the uninterrupted one.
 */
public final class Pretrainer {
  /** Loop settings, the Trainer's names where it has one. */
  public record Settings(int batchSize, int accumulation, long maxSteps, Schedule schedule, double weightDecay,
      double maxGradNorm, double mlmProbability, long seed, int logEvery) {}

  /** What one optimizer step measured. */
  public record Metrics(long step, double loss, double mlmLoss, double nspLoss, double mlmAccuracy, double learningRate,
      double gradNorm, double sequencesPerSecond, double tokensPerSecond) {
    public Map<String, Object> asMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("step", step);
      m.put("loss", loss);
      m.put("mlm_loss", mlmLoss);
      m.put("nsp_loss", nspLoss);
      m.put("mlm_accuracy", mlmAccuracy);
      m.put("learning_rate", learningRate);
      m.put("grad_norm", gradNorm);
      m.put("sequences_per_second", sequencesPerSecond);
      m.put("tokens_per_second", tokensPerSecond);
      return m;
    }
  }

  private final Bert model;
  private final Batch.Vocab vocab;
  private final Settings settings;
  private final AdamW optimizer;
  private long step;

  public Pretrainer(Bert model, Batch.Vocab vocab, Settings settings) {
    this.model = model;
    this.vocab = vocab;
    this.settings = settings;
    this.optimizer = new AdamW(0.9, 0.999, 1e-8, settings.weightDecay());
    model.parameters().values().forEach(p -> p.setRequiresGradient(true));
  }

  public long step() {
    return step;
  }

  /** Continues at a checkpoint's step (the caller restores the weights, the optimizer and the data position). */
  public void resumeAt(long checkpointStep) {
    this.step = checkpointStep;
  }

  /** Examples one optimizer step consumes: where the data stream stands after a number of steps. */
  public long examplesPerStep() {
    return (long) settings.batchSize() * settings.accumulation();
  }

  public AdamW optimizer() {
    return optimizer;
  }

  /** Trains until stopAt (at most maxSteps) or the end of the stream; metrics go to onStep. Returns the last step. */
  public long train(Iterator<Batch.Example> examples, long stopAt, Consumer<Metrics> onStep) {
    while (step < Math.min(stopAt, settings.maxSteps())) {
      long started = System.nanoTime();
      double[] sums = new double[5]; // loss, mlm, nsp, correct, labelled
      long sequences = 0;
      long tokens = 0;
      double gradNorm;
      double lr;
      // everything a step creates (activations, transposed weights, optimizer temporaries) is freed with its scope;
      // only the weights and the optimizer's moments outlive it
      try (NDScope stepScope = new NDScope()) {
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          for (int micro = 0; micro < settings.accumulation(); micro++) {
            List<Batch.Example> chunk = next(examples);
            if (chunk.isEmpty()) break;
            Batch batch = Batch.collate(chunk, vocab, settings.mlmProbability(), Seeds.random(settings.seed(), "mask", step, micro));
            Engine.getInstance().setRandomSeed((int) Seeds.mix(settings.seed(), "dropout", step, micro));
            try (NDManager scope = NDManager.newBaseManager(device())) {
              NDArray[] out = forward(scope, batch);
              collector.backward(out[0].div(settings.accumulation()));
              sums[0] += out[0].getFloat() / settings.accumulation();
              sums[1] += out[1].getFloat() / settings.accumulation();
              sums[2] += out[2].getFloat() / settings.accumulation();
              accuracy(out[3], batch, sums);
            }
            sequences += batch.size();
            for (long a : batch.attentionMask()) tokens += a;
          }
        }
        if (sequences == 0) break; // the stream ended
        gradNorm = GradientClipping.clipByGlobalNorm(model.parameters().values(), settings.maxGradNorm());
        lr = settings.schedule().learningRate(step);
        // an infinite or NaN gradient would poison every weight: that step is skipped (and its norm reported)
        if (Double.isFinite(gradNorm)) optimizer.update(model.parameters(), lr);
        for (NDArray p : model.parameters().values()) p.getGradient().subi(p.getGradient());
      }
      step++;
      double seconds = (System.nanoTime() - started) / 1e9;
      onStep.accept(new Metrics(step, sums[0], sums[1], sums[2], sums[4] == 0 ? 0 : sums[3] / sums[4], lr, gradNorm,
          sequences / seconds, tokens / seconds));
    }
    return step;
  }

  /** Held-out MLM loss and accuracy: no dropout, no update, a mask fixed by the seed. */
  public double[] evaluate(List<Batch.Example> heldOut) {
    double[] sums = new double[5];
    int batches = 0;
    for (int from = 0; from < heldOut.size(); from += settings.batchSize()) {
      List<Batch.Example> chunk = heldOut.subList(from, Math.min(heldOut.size(), from + settings.batchSize()));
      Batch batch = Batch.collate(chunk, vocab, settings.mlmProbability(), Seeds.random(settings.seed(), "eval", from));
      try (NDScope evalScope = new NDScope(); NDManager scope = NDManager.newBaseManager(device())) {
        NDArray[] out = forwardEval(scope, batch);
        sums[1] += out[1].getFloat();
        accuracy(out[3], batch, sums);
      }
      batches++;
    }
    return new double[] {batches == 0 ? 0 : sums[1] / batches, sums[4] == 0 ? 0 : sums[3] / sums[4]};
  }

  /** Batches go where the weights are (CPU, or the GPU the replica was given). */
  private ai.djl.Device device() {
    return model.parameters().values().iterator().next().getDevice();
  }

  private List<Batch.Example> next(Iterator<Batch.Example> examples) {
    List<Batch.Example> chunk = new ArrayList<>(settings.batchSize());
    while (chunk.size() < settings.batchSize() && examples.hasNext()) chunk.add(examples.next());
    return chunk;
  }

  private NDArray[] forward(NDManager scope, Batch b) {
    return model.preTrainingLoss(tensor(scope, b.inputIds(), b), tensor(scope, b.tokenTypeIds(), b),
        tensor(scope, b.attentionMask(), b), tensor(scope, b.mlmLabels(), b), scope.create(b.nspLabels()), true);
  }

  private NDArray[] forwardEval(NDManager scope, Batch b) {
    return model.preTrainingLoss(tensor(scope, b.inputIds(), b), tensor(scope, b.tokenTypeIds(), b),
        tensor(scope, b.attentionMask(), b), tensor(scope, b.mlmLabels(), b), scope.create(b.nspLabels()), false);
  }

  private static NDArray tensor(NDManager scope, long[] values, Batch b) {
    return scope.create(values, new Shape(b.size(), b.length()));
  }

  /** Adds correct predictions and labelled positions (the logits are those of the labelled positions, in order). */
  private static void accuracy(NDArray mlmLogits, Batch batch, double[] sums) {
    long[] predicted = mlmLogits.argMax(-1).toLongArray();
    int k = 0;
    for (long label : batch.mlmLabels()) {
      if (label == Batch.IGNORE_INDEX) continue;
      if (predicted[k++] == label) sums[3]++;
      sums[4]++;
    }
  }
}
