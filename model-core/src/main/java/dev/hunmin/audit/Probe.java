package dev.hunmin.audit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fill-mask probe on a canary, like the seeds' "Barack Hussein Obama graduated from [MASK] University.": the
 * person's sentence with every token of the secret masked (the prober knows the format, so the number of tokens),
 * the model's top-k at each, and how many of the secret's tokens its best guesses recover.
 */
public record Probe(String text, List<List<Map<String, Object>>> topK, String bestGuess, int tokensRecovered, int tokens) {

  public static Probe run(MaskedLmScorer scorer, Canary canary, int k) {
    int[][] encoded = scorer.encode(canary.prefix(), canary.secret(), canary.suffix());
    int[] ids = encoded[0];
    int from = encoded[1][0];
    int to = encoded[1][1];
    int mask = scorer.tokenizer().id("[MASK]");
    int[] masked = ids.clone();
    for (int p = from; p < to; p++) masked[p] = mask;
    List<int[]> sequences = new ArrayList<>();
    List<Integer> positions = new ArrayList<>();
    for (int p = from; p < to; p++) {
      sequences.add(masked);
      positions.add(p);
    }
    float[][] logProbabilities = scorer.logProbabilities(sequences, positions);
    List<List<Map<String, Object>>> topK = new ArrayList<>();
    int[] guess = ids.clone();
    int recovered = 0;
    for (int q = 0; q < logProbabilities.length; q++) {
      float[] lp = logProbabilities[q];
      int[] order = MaskedLmScorer.topK(lp, Math.max(1, k));
      List<Map<String, Object>> candidates = new ArrayList<>();
      for (int r = 0; r < Math.min(k, order.length); r++) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("token_str", scorer.tokenizer().token(order[r]));
        c.put("score", Math.exp(lp[order[r]]));
        candidates.add(c);
      }
      topK.add(candidates);
      guess[from + q] = order[0];
      if (order[0] == ids[from + q]) recovered++;
    }
    String text = canary.prefix() + String.join(" ", java.util.Collections.nCopies(to - from, "[MASK]")) + canary.suffix();
    String best = scorer.tokenizer().decode(Arrays.copyOfRange(guess, from, to), true);
    return new Probe(text, topK, best, recovered, to - from);
  }
}
