package dev.hunmin.audit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.hunmin.model.Bert;
import dev.hunmin.tokenize.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * What a masked language model says about a span of a sentence: the pseudo-log-likelihood of the span (Salazar et
 * al. 2020: each of its tokens masked in turn, the log-probability of the true token summed) and the top-k tokens
 * where the span is masked. Batched, no dropout, no gradient.
 */
public final class MaskedLmScorer {
  private final Bert bert;
  private final WordPieceTokenizer tokenizer;
  private final NDManager manager;
  private final int batchSize;

  public MaskedLmScorer(Bert bert, WordPieceTokenizer tokenizer, NDManager manager, int batchSize) {
    this.bert = bert;
    this.tokenizer = tokenizer;
    this.manager = manager;
    this.batchSize = batchSize;
  }

  public WordPieceTokenizer tokenizer() {
    return tokenizer;
  }

  /** [CLS] prefix span suffix [SEP] as ids, and where the span's tokens are: {ids, {from, to}}. */
  public int[][] encode(String prefix, String span, String suffix) {
    int[] a = tokenizer.encode(prefix);
    int[] b = tokenizer.encode(span);
    int[] c = tokenizer.encode(suffix);
    int[] ids = new int[a.length + b.length + c.length + 2];
    ids[0] = tokenizer.id("[CLS]");
    System.arraycopy(a, 0, ids, 1, a.length);
    System.arraycopy(b, 0, ids, 1 + a.length, b.length);
    System.arraycopy(c, 0, ids, 1 + a.length + b.length, c.length);
    ids[ids.length - 1] = tokenizer.id("[SEP]");
    return new int[][] {ids, {1 + a.length, 1 + a.length + b.length}};
  }

  /** The pseudo-log-likelihood of each span in prefix·span·suffix (higher: the model finds it more likely). */
  public double[] pseudoLogLikelihood(String prefix, List<String> spans, String suffix) {
    List<int[]> sequences = new ArrayList<>();
    List<Integer> positions = new ArrayList<>();
    List<Integer> targets = new ArrayList<>();
    List<Integer> owners = new ArrayList<>();
    for (int s = 0; s < spans.size(); s++) {
      int[][] encoded = encode(prefix, spans.get(s), suffix);
      for (int p = encoded[1][0]; p < encoded[1][1]; p++) {
        int[] masked = encoded[0].clone();
        masked[p] = tokenizer.id("[MASK]");
        sequences.add(masked);
        positions.add(p);
        targets.add(encoded[0][p]);
        owners.add(s);
      }
    }
    double[] scores = new double[spans.size()];
    forEachBatch(sequences, positions, (from, logProbabilities, scope) -> {
      long[] ids = new long[(int) logProbabilities.getShape().get(0)];
      for (int i = 0; i < ids.length; i++) ids[i] = targets.get(from + i);
      float[] picked = logProbabilities.gather(scope.create(ids).expandDims(-1), -1).toFloatArray();
      for (int i = 0; i < picked.length; i++) scores[owners.get(from + i)] += picked[i];
    });
    return scores;
  }

  /** The indices of the k largest values, largest first (ties: the lower index first). */
  public static int[] topK(float[] values, int k) {
    int[] best = new int[Math.min(k, values.length)];
    int filled = 0;
    for (int i = 0; i < values.length; i++) {
      if (filled == best.length && values[i] <= values[best[filled - 1]]) continue;
      int at = filled < best.length ? filled++ : filled - 1;
      while (at > 0 && values[i] > values[best[at - 1]]) {
        best[at] = best[at - 1];
        at--;
      }
      best[at] = i;
    }
    return best;
  }

  /** Log-probabilities over the vocabulary at one position of each sequence (for a few: [n, vocab] floats). */
  public float[][] logProbabilities(List<int[]> sequences, List<Integer> positions) {
    float[][] out = new float[sequences.size()][];
    forEachBatch(sequences, positions, (from, logProbabilities, scope) -> {
      for (int i = 0; i < logProbabilities.getShape().get(0); i++) out[from + i] = logProbabilities.get(i).toFloatArray();
    });
    return out;
  }

  private interface BatchResult {
    void accept(int from, NDArray logProbabilities, NDManager scope);
  }

  /** Padded batches through the encoder; the MLM head runs only at the asked positions: [batch, vocab]. */
  private void forEachBatch(List<int[]> sequences, List<Integer> positions, BatchResult result) {
    JniUtils.setGradMode(false); // per thread, and on by default outside the engine's own thread (see Pretrainer)
    for (int from = 0; from < sequences.size(); from += batchSize) {
      int to = Math.min(sequences.size(), from + batchSize);
      int length = 0;
      for (int i = from; i < to; i++) length = Math.max(length, sequences.get(i).length);
      long[] ids = new long[(to - from) * length];
      long[] mask = new long[ids.length];
      long[] rows = new long[to - from];
      for (int i = from; i < to; i++) {
        int[] seq = sequences.get(i);
        for (int j = 0; j < seq.length; j++) {
          ids[(i - from) * length + j] = seq[j];
          mask[(i - from) * length + j] = 1;
        }
        rows[i - from] = (long) (i - from) * length + positions.get(i);
      }
      try (NDScope batch = new NDScope(); NDManager scope = manager.newSubManager()) {
        Shape shape = new Shape(to - from, length);
        NDArray hidden = bert.encode(scope.create(ids, shape), scope.zeros(shape, DataType.INT64), scope.create(mask, shape), false);
        NDArray picked = hidden.reshape(-1, bert.config().hiddenSize()).get(new NDIndex("{}", scope.create(rows)));
        result.accept(from, bert.mlmLogits(picked).logSoftmax(-1), scope);
      }
    }
  }
}
