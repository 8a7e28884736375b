package dev.hunmin.train;

import ai.djl.ndarray.NDArray;
import java.util.Collection;

/** torch.nn.utils.clip_grad_norm_: scales every gradient by maxNorm / total norm when the total norm exceeds it. */
public final class GradientClipping {
  private GradientClipping() {}

  /** Returns the total L2 norm of the gradients before clipping. */
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
}
