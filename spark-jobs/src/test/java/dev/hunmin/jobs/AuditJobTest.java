package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hunmin.audit.Canary;
import dev.hunmin.audit.SecretFormat;
import dev.hunmin.model.Bert;
import dev.hunmin.model.BertConfig;
import dev.hunmin.tokenize.BertNormalizer;
import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
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

  /**
   * A diverged model (NaN weights) scores every secret NaN, which compares false with everything: its secrets would
   * rank first, maximal exposure. The arm's measurement refuses it, naming the model.
   */
  @Test
  void aDivergedModelIsRefusedNotReportedAsMaximalExposure() throws IOException {
    Configuration conf = new Configuration();
    Path work = tmp.resolve("unscrubbed");
    Files.createDirectories(work.resolve("clean/text"));
    Files.writeString(work.resolve("clean/text/part-00000.txt"), "다른 사람의 문장이다.\n\n");
    List<String> vocab = new ArrayList<>(WordPieceTokenizer.SPECIAL_TOKENS);
    for (int d = 0; d < 10; d++) vocab.addAll(List.of(String.valueOf(d), "##" + d));
    vocab.add("-");
    WordPieceTokenizer tokenizer = new WordPieceTokenizer(vocab, new BertNormalizer(true, true, false, false),
        WordPieceTokenizer.PreTokenization.WHITESPACE);
    try (NDManager manager = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(BertConfig.named("tiny", tokenizer.vocabSize(), 64), manager, 1);
      Map<String, NDArray> nan = new LinkedHashMap<>(bert.parameters());
      nan.replaceAll((name, w) -> w.mul(Float.NaN));
      ModelFiles.writeFinal(conf, new org.apache.hadoop.fs.Path(work.resolve("pretrain").toUri()), bert.withParameters(nan), tokenizer.files());
    }
    Settings s = Settings.load(Cli.parse(new String[] {"audit", "--output", "x", "--candidates", "10"}));
    List<Canary> canaries = Canary.create(1, List.of(SecretFormat.PHONE), List.of(1), 1);
    SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
    try {
      HunminException e = assertThrows(HunminException.class, () -> AuditJob.measure(spark, s, canaries, work.toString()));
      assertTrue(e.getMessage().startsWith("unscrubbed arm's model ") && e.getMessage().contains("diverged"), e.getMessage());
    } finally {
      spark.stop();
    }
  }

  /** README's audit key table names every hunmin.audit key of conf/reference.conf, with its default. */
  @Test
  void theReadmeListsEveryAuditKeyWithItsDefault() throws IOException {
    String readme = Files.readString(Path.of(System.getProperty("hunmin.root", "..")).resolve("README.md"));
    String section = readme.substring(readme.indexOf("### `hunmin audit"), readme.indexOf("### `hunmin inspect"));
    com.typesafe.config.Config audit = Settings.defaults().getConfig("hunmin.audit");
    for (String key : audit.root().keySet()) {
      String row = section.lines().filter(l -> l.startsWith("| `") && l.split("\\|")[1].contains("`" + key + "`"))
          .findFirst().orElse(null);
      assertTrue(row != null, "README's audit keys lack " + key);
      Object value = audit.getValue(key).unwrapped();
      if (value instanceof String || value instanceof Boolean || value instanceof Integer) {
        assertTrue(row.contains(String.valueOf(value)), key + " = " + value + ": " + row);
      }
    }
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
