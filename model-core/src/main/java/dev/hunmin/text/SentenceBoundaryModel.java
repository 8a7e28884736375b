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
 * ({@value #RESOURCE}) are trained on the shared corpus and the evaluation sets' training splits by {@code
 * SentenceBoundaryTrainer} (model-core tests).
 *
 * <p>Weights are looked up by a 64-bit hash of the feature's name ({@link FeatureHash}), so that the splitter
 * never builds the names' strings. File format, UTF-8 text (gzip): a first line {@code threshold<TAB>value},
 * then {@code feature<TAB>weight}.
 */
public final class SentenceBoundaryModel {
  static final String RESOURCE = "sentence-boundary.tsv.gz";

  /** Open addressing, one long a slot: the upper half the key (a 32-bit fold of the hash), the lower the weight. */
  private final long[] slots;
  private final int mask;
  private final double threshold;

  public SentenceBoundaryModel(Map<String, Float> weights, double threshold) {
    int capacity = Integer.highestOneBit(Math.max(4, weights.size() * 3 / 2) - 1) << 1;
    slots = new long[capacity];
    mask = capacity - 1;
    this.threshold = threshold;
    for (Map.Entry<String, Float> e : weights.entrySet()) put(FeatureHash.of(e.getKey()), e.getValue());
  }

  /** The weights shipped in model-core's resources, read once per JVM. */
  public static SentenceBoundaryModel bundled() {
    return Bundled.MODEL;
  }

  /** Linear probing; key 0 marks an empty slot (a folded key is never 0). Two names on one key add up. */
  private void put(long hash, float value) {
    int key = key(hash);
    int i = slot(key);
    while (slots[i] != 0 && (int) (slots[i] >>> 32) != key) i = (i + 1) & mask;
    float sum = slots[i] == 0 ? value : Float.intBitsToFloat((int) slots[i]) + value;
    slots[i] = ((long) key << 32) | (Float.floatToRawIntBits(sum) & 0xffffffffL);
  }

  float weight(long hash) {
    int key = key(hash);
    for (int i = slot(key); slots[i] != 0; i = (i + 1) & mask) {
      if ((int) (slots[i] >>> 32) == key) return Float.intBitsToFloat((int) slots[i]);
    }
    return 0;
  }

  /** 32 bits of the hash are enough: among 10^5 features, a false match is a 1-in-40,000 event per lookup. */
  private static int key(long hash) {
    int k = (int) (hash ^ (hash >>> 32));
    return k == 0 ? 1 : k;
  }

  private int slot(int key) {
    return (key ^ (key >>> 16)) * 0x9E3779B1 >>> 7 & mask;
  }

  public double score(List<String> features) {
    double sum = 0;
    for (String f : features) sum += weight(FeatureHash.of(f));
    return sum;
  }

  public double threshold() {
    return threshold;
  }

  /** Writes weights in the resource's format, sorted, so that the same weights give the same bytes. */
  public static void write(Map<String, Float> weights, double threshold, Writer out) throws IOException {
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

  /** FNV-1a over the UTF-16 units of a feature's name, built piece by piece as the name would be concatenated. */
  static final class FeatureHash {
    private static final long OFFSET = 0xcbf29ce484222325L;
    private static final long PRIME = 0x100000001b3L;

    private FeatureHash() {}

    static long start() {
      return OFFSET;
    }

    static long add(long h, char c) {
      return (h ^ c) * PRIME;
    }

    static long add(long h, CharSequence s, int from, int to) {
      for (int i = from; i < to; i++) h = (h ^ s.charAt(i)) * PRIME;
      return h;
    }

    static long add(long h, CharSequence s) {
      return add(h, s, 0, s.length());
    }

    static long finish(long h) {
      return h;
    }

    static long of(String name) {
      return finish(add(start(), name));
    }
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
