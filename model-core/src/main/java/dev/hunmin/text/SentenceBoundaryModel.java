package dev.hunmin.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

/**
 * A logistic-regression boundary classifier over named features (see {@link KoreanSentenceSplitter}): a
 * candidate is a boundary when the sum of its features' weights exceeds the threshold. The bundled weights
 * ({@value #RESOURCE}) are trained on the shared corpus by {@code SentenceBoundaryTrainer} (model-core tests).
 *
 * <p>File format, UTF-8 text (gzip): a first line {@code threshold<TAB>value}, then {@code feature<TAB>weight}.
 */
public final class SentenceBoundaryModel {
  static final String RESOURCE = "sentence-boundary.tsv.gz";

  private final Map<String, Float> weights;
  private final double threshold;

  public SentenceBoundaryModel(Map<String, Float> weights, double threshold) {
    this.weights = new HashMap<>(weights);
    this.threshold = threshold;
  }

  /** The weights shipped in model-core's resources, read once per JVM. */
  public static SentenceBoundaryModel bundled() {
    return Bundled.MODEL;
  }

  public double score(List<String> features) {
    double sum = 0;
    for (String f : features) {
      Float w = weights.get(f);
      if (w != null) sum += w;
    }
    return sum;
  }

  public boolean isBoundary(List<String> features) {
    return score(features) > threshold;
  }

  public double threshold() {
    return threshold;
  }

  public int size() {
    return weights.size();
  }

  /** Writes the model in the resource's format, features sorted so that the same weights give the same bytes. */
  public void write(Writer out) throws IOException {
    out.write("threshold\t" + format(threshold) + "\n");
    for (Map.Entry<String, Float> e : new TreeMap<>(weights).entrySet()) {
      out.write(e.getKey() + "\t" + format(e.getValue()) + "\n");
    }
  }

  public static SentenceBoundaryModel read(InputStream gzipped) throws IOException {
    Map<String, Float> weights = new HashMap<>();
    double threshold = 0;
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(new GZIPInputStream(gzipped), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        int tab = line.lastIndexOf('\t');
        if (tab < 0) continue;
        String name = line.substring(0, tab);
        float value = Float.parseFloat(line.substring(tab + 1));
        if (name.equals("threshold")) threshold = value;
        else weights.put(name, value);
      }
    }
    return new SentenceBoundaryModel(weights, threshold);
  }

  private static String format(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  /** Lazy holder: the class loader reads the resource once, on first use, safely across threads. */
  private static final class Bundled {
    static final SentenceBoundaryModel MODEL = load();

    private static SentenceBoundaryModel load() {
      try (InputStream in = SentenceBoundaryModel.class.getResourceAsStream(RESOURCE)) {
        if (in == null) throw new IllegalStateException("missing resource " + RESOURCE);
        return read(in);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
