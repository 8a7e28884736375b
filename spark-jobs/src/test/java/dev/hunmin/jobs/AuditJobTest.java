package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit end to end on the embedded sample, smaller than its defaults (phone canaries added once and 64 times,
 * 250 steps, 200 candidates): the canary seen 64 times is exposed far above chance when PII is kept, and with
 * scrubbing no secret reaches the text and no canary stands out.
 */
class AuditJobTest {
  @TempDir Path tmp;

  @Test
  void scrubbingTakesAMemorizedCanaryBackToChance() throws IOException {
    Path out = tmp.resolve("audit");
    Hunmin.Result r = Hunmin.run("audit", "--output", out.toString(), "--set", "audit.formats=[phone]",
        "--set", "audit.repeats=[1,64]", "--candidates", "200", "--pretrain-steps", "250");
    assertEquals(0, r.exit(), r.err());
    assertTrue(Files.exists(out.resolve("_SUCCESS")) && Files.exists(out.resolve("results.md")));
    JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    JsonNode kept = results.at("/arms/unscrubbed");
    JsonNode scrubbed = results.at("/arms/scrubbed");
    assertEquals(2, kept.size());
    assertEquals(1, kept.get(0).get("secret_in_clean_text").asInt(), "the once-added canary is in the unscrubbed text once");
    assertEquals(64, kept.get(1).get("secret_in_clean_text").asInt(), "dedup is off, so all 64 repeats stay");
    assertTrue(kept.get(1).get("exposure").asDouble() > 6, "the canary seen 64 times is exposed: " + kept.get(1));
    for (JsonNode canary : scrubbed) {
      assertEquals(0, canary.get("secret_in_clean_text").asInt(), "scrubbed: " + canary);
      assertTrue(canary.get("exposure").asDouble() < 4, "scrubbed: near chance (1.44 bits): " + canary);
    }
    assertEquals(65, Files.readString(out.resolve("canaries.txt")).lines().filter(l -> !l.isBlank()).count(), "1 + 64 documents");
    System.out.println(Files.readString(out.resolve("results.md")));

    Hunmin.Result again = Hunmin.run("audit", "--output", out.toString(), "--set", "audit.formats=[phone]",
        "--set", "audit.repeats=[1,64]", "--candidates", "200", "--pretrain-steps", "250", "--skip-if-done");
    assertTrue(again.out().startsWith("audit: skipped: "), again.out() + again.err());
    // the arms' pretraining settings come from the pretrain section: a change there is another configuration
    Hunmin.Result changed = Hunmin.run("audit", "--output", out.toString(), "--set", "audit.formats=[phone]",
        "--set", "audit.repeats=[1,64]", "--candidates", "200", "--pretrain-steps", "250", "--skip-if-done",
        "--set", "pretrain.weight-decay=0.02");
    assertEquals(2, changed.exit(), changed.out());
    assertTrue(changed.errorLine().contains("different configuration"), changed.errorLine());
  }

  /** A device that cannot be used fails in the checks before any work, not after two pretraining runs. */
  @Test
  void anUnusableDeviceIsRefusedBeforeAnyWork() {
    List<String> devices = new ArrayList<>(List.of("tpu"));
    if (ai.djl.engine.Engine.getInstance().getGpuCount() == 0) devices.add("gpu");
    for (String device : devices) {
      Path out = tmp.resolve("audit-" + device);
      // a missing input would fail the first pipeline at once: the device is checked before that
      Hunmin.Result r = Hunmin.run("audit", "--output", out.toString(), "--input", tmp.resolve("missing.txt").toString(),
          "--device", device);
      assertEquals(2, r.exit(), r.out());
      assertTrue(r.errorLine().contains("--device"), r.errorLine());
      assertEquals(1, r.err().lines().count(), "one line: " + r.err());
      assertFalse(Files.exists(out), "nothing written");
    }
  }
}
