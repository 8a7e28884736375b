package dev.hunmin.jobs;

import dev.hunmin.audit.Canary;
import dev.hunmin.audit.Exposure;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The audit's Markdown: exposure by repeat count in each arm, then every canary with its probe. */
final class AuditReport {
  private AuditReport() {}

  /**
   * Mean exposure by repeat count, one line per arm; "(≥)" where a canary's exposure is a lower bound (no candidate
   * scored higher), which makes the mean one too.
   */
  static String summary(List<Canary> canaries, Map<String, Object> arms) {
    StringBuilder b = new StringBuilder("| arm |");
    TreeMap<Integer, Integer> counts = new TreeMap<>();
    for (Canary c : canaries) counts.merge(c.repeats(), 1, Integer::sum);
    counts.keySet().forEach(r -> b.append(" ×").append(r).append(" |"));
    b.append("\n|---|").append("---|".repeat(counts.size())).append('\n');
    for (Map.Entry<String, Object> arm : arms.entrySet()) {
      TreeMap<Integer, Double> sums = new TreeMap<>();
      Set<Integer> bounds = new HashSet<>();
      List<Map<String, Object>> rows = rows(arm.getValue());
      for (int i = 0; i < canaries.size(); i++) {
        sums.merge(canaries.get(i).repeats(), (Double) rows.get(i).get("exposure"), Double::sum);
        if (Boolean.TRUE.equals(rows.get(i).get("exposure_is_lower_bound"))) bounds.add(canaries.get(i).repeats());
      }
      b.append("| ").append(arm.getKey()).append(" |");
      sums.forEach((r, sum) -> b.append(String.format(" %.2f%s |", bits(sum / counts.get(r)), bounds.contains(r) ? " (≥)" : "")));
      b.append('\n');
    }
    return b.toString();
  }

  static String markdown(List<Canary> canaries, Map<String, Object> arms, Map<String, Object> vocabLeak, int candidates) {
    StringBuilder b = new StringBuilder("# Privacy audit\n\n");
    b.append(String.format("Mean canary exposure in bits by repeat count. Chance (a model that learned nothing of the "
        + "secret) is %.2f; the most %d sampled candidates can show is %.2f.%n%n", Exposure.CHANCE, candidates,
        Math.log(candidates + 1) / Math.log(2)));
    b.append(summary(canaries, arms)).append('\n');
    b.append("| canary | repeats |");
    for (String arm : arms.keySet()) b.append(' ').append(arm).append(": secret in text | exposure | probe recovers |");
    b.append("\n|---|---|").append("---|---|---|".repeat(arms.size())).append('\n');
    for (int i = 0; i < canaries.size(); i++) {
      b.append("| ").append(canaries.get(i).id()).append(" | ").append(canaries.get(i).repeats()).append(" |");
      for (Object arm : arms.values()) {
        Map<String, Object> r = rows(arm).get(i);
        b.append(String.format(" %d | %s%.2f | %d/%d |", (Long) r.get("secret_in_clean_text"),
            Boolean.TRUE.equals(r.get("exposure_is_lower_bound")) ? "≥ " : "", bits((Double) r.get("exposure")),
            (Integer) r.get("probe_tokens_recovered"), (Integer) r.get("probe_tokens")));
      }
      b.append('\n');
    }
    b.append("\nBoth models share one vocabulary, learned from the scrubbed text. A vocabulary learned from the "
        + "unscrubbed text holds these digit groups of each secret as tokens: ").append(vocabLeak).append(".\n");
    b.append("\n## Probes (best guess for the masked secret)\n\n| canary | secret |");
    for (String arm : arms.keySet()) b.append(' ').append(arm).append(" |");
    b.append("\n|---|---|").append("---|".repeat(arms.size())).append('\n');
    for (int i = 0; i < canaries.size(); i++) {
      b.append("| ").append(canaries.get(i).id()).append(" | ").append(canaries.get(i).secret()).append(" |");
      for (Object arm : arms.values()) b.append(' ').append(rows(arm).get(i).get("probe_best_guess")).append(" |");
      b.append('\n');
    }
    return b.toString();
  }

  /** Exposure for the table: a rounding error below zero is shown as 0.00, not -0.00. */
  private static double bits(double exposure) {
    return Math.abs(exposure) < 0.005 ? 0 : exposure;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> rows(Object arm) {
    return (List<Map<String, Object>>) arm;
  }
}
