package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hunmin.audit.Canary;
import dev.hunmin.audit.SecretFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The audit's Markdown, from results as AuditJob records them. */
class AuditReportTest {
  /** A canary's row in an arm: its exposure and whether it is a lower bound (no candidate scored higher). */
  private static Map<String, Object> row(String canary, double exposure, boolean lowerBound) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("canary", canary);
    row.put("secret_in_clean_text", 1L);
    row.put("exposure", exposure);
    row.put("exposure_is_lower_bound", lowerBound);
    row.put("probe_best_guess", "010-0000-0000");
    row.put("probe_tokens_recovered", 3);
    row.put("probe_tokens", 13);
    return row;
  }

  @Test
  void aMeanOverCanariesAtTheCeilingIsMarkedAsALowerBound() {
    List<Canary> canaries = Canary.create(1, List.of(SecretFormat.PHONE), List.of(1, 64), 2);
    double ceiling = Math.log(1001) / Math.log(2);
    List<Map<String, Object>> rows = new ArrayList<>();
    // ×1: neither at the ceiling; ×64: one at it, so the mean is a lower bound too
    for (double[] e : new double[][] {{0.5, 0}, {1.5, 0}, {ceiling, 1}, {8.5, 0}}) {
      rows.add(row(canaries.get(rows.size()).id(), e[0], e[1] == 1));
    }
    Map<String, Object> arms = new LinkedHashMap<>();
    arms.put("unscrubbed", rows);
    String summary = AuditReport.summary(canaries, arms);
    assertTrue(summary.contains("| unscrubbed | 1.00 | 9.23 (≥) |"), summary);
    String md = AuditReport.markdown(canaries, arms, Map.of(), 1000);
    assertTrue(md.contains("| unscrubbed | 1.00 | 9.23 (≥) |"), md);
    assertTrue(md.contains("| ≥ 9.97 |"), "the canary at the ceiling: " + md);
  }
}
