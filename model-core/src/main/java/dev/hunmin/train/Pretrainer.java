package dev.hunmin.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.hunmin.collective.Collective;
import dev.hunmin.model.Bert;
import dev.hunmin.util.HunminException;
import dev.hunmin.util.Seeds;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The pretraining loop for one replica: micro-batches from an example stream, gradients accumulated over
 * {@code accumulation} of them, clipped, then one AdamW step at the schedule's rate. Every random choice (masking,
 * dropout) derives from (seed, step, micro-batch), so a run resumed at a step repeats the uninterrupted one.
 */
public final class Pretrainer {
  /** Loop settings, the Trainer's names where it has one. */
  public record Settings(int batchSize, int accumulation, long maxSteps, Schedule schedule, double weightDecay,
      double adamEpsilon, double maxGradNorm, double mlmProbability, long seed, int logEvery, Precision precision) {
    /** fp32 throughout, as the Trainer by default. */
    public Settings(int batchSize, int accumulation, long maxSteps, Schedule schedule, double weightDecay,
        double adamEpsilon, double maxGradNorm, double mlmProbability, long seed, int logEvery) {
      this(batchSize, accumulation, maxSteps, schedule, weightDecay, adamEpsilon, maxGradNorm, mlmProbability, seed,
          logEvery, Precision.FP32);
    }
  }

  /** Arithmetic of forward and backward: fp32, or fp16 with float32 master weights (see MixedPrecision). */
  public enum Precision {
    FP32, FP16;

    public static Precision of(String name) {
      return valueOf(name.trim().toUpperCase(java.util.Locale.ROOT));
    }
  }

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
  /** What forward and backward run on: the model, or its float16 copy under mixed precision. */
  private final Bert compute;
  private final MixedPrecision mixed;
  private final Batch.Vocab vocab;
  private final Settings settings;
  private final AdamW optimizer;
  private final Collective collective;
  private final GradientSync sync;
  private long step;
  private int nonFiniteInARow;

  /** Skipped steps in a row after which a run counts as diverged (fine-tuning counts its non-finite losses so). */
  public static final int MAX_NON_FINITE_IN_A_ROW = 50;

  /** 16 MB buckets: large enough to keep the ring busy, small enough to overlap copying with sending. */
  private static final int BUCKET_FLOATS = 1 << 22;

  public Pretrainer(Bert model, Batch.Vocab vocab, Settings settings) {
    this(model, vocab, settings, Collective.SINGLE);
  }

  /** One replica of a data-parallel run: gradients are summed over the collective's replicas every step. */
  public Pretrainer(Bert model, Batch.Vocab vocab, Settings settings, Collective collective) {
    this.model = model;
    this.collective = collective;
    this.sync = new GradientSync(collective, model.parameters().values(), BUCKET_FLOATS);
    this.vocab = vocab;
    this.settings = settings;
    this.optimizer = new AdamW(0.9, 0.999, settings.adamEpsilon(), settings.weightDecay());
    model.parameters().values().forEach(p -> p.setRequiresGradient(true));
    this.mixed = settings.precision() == Precision.FP16 ? new MixedPrecision(model.parameters()) : null;
    this.compute = mixed == null ? model : model.withParameters(mixed.halves());
  }

  public long step() {
    return step;
  }

  /** Mixed precision's dynamic loss scale and the clean steps since it last changed: what a checkpoint keeps. */
  public record LossScaling(double scale, int cleanSteps) {}

  /** The loss scaling now, for checkpoints; null without mixed precision. */
  public LossScaling lossScaling() {
    return mixed == null ? null : new LossScaling(mixed.scale(), mixed.cleanSteps());
  }

  /** Restores the loss scaling a checkpoint kept (after the weights: the float16 copies are refreshed too). */
  public void resumeLossScaling(LossScaling kept) {
    if (mixed == null) return;
    mixed.restore((float) kept.scale(), kept.cleanSteps());
    mixed.copyMasters();
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

  /**
   * Trains until stopAt (at most maxSteps) or the end of the stream; metrics go to onStep. Returns the last step.
   * With several replicas each passes its own stream; losses are normalized by the labelled positions and
   * sequences of the whole step (all micro-batches, all replicas) and gradients are summed, so N replicas with
   * batch B take the step one replica takes with batch N·B.
   */
  public long train(Iterator<Batch.Example> examples, long stopAt, Consumer<Metrics> onStep) {
    outsideAutograd();
    while (step < Math.min(stopAt, settings.maxSteps())) {
      long started = System.nanoTime();
      List<Batch> micro = new ArrayList<>();
      for (int m = 0; m < settings.accumulation(); m++) {
        List<Batch.Example> chunk = next(examples);
        if (chunk.isEmpty()) break;
        micro.add(Batch.collate(chunk, vocab, settings.mlmProbability(), maskRandom(step, m)));
      }
      float[] counts = new float[2]; // sequences, labelled positions
      for (Batch b : micro) {
        counts[0] += b.size();
        counts[1] += b.labelled();
      }
      collective.allReduceSum(counts);
      if (counts[0] == 0) break; // every stream ended
      float[] totals = new float[5]; // mlm loss, nsp loss, correct, sequences, tokens
      double gradNorm;
      double lr;
      // everything a step creates (activations, transposed weights, optimizer temporaries) is freed with its scope;
      // only the weights and the optimizer's moments outlive it
      try (NDScope stepScope = new NDScope()) {
        forwardBackward(micro, counts, totals);
        if (mixed != null) mixed.unscaleGradients();
        sync.allReduceGradients();
        collective.allReduceSum(totals);
        gradNorm = Gradients.clipByGlobalNorm(model.parameters().values(), settings.maxGradNorm());
        lr = settings.schedule().learningRate(step);
        // an infinite or NaN gradient would poison every weight: that step is skipped (and its norm reported);
        // many in a row mean the run has diverged, and going on would only burn time without learning
        if (Double.isFinite(gradNorm)) {
          optimizer.update(model.parameters(), lr);
          if (mixed != null) mixed.copyMasters();
          nonFiniteInARow = 0;
        } else if (++nonFiniteInARow >= MAX_NON_FINITE_IN_A_ROW) {
          throw new HunminException("gradients were not finite for " + MAX_NON_FINITE_IN_A_ROW + " steps in a row (up to step "
              + (step + 1) + "): training diverged; resume from an earlier checkpoint with a lower learning rate");
        }
        Gradients.zero(model.parameters().values());
        if (mixed != null) mixed.update(Double.isFinite(gradNorm));
      }
      step++;
      double seconds = (System.nanoTime() - started) / 1e9;
      onStep.accept(new Metrics(step, totals[0] + totals[1], totals[0], totals[1], counts[1] == 0 ? 0 : totals[2] / counts[1],
          lr, gradNorm, totals[3] / seconds, totals[4] / seconds));
    }
    return step;
  }

  /** Copies rank 0's weights to every replica: the start of a data-parallel run. */
  public void broadcastWeights() {
    outsideAutograd();
    sync.broadcastWeights();
    if (mixed != null) mixed.copyMasters();
  }

  /**
   * The masking stream of one example, keyed by its place in the step's global batch (micro-batch, replica,
   * position), so a replica count that divides the batch differently masks every example the same way.
   */
  private IntFunction<SplittableRandom> maskRandom(long step, int micro) {
    long first = ((long) micro * collective.size() + collective.rank()) * settings.batchSize();
    return b -> Seeds.random(settings.seed(), "mask", step, first + b);
  }

  /**
   * Forward and backward over the step's micro-batches, each loss weighted by its share of the step's labelled
   * positions (MLM) and sequences (NSP). DJL allows one gradient collector per JVM and dropout draws from the
   * engine's one generator, so replicas sharing a JVM (local mode) take turns here; the lock is released before
   * the allreduce, where they wait for each other. On a cluster each executor JVM runs one replica.
   */
  private void forwardBackward(List<Batch> micro, float[] counts, float[] totals) {
    synchronized (Engine.class) {
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        for (int m = 0; m < micro.size(); m++) {
          Batch batch = micro.get(m);
          float mlmShare = counts[1] == 0 ? 0 : batch.labelled() / counts[1];
          float nspShare = batch.size() / counts[0];
          Engine.getInstance().setRandomSeed((int) Seeds.mix(settings.seed(), "dropout", step, m, collective.rank()));
          try (NDManager scope = NDManager.newBaseManager(device())) {
            NDArray[] out = forward(scope, batch);
            // weights as PyTorch-owned scalars: the graph keeps them for backward (see Bert.scalar)
            NDArray loss = out[1].mul(Bert.scalar(out[1], mlmShare)).add(out[2].mul(Bert.scalar(out[2], nspShare)));
            collector.backward(mixed == null ? loss : loss.mul(Bert.scalar(loss, mixed.scale())));
            totals[0] += out[1].getFloat() * mlmShare;
            totals[1] += out[2].getFloat() * nspShare;
            totals[2] += correct(out[3], batch);
          }
          totals[3] += batch.size();
          for (long a : batch.attentionMask()) totals[4] += a;
        }
      }
    }
  }

  /** Held-out MLM loss and accuracy: no dropout, no update, a mask fixed by the seed. */
  public double[] evaluate(List<Batch.Example> heldOut) {
    outsideAutograd();
    double[] sums = new double[5];
    int batches = 0;
    for (int from = 0; from < heldOut.size(); from += settings.batchSize()) {
      List<Batch.Example> chunk = heldOut.subList(from, Math.min(heldOut.size(), from + settings.batchSize()));
      int first = from;
      Batch batch = Batch.collate(chunk, vocab, settings.mlmProbability(), b -> Seeds.random(settings.seed(), "eval", first + b));
      try (NDScope evalScope = new NDScope(); NDManager scope = NDManager.newBaseManager(device())) {
        NDArray[] out = forwardEval(scope, batch);
        sums[1] += out[1].getFloat();
        sums[3] += correct(out[3], batch);
        sums[4] += batch.labelled();
      }
      batches++;
    }
    return new double[] {batches == 0 ? 0 : sums[1] / batches, sums[4] == 0 ? 0 : sums[3] / sums[4]};
  }

  /**
   * PyTorch's grad mode is per thread and on by default; DJL turns it off only on the thread that loaded the
   * engine. A replica running on any other thread (a Spark task) turns it off here, so the in-place weight updates
   * are not recorded; the gradient collector turns it on for forward and backward only.
   */
  private static void outsideAutograd() {
    JniUtils.setGradMode(false);
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
    return compute.preTrainingLoss(tensor(scope, b.inputIds(), b), tensor(scope, b.tokenTypeIds(), b),
        tensor(scope, b.attentionMask(), b), tensor(scope, b.mlmLabels(), b), scope.create(b.nspLabels()), true);
  }

  private NDArray[] forwardEval(NDManager scope, Batch b) {
    return model.preTrainingLoss(tensor(scope, b.inputIds(), b), tensor(scope, b.tokenTypeIds(), b),
        tensor(scope, b.attentionMask(), b), tensor(scope, b.mlmLabels(), b), scope.create(b.nspLabels()), false);
  }

  private static NDArray tensor(NDManager scope, long[] values, Batch b) {
    return scope.create(values, new Shape(b.size(), b.length()));
  }

  /** Correct predictions (the logits are those of the labelled positions, in order). */
  private static int correct(NDArray mlmLogits, Batch batch) {
    long[] predicted = mlmLogits.argMax(-1).toLongArray();
    int k = 0;
    int correct = 0;
    for (long label : batch.mlmLabels()) {
      if (label == Batch.IGNORE_INDEX) continue;
      if (predicted[k++] == label) correct++;
    }
    return correct;
  }
}
