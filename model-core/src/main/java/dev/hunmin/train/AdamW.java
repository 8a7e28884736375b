package dev.hunmin.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.HashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter) as torch.optim.AdamW computes it: decoupled weight decay applied to the weight
 * first, then the bias-corrected Adam step; no decay on biases and LayerNorm weights (Hugging Face's Trainer
 * convention). Updates run outside the gradient collector, in place.
 */
public final class AdamW {
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final Map<String, NDArray[]> moments = new HashMap<>();
  private long step;

  public AdamW(double beta1, double beta2, double eps, double weightDecay) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  /** Hugging Face's rule: biases and LayerNorm weights are not decayed. */
  public static boolean decays(String name) {
    return !name.endsWith(".bias") && !name.contains("LayerNorm");
  }

  public long step() {
    return step;
  }

  /** One update of every parameter from its gradient at learning rate lr. */
  public void update(Map<String, NDArray> parameters, double lr) {
    step++;
    double c1 = 1 - Math.pow(beta1, step);
    double c2 = 1 - Math.pow(beta2, step);
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      NDArray p = e.getValue();
      NDArray g = p.getGradient();
      NDArray[] mv = moments.computeIfAbsent(e.getKey(), k -> {
        NDArray[] zeros = {p.zerosLike(), p.zerosLike()};
        NDScope.unregister(zeros); // the moments live as long as the optimizer, not the step that made them
        return zeros;
      });
      mv[0].muli(beta1).addi(g.mul(1 - beta1));
      mv[1].muli(beta2).addi(g.square().muli(1 - beta2));
      if (weightDecay > 0 && decays(e.getKey())) p.subi(p.mul(lr * weightDecay));
      NDArray denom = mv[1].div(c2).sqrt().addi(eps);
      p.subi(mv[0].div(c1).divi(denom).muli(lr));
    }
  }

  /** Continues from a checkpoint: the step count and the moments by parameter name. */
  public void restore(long step, Map<String, NDArray[]> moments) {
    this.step = step;
    this.moments.clear();
    this.moments.putAll(moments);
  }

  /** The optimizer state by parameter name (first and second moments), for checkpoints. */
  public Map<String, NDArray[]> moments() {
    return moments;
  }
}
