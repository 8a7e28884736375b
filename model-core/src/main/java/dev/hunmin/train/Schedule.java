package dev.hunmin.train;

/** Hugging Face's get_linear_schedule_with_warmup: linear warmup to the peak, then linear decay to 0. */
public record Schedule(double peakLearningRate, long warmupSteps, long totalSteps) {
  /** The learning rate for step (0-based: the rate of the first update is learningRate(0)). */
  public double learningRate(long step) {
    if (step < warmupSteps) return peakLearningRate * step / Math.max(1, warmupSteps);
    return peakLearningRate * Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  }
}
