package dev.hunmin.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.hunmin.model.Bert;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * float16 mixed precision with float32 master weights (Micikevicius et al. 2018; Apex's "O2"). Forward and backward
 * run on float16 copies of the weights that are leaves of their own: DJL's casts carry no gradient, so the copies
 * cannot hang off the masters in the graph. The loss is scaled before backward so that small gradients survive
 * float16; the copies' gradients are unscaled into the masters' gradients, and everything after (the allreduce,
 * clipping, AdamW) works on the masters in float32 as without mixed precision. A step whose gradient overflowed is
 * skipped by the loop and halves the scale; {@link #GROWTH_INTERVAL} clean steps in a row double it. bfloat16 is
 * not offered: DJL 0.35's bfloat16 cast aborts the JVM.
 */
final class MixedPrecision {
  static final float INITIAL_SCALE = 65536f;
  static final int GROWTH_INTERVAL = 2000;

  private final Map<String, NDArray> masters;
  private final Map<String, NDArray> halves = new LinkedHashMap<>();
  private float scale = INITIAL_SCALE;
  private int cleanSteps;

  MixedPrecision(Map<String, NDArray> masters) {
    this.masters = masters;
    masters.forEach((name, master) -> {
      NDArray half = master.toType(DataType.FLOAT16, true);
      half.setRequiresGradient(true);
      halves.put(name, half);
    });
    allocateMasterGradients();
  }

  /** The float16 copies, by the masters' names: the weights forward and backward run on. */
  Map<String, NDArray> halves() {
    return halves;
  }

  float scale() {
    return scale;
  }

  /** Clean steps since the scale last changed: with the scale, what a checkpoint keeps for an exact resume. */
  int cleanSteps() {
    return cleanSteps;
  }

  void restore(float scale, int cleanSteps) {
    this.scale = scale;
    this.cleanSteps = cleanSteps;
  }

  /**
   * A master's gradient exists only once a backward pass has reached it, and with mixed precision none does: one
   * pass through a zero-weighted sum of the masters creates them (zeros) for the loop to fill.
   */
  private void allocateMasterGradients() {
    synchronized (Engine.class) { // one gradient collector per JVM (see Pretrainer)
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray sum = null;
        for (NDArray m : masters.values()) {
          NDArray zero = m.sum().mul(Bert.scalar(m, 0f)); // a PyTorch-owned 0 (see Bert.scalar)
          sum = sum == null ? zero : sum.add(zero);
        }
        collector.backward(sum);
      }
    }
  }

  /** The copies' gradients, divided by the scale, become the masters' gradients; the copies' are zeroed. */
  void unscaleGradients() {
    masters.forEach((name, master) -> {
      NDArray half = halves.get(name);
      Gradients.assign(master.getGradient(), half.getGradient().toType(DataType.FLOAT32, false).div(scale));
    });
    Gradients.zero(halves.values());
  }

  /** After the masters changed (an optimizer step, a broadcast): the copies take their new values. */
  void copyMasters() {
    masters.forEach((name, master) -> Gradients.assign(halves.get(name), master.toType(DataType.FLOAT16, false)));
  }

  /** Dynamic loss scaling: an overflow halves the scale, a long enough run of clean steps doubles it. */
  void update(boolean finite) {
    if (!finite) {
      scale = Math.max(1f, scale / 2);
      cleanSteps = 0;
    } else if (++cleanSteps >= GROWTH_INTERVAL) {
      scale *= 2;
      cleanSteps = 0;
    }
  }
}
