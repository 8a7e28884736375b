package dev.hunmin.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Collection;

/** What a step does to the accumulated gradients: clip them (torch.nn.utils.clip_grad_norm_), then zero them. */
public final class Gradients {
  private Gradients() {}

  /** Scales every gradient by maxNorm / total norm when the total exceeds it; returns the L2 norm before clipping. */
  public static double clipByGlobalNorm(Collection<NDArray> parameters, double maxNorm) {
    double sumSquares = 0;
    for (NDArray p : parameters) sumSquares += p.getGradient().square().sum().getFloat();
    double norm = Math.sqrt(sumSquares);
    double scale = maxNorm / (norm + 1e-6);
    if (scale < 1) {
      for (NDArray p : parameters) p.getGradient().muli(scale);
    }
    return norm;
  }

  /**
   * Sets every gradient to zero (PyTorch's zero_()). Not g - g, DJL's own way: after a step whose gradient held an
   * inf or NaN that leaves NaN behind, and every later step would inherit it.
   */
  public static void zero(Collection<NDArray> parameters) {
    for (NDArray p : parameters) JniUtils.zeroGrad((PtNDArray) p);
  }
}
