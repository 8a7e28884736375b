package dev.hunmin.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Collection;
import java.util.Collections;

/**
 * What a step does to the accumulated gradients: clip them (torch.nn.utils.clip_grad_norm_), then zero them; and
 * the in-place copy that gradient exchange and mixed precision write through.
 */
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
   * Copies value into target in place, a slice assignment over the whole tensor: the tensor keeps its storage, so a
   * gradient stays its parameter's gradient (NDArray.set(Buffer) would instead point it at a buffer its handle does
   * not keep alive).
   */
  static void assign(NDArray target, NDArray value) {
    target.set(new NDIndex(String.join(",", Collections.nCopies(target.getShape().dimension(), ":"))), value);
  }

  /**
   * Sets every gradient to zero (PyTorch's zero_()). Not g - g, DJL's own way: after a step whose gradient held an
   * inf or NaN that leaves NaN behind, and every later step would inherit it.
   */
  public static void zero(Collection<NDArray> parameters) {
    for (NDArray p : parameters) JniUtils.zeroGrad((PtNDArray) p);
  }
}
