package dev.hunmin.downstream;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** The seeds' metrics: accuracy, macro F1, Pearson and Spearman correlation. */
public final class Scores {
  private Scores() {}

  /** A task's metrics from gold labels and predictions (class indices, or values for regression). */
  public static Map<String, Double> of(Task task, float[] gold, float[] predicted) {
    Map<String, Double> m = new LinkedHashMap<>();
    if (task.regression()) {
      m.put("pearson", pearson(gold, predicted));
      m.put("spearman", pearson(ranks(gold), ranks(predicted)));
    } else {
      m.put("accuracy", accuracy(gold, predicted));
      if (task.metric() == Task.Metric.ACCURACY_AND_MACRO_F1) m.put("macro_f1", macroF1(gold, predicted, task.numLabels()));
    }
    return m;
  }

  static double accuracy(float[] gold, float[] predicted) {
    requireFinite(gold, predicted);
    int right = 0;
    for (int i = 0; i < gold.length; i++) if (gold[i] == predicted[i]) right++;
    return gold.length == 0 ? 0 : (double) right / gold.length;
  }

  /** The mean over classes of F1; a class never predicted nor present counts 0 (scikit-learn's default). */
  static double macroF1(float[] gold, float[] predicted, int classes) {
    requireFinite(gold, predicted);
    double sum = 0;
    for (int c = 0; c < classes; c++) {
      int tp = 0;
      int fp = 0;
      int fn = 0;
      for (int i = 0; i < gold.length; i++) {
        boolean g = gold[i] == c;
        boolean p = predicted[i] == c;
        if (g && p) tp++;
        else if (p) fp++;
        else if (g) fn++;
      }
      sum += tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }
    return sum / classes;
  }

  static double pearson(float[] x, float[] y) {
    requireFinite(x, y);
    double mx = 0;
    double my = 0;
    for (int i = 0; i < x.length; i++) {
      mx += x[i];
      my += y[i];
    }
    mx /= x.length;
    my /= y.length;
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (int i = 0; i < x.length; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
    }
    return sxx == 0 || syy == 0 ? 0 : sxy / Math.sqrt(sxx * syy);
  }

  /**
   * A NaN or infinite value (a diverged model's output) has no rank, matches no class and makes a correlation NaN:
   * refused, so that no metric of it reads as a result.
   */
  private static void requireFinite(float[]... arrays) {
    for (float[] a : arrays) {
      for (int i = 0; i < a.length; i++) {
        if (!Float.isFinite(a[i])) throw new IllegalArgumentException("value " + i + " is " + a[i] + ": no metric is defined for it");
      }
    }
  }

  /** Ranks with ties given their average rank (as Spearman's correlation needs). */
  static float[] ranks(float[] values) {
    requireFinite(values);
    Integer[] order = new Integer[values.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    Arrays.sort(order, (a, b) -> Float.compare(values[a], values[b]));
    float[] r = new float[values.length];
    for (int i = 0; i < order.length; ) {
      int j = i;
      while (j + 1 < order.length && values[order[j + 1]] == values[order[i]]) j++;
      float rank = (i + j) / 2f + 1;
      for (int k = i; k <= j; k++) r[order[k]] = rank;
      i = j + 1;
    }
    return r;
  }
}
