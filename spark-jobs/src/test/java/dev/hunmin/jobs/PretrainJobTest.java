package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pretrain, export-hf and fill-mask through the CLI on shards made from the sample corpus. */
class PretrainJobTest {
  @TempDir static Path tmp;
  static Path vocab;
  static Path nsp;

  @BeforeAll
  static void shards() throws IOException {
    Path[] stages = Hunmin.sampleShards(tmp);
    vocab = stages[0];
    nsp = stages[1];
  }

  private static Hunmin.Result pretrain(Path out, String... extra) {
    return pretrain(nsp, out, extra);
  }

  private static Hunmin.Result pretrain(Path input, Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("pretrain", "--input", input.toString(), "--vocab", vocab.toString(),
        "--output", out.toString(), "--max-steps", "6", "--batch-size", "4", "--gradient-accumulation", "2",
        "--max-position-embeddings", "64", "--warmup-steps", "2", "--learning-rate", "1e-3", "--save-every", "3",
        "--eval-every", "3", "--eval-examples", "16", "--log-every", "1"));
    args.addAll(List.of(extra));
    return Hunmin.run(args.toArray(new String[0]));
  }

  @Test
  void aResumedRunEndsWithTheWeightsOfAnUninterruptedOne() throws IOException {
    Path whole = tmp.resolve("whole");
    Hunmin.Result a = pretrain(whole);
    assertEquals(0, a.exit(), a.err());
    Path split = tmp.resolve("split");
    Hunmin.Result first = pretrain(split, "--stop-at-step", "3");
    assertEquals(0, first.exit(), first.err());
    assertFalse(Files.exists(split.resolve("_SUCCESS")), "an interrupted run is not complete");
    assertTrue(Files.exists(split.resolve("checkpoints/step-3/optimizer.safetensors")));
    Hunmin.Result forgot = pretrain(split);
    assertEquals(2, forgot.exit());
    assertEquals("hunmin pretrain: error: output file:" + split + " holds the checkpoints of an interrupted run (newest: step-3):"
        + " pass --resume to continue it, or --overwrite to start over", forgot.errorLine());
    assertTrue(Files.exists(split.resolve("checkpoints/step-3/optimizer.safetensors")), "kept");
    Hunmin.Result changed = pretrain(split, "--resume", "--weight-decay", "0.5");
    assertEquals(2, changed.exit());
    assertTrue(changed.errorLine().contains("was made with another configuration"), changed.err());
    Hunmin.Result resumed = pretrain(split, "--resume");
    assertEquals(0, resumed.exit(), resumed.err());
    assertArrayEquals(Files.readAllBytes(whole.resolve("final/model.safetensors")),
        Files.readAllBytes(split.resolve("final/model.safetensors")), "same weights");
    assertEquals(Files.readAllLines(whole.resolve("metrics.jsonl")).size(), Files.readAllLines(split.resolve("metrics.jsonl")).size());

    JsonNode report = Hunmin.report(whole);
    assertEquals(6, report.at("/steps").asInt());
    assertTrue(report.at("/validation_shard").asText().endsWith("part-00002.parquet"));
    JsonNode last = new ObjectMapper().readTree(Files.readAllLines(whole.resolve("metrics.jsonl")).get(5));
    for (String key : List.of("mlm_loss", "nsp_loss", "mlm_accuracy", "learning_rate", "sequences_per_second", "tokens_per_second",
        "eval_mlm_loss", "eval_mlm_accuracy")) {
      assertTrue(last.has(key), key);
    }
    try (var dirs = Files.list(whole.resolve("checkpoints"))) {
      assertEquals(List.of("step-3", "step-6"), dirs.map(p -> p.getFileName().toString()).sorted().toList(), "save-total-limit 2");
    }
    for (String f : List.of("config.json", "model.safetensors", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
      assertTrue(Files.exists(whole.resolve("final").resolve(f)), f);
    }
  }

  @Test
  void exportAndFillMask() throws IOException {
    Path trained = tmp.resolve("trained");
    assertEquals(0, pretrain(trained).exit());
    Path exported = tmp.resolve("exported");
    Hunmin.Result e = Hunmin.run("export-hf", "--model", trained.resolve("checkpoints/step-6").toString(), "--output", exported.toString());
    assertEquals(0, e.exit(), e.err());
    assertArrayEquals(Files.readAllBytes(trained.resolve("final/model.safetensors")), Files.readAllBytes(exported.resolve("model.safetensors")));
    assertTrue(Files.readString(exported.resolve("config.json")).contains("\"BertForPreTraining\""));

    Path probes = Files.writeString(tmp.resolve("probes.txt"), "이순신은 [MASK] 중기의 무신이다.\n[MASK]와 [MASK]\n", StandardCharsets.UTF_8);
    Path out = tmp.resolve("fill.jsonl");
    Hunmin.Result f = Hunmin.run("fill-mask", "--model", exported.toString(), "--input", probes.toString(), "--top-k", "3",
        "--output", out.toString());
    assertEquals(0, f.exit(), f.err());
    List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
    JsonNode one = new ObjectMapper().readTree(lines.get(0));
    assertEquals(3, one.size());
    for (JsonNode c : one) assertTrue(c.has("score") && c.has("token") && c.has("token_str") && c.get("sequence").asText().startsWith("이순신은"));
    assertTrue(one.get(0).get("score").asDouble() >= one.get(1).get("score").asDouble());
    JsonNode two = new ObjectMapper().readTree(lines.get(1));
    assertEquals(2, two.size(), "a list per [MASK]");
    assertEquals(3, two.get(0).size());
    Hunmin.Result printed = Hunmin.run("fill-mask", "--model", exported.toString(), "--input", probes.toString(), "--top-k", "3");
    assertEquals(lines, printed.out().lines().toList(), "without --output, the JSON lines and nothing else on standard output");
    Path link = Files.createSymbolicLink(tmp.resolve("probes-link.txt"), probes);
    Hunmin.Result overInput = Hunmin.run("fill-mask", "--model", exported.toString(), "--input", probes.toString(), "--output", link.toString());
    assertEquals(2, overInput.exit(), overInput.err());
    assertTrue(Files.readString(probes).startsWith("이순신은"), "the input, reached through a link, is kept");

    Hunmin.Result topK = Hunmin.run("fill-mask", "--model", exported.toString(), "--text", "[MASK]이다.", "--top-k", "0");
    assertEquals("hunmin fill-mask: error: --top-k (hunmin.fill-mask.top-k) must be at least 1, not 0", topK.errorLine());
    Hunmin.Result both = Hunmin.run("fill-mask", "--model", exported.toString(), "--text", "[MASK]이다.", "--input", probes.toString());
    assertEquals("hunmin fill-mask: error: fill-mask takes --text or --input, not both", both.errorLine());
    Path noMask = Files.writeString(tmp.resolve("no-mask.txt"), "[MASK]이다.\n\n마스크가 없다.\n", StandardCharsets.UTF_8);
    Hunmin.Result line = Hunmin.run("fill-mask", "--model", exported.toString(), "--input", noMask.toString());
    assertEquals("hunmin fill-mask: error: no [MASK] in " + noMask + " line 3", line.errorLine());
    Hunmin.Result missing = Hunmin.run("fill-mask", "--model", tmp.resolve("no-such-model").toString(), "--text", "[MASK]");
    assertEquals("hunmin fill-mask: error: model not found: " + tmp.resolve("no-such-model"), missing.errorLine());
  }

  /** One complete pretrain output for the tests that only read it, trained by the first that asks. */
  private static synchronized Path trainedOnce() {
    Path trained = tmp.resolve("trained-once");
    if (!Files.exists(trained.resolve("_SUCCESS"))) assertEquals(0, pretrain(trained).exit());
    return trained;
  }

  @Test
  void theModelOfAnUnfinishedRunIsRefusedAPlainOrCheckpointOneRead() throws IOException {
    Path trained = trainedOnce();
    // killed while final/ was written: the checkpoints and final/ there, no _REPORT.json or _SUCCESS yet
    Path unfinished = copy(trained, tmp.resolve("unfinished"));
    Files.delete(unfinished.resolve("_SUCCESS"));
    Files.delete(unfinished.resolve("_REPORT.json"));
    String refused = "model is incomplete: file:" + unfinished + " has no _SUCCESS (its run did not finish); its newest complete checkpoint is file:"
        + unfinished.resolve("checkpoints/step-6");
    for (Path model : List.of(unfinished, unfinished.resolve("final"))) {
      Hunmin.Result e = Hunmin.run("export-hf", "--model", model.toString(), "--output", tmp.resolve("x-" + model.getFileName()).toString());
      assertEquals(2, e.exit(), e.err());
      assertEquals("hunmin export-hf: error: " + refused, e.errorLine());
      Hunmin.Result f = Hunmin.run("fill-mask", "--model", model.toString(), "--text", "[MASK]이다.");
      assertEquals(2, f.exit(), f.err());
      assertTrue(f.errorLine().startsWith("hunmin fill-mask: error: model is incomplete: "), f.err());
    }
    assertFalse(Files.exists(tmp.resolve("x-final")), "nothing exported");
    Hunmin.Result init = pretrain(tmp.resolve("p-from-unfinished"), "--init", unfinished.resolve("final").toString());
    assertEquals(2, init.exit(), init.err());
    assertEquals("hunmin pretrain: error: " + refused, init.errorLine());
    Hunmin.Result checkpoint = Hunmin.run("export-hf", "--model", unfinished.resolve("checkpoints/step-6").toString(),
        "--output", tmp.resolve("from-checkpoint").toString());
    assertEquals(0, checkpoint.exit(), checkpoint.err());
    Hunmin.Result complete = Hunmin.run("fill-mask", "--model", trained.resolve("final").toString(), "--text", "[MASK]이다.");
    assertEquals(0, complete.exit(), complete.err());
    // a Hugging Face directory on disk carries no Hunmin marker
    Path plain = copy(trained.resolve("final"), tmp.resolve("plain-hf"));
    Hunmin.Result e = Hunmin.run("export-hf", "--model", plain.toString(), "--output", tmp.resolve("from-plain").toString());
    assertEquals(0, e.exit(), e.err());
    Hunmin.Result f = Hunmin.run("fill-mask", "--model", plain.toString(), "--text", "[MASK]이다.");
    assertEquals(0, f.exit(), f.err());
  }

  @Test
  void exportHfRefusesASourceWithoutTokenizerFiles() throws IOException {
    // no tokenizer files: nothing that pipeline('fill-mask') could load would be exported
    Path plain = copy(trainedOnce().resolve("final"), tmp.resolve("no-tokenizer"));
    for (String t : List.of("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) Files.delete(plain.resolve(t));
    Hunmin.Result bare = Hunmin.run("export-hf", "--model", plain.toString(), "--output", tmp.resolve("bare").toString());
    assertEquals(2, bare.exit(), bare.err());
    assertEquals("hunmin export-hf: error: no vocab.txt in " + plain + ": export-hf exports the model's tokenizer files", bare.errorLine());
    assertFalse(Files.exists(tmp.resolve("bare")));
  }

  @Test
  void fillMaskRefusesBinaryAndInvalidUtf8InputWithItsLine() throws IOException {
    // fill-mask reads --input as tokenize does: bad bytes are refused with their line, not dropped
    Path trained = trainedOnce();
    Path nul = Files.write(tmp.resolve("nul.txt"), "[MASK]이다.\n[MASK]\0이다.\n".getBytes(StandardCharsets.UTF_8));
    Hunmin.Result binary = Hunmin.run("fill-mask", "--model", trained.resolve("final").toString(), "--input", nul.toString());
    assertEquals(2, binary.exit(), binary.err());
    assertEquals("hunmin fill-mask: error: binary data in " + nul + " at line 2: not a text file", binary.errorLine());
    Path latin1 = Files.write(tmp.resolve("latin1.txt"), "[MASK]\ncaf\u00e9 [MASK]\n".getBytes(StandardCharsets.ISO_8859_1));
    Hunmin.Result invalid = Hunmin.run("fill-mask", "--model", trained.resolve("final").toString(), "--input", latin1.toString());
    assertEquals(2, invalid.exit(), invalid.err());
    assertEquals("hunmin fill-mask: error: invalid UTF-8 in " + latin1 + " at line 2: fill-mask reads UTF-8 text", invalid.errorLine());
  }

  @Test
  void aMissingInitIsNamed() {
    Path missing = tmp.resolve("no-such-init");
    Hunmin.Result r = pretrain(tmp.resolve("p-init"), "--init", missing.toString());
    assertEquals(2, r.exit(), r.err());
    assertEquals("hunmin pretrain: error: --init: not found: " + missing, r.errorLine());
    assertFalse(Files.exists(tmp.resolve("p-init")), "the output is not touched");
  }

  private static Path copy(Path from, Path to) throws IOException {
    try (var files = Files.walk(from)) {
      for (Path f : files.toList()) Files.copy(f, to.resolve(from.relativize(f).toString()));
    }
    return to;
  }

  @Test
  void aRunRefusedForBadSettingsLeavesTheOldOutputAsItWas() throws IOException {
    Path out = tmp.resolve("kept");
    assertEquals(0, pretrain(out).exit());
    byte[] weights = Files.readAllBytes(out.resolve("final/model.safetensors"));
    Hunmin.Result batch = pretrain(out, "--overwrite", "--save-total-limit", "0");
    assertEquals(2, batch.exit());
    assertEquals("hunmin pretrain: error: --save-total-limit (hunmin.pretrain.save-total-limit) must be at least 1, not 0", batch.errorLine());
    Hunmin.Result mlm = pretrain(out, "--overwrite", "--mlm-probability", "0");
    assertEquals("hunmin pretrain: error: --mlm-probability (hunmin.pretrain.mlm-probability) must be above 0 and at most 1, not 0", mlm.errorLine());
    Hunmin.Result precision = pretrain(out, "--overwrite", "--precision", "bf16");
    assertEquals("hunmin pretrain: error: --precision must be fp32 or fp16, not 'bf16'", precision.errorLine());
    Hunmin.Result input = Hunmin.run("pretrain", "--input", tmp.resolve("no-shards").toString(), "--vocab", vocab.toString(),
        "--output", out.toString(), "--overwrite");
    assertEquals(2, input.exit());
    // shards that only training would have tripped over: found before --overwrite deletes anything
    Path bad = Files.createDirectories(tmp.resolve("kept-bad"));
    SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
    try {
      write(spark, bad.resolve("null-element"), MASKED, good(), masked(new Integer[] {2, null, 3, 11, 3}, TYPES, POSITIONS, IDS));
      write(spark, bad.resolve("cls"), MASKED, good(), masked(IDS_5, TYPES, new Integer[] {0, 3}, IDS));
      write(spark, bad.resolve("empty"), MASKED);
    } finally {
      spark.stop();
    }
    Path heldOutOnly = Files.createDirectories(bad.resolve("held-out-only"));
    try (var files = Files.list(bad.resolve("empty"))) {
      Files.copy(files.filter(f -> f.toString().endsWith(".parquet")).findFirst().orElseThrow(), heldOutOnly.resolve("part-0.parquet"));
    }
    Files.copy(nsp.resolve("shards/part-00000.parquet"), heldOutOnly.resolve("part-1.parquet"));
    for (String[] c : List.of(
        new String[] {"null-element", "shard .*part-.*\\.parquet row 1: a null element in input_ids"},
        new String[] {"cls", "shard .*part-.*\\.parquet row 1: masked_lm_positions holds 0, the \\[CLS\\] position"},
        new String[] {"empty", "the shards hold no rows: \\[.*part-.*\\.parquet\\]"},
        new String[] {"held-out-only", "the training shards hold no rows: \\[.*part-0\\.parquet\\] \\(the held-out last shard aside\\)"})) {
      Hunmin.Result r = pretrain(bad.resolve(c[0]), out, "--overwrite");
      assertEquals(2, r.exit(), r.err());
      assertTrue(r.errorLine().matches("hunmin pretrain: error: " + c[1]), r.err());
    }
    assertArrayEquals(weights, Files.readAllBytes(out.resolve("final/model.safetensors")), "the old model is untouched");
    assertTrue(Files.exists(out.resolve("_SUCCESS")));
  }

  @Test
  void anotherVocabularyThanTheShardsWereMadeWithIsRefused() throws IOException {
    Path other = Files.createDirectories(tmp.resolve("other-vocab"));
    // the same size, one token changed: the ids would be the same numbers for other tokens
    List<String> tokens = new ArrayList<>(Files.readAllLines(vocab.resolve("vocab.txt")));
    tokens.set(tokens.size() - 1, tokens.get(tokens.size() - 1) + "뀨");
    Files.write(other.resolve("vocab.txt"), tokens);
    Hunmin.Result r = Hunmin.run("pretrain", "--input", nsp.toString(), "--vocab", other.toString(),
        "--output", tmp.resolve("p-other-vocab").toString(), "--max-steps", "1");
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.errorLine().startsWith("hunmin pretrain: error: --vocab " + other + " is not the vocabulary the shards in " + nsp
        + " were made with (file:" + vocab), r.errorLine());
    // a copy of the right one is the right one
    Path copy = Files.createDirectories(tmp.resolve("vocab-copy"));
    try (var files = Files.list(vocab)) {
      for (Path f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()));
    }
    Hunmin.Result same = Hunmin.run("pretrain", "--input", nsp.resolve("shards").toString(), "--vocab", copy.toString(),
        "--output", tmp.resolve("p-vocab-copy").toString(), "--max-steps", "1", "--batch-size", "4", "--max-position-embeddings", "64");
    assertEquals(0, same.exit(), same.err());
  }

  /** pretrain on input is refused with this error, exit 2. */
  private static void assertRefused(Path input, String error) {
    Hunmin.Result r = Hunmin.run("pretrain", "--input", input.toString(), "--vocab", vocab.toString(),
        "--output", tmp.resolve("p-refused").toString(), "--max-steps", "1");
    assertEquals(2, r.exit(), r.err());
    assertEquals("hunmin pretrain: error: " + error, r.errorLine());
    assertFalse(Files.exists(tmp.resolve("p-refused")), "no output");
  }

  @Test
  void theShardsOfAnNspOutputWithoutSuccessAreRefusedByEitherName() throws IOException {
    Path copy = Files.createDirectories(tmp.resolve("nsp-unfinished/shards"));
    try (var files = Files.list(nsp.resolve("shards"))) {
      for (Path f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()));
    }
    Files.copy(nsp.resolve("_REPORT.json"), copy.getParent().resolve("_REPORT.json"));
    for (Path input : List.of(copy.getParent(), copy)) {
      assertRefused(input, "shards are incomplete: " + copy.getParent() + " has no _SUCCESS (its nsp run did not finish)");
    }
  }

  @Test
  void theStagingDirectoryOfAnUnfinishedRunIsRefused() throws IOException {
    Path staging = Files.createDirectories(tmp.resolve(".nsp-killed.tmp-0123456789ab/shards"));
    Path halfWritten = Files.createDirectories(tmp.resolve("half-written"));
    try (var files = Files.list(nsp.resolve("shards"))) {
      for (Path f : files.toList()) {
        Files.copy(f, staging.resolve(f.getFileName()));
        Files.copy(f, halfWritten.resolve(f.getFileName()));
      }
    }
    Files.createDirectories(halfWritten.resolve("_temporary/0"));
    for (Path input : List.of(staging.getParent(), staging)) {
      assertRefused(input, "shards are incomplete: " + staging.getParent() + " is the staging directory of an unfinished run");
    }
    assertRefused(halfWritten, "shards are incomplete: " + halfWritten + " holds _temporary (a Spark write into it did not finish)");
    assertFalse(Files.exists(tmp.resolve("p-refused")), "no output");
  }

  static final StructType MASKED = new StructType()
      .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType))
      .add("token_type_ids", DataTypes.createArrayType(DataTypes.ByteType))
      .add("next_sentence_label", DataTypes.IntegerType)
      .add("masked_lm_positions", DataTypes.createArrayType(DataTypes.IntegerType))
      .add("masked_lm_ids", DataTypes.createArrayType(DataTypes.IntegerType));
  static final Integer[] IDS_5 = {2, 10, 3, 11, 3};
  static final Byte[] TYPES = {0, 0, 0, 1, 1};
  static final Integer[] POSITIONS = {1, 3};
  static final Integer[] IDS = {10, 11};

  private static Row masked(Integer[] ids, Byte[] types, Integer[] positions, Integer[] maskedIds) {
    return RowFactory.create(ids, types, 0, positions, maskedIds);
  }

  private static Row good() {
    return masked(IDS_5, TYPES, POSITIONS, IDS);
  }

  /** One Parquet file of rows under dir. */
  private static void write(SparkSession spark, Path dir, StructType schema, Row... rows) {
    spark.createDataFrame(List.of(rows), schema).coalesce(1).write().parquet(dir.toString());
  }

  @Test
  void elementsAndStaticMaskingBreakingTheContractAreReportedWithFileAndRow() throws IOException {
    Path bad = Files.createDirectories(tmp.resolve("bad-elements"));
    Map<String, String> expected = new LinkedHashMap<>();
    SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
    try {
      List<Map.Entry<String, Row>> rows = new ArrayList<>();
      rows.add(Map.entry("row 1: a null element in token_type_ids", masked(IDS_5, new Byte[] {0, 0, null, 1, 1}, POSITIONS, IDS)));
      rows.add(Map.entry("row 1: token_type_ids holds 2 \\(the contract: 0 for segment A, 1 for B\\)", masked(IDS_5, new Byte[] {0, 0, 0, 2, 1}, POSITIONS, IDS)));
      rows.add(Map.entry("row 1: masked_lm_positions is null", masked(IDS_5, TYPES, null, IDS)));
      rows.add(Map.entry("row 1: masked_lm_ids is null", masked(IDS_5, TYPES, POSITIONS, null)));
      rows.add(Map.entry("row 1: a null element in masked_lm_positions", masked(IDS_5, TYPES, new Integer[] {1, null}, IDS)));
      rows.add(Map.entry("row 1: a null element in masked_lm_ids", masked(IDS_5, TYPES, POSITIONS, new Integer[] {null, 11})));
      rows.add(Map.entry("row 1: masked_lm_positions and masked_lm_ids differ in length", masked(IDS_5, TYPES, POSITIONS, new Integer[] {10})));
      rows.add(Map.entry("row 1: masked_lm_positions holds 5, outside the 5 tokens", masked(IDS_5, TYPES, new Integer[] {1, 5}, IDS)));
      rows.add(Map.entry("row 1: masked_lm_positions holds -1, outside the 5 tokens", masked(IDS_5, TYPES, new Integer[] {-1, 3}, IDS)));
      rows.add(Map.entry("row 1: masked_lm_positions are not strictly ascending", masked(IDS_5, TYPES, new Integer[] {3, 1}, IDS)));
      rows.add(Map.entry("row 1: masked_lm_positions are not strictly ascending", masked(IDS_5, TYPES, new Integer[] {3, 3}, IDS)));
      rows.add(Map.entry("row 1: masked_lm_ids holds id 5000 ≥ vocabulary size \\d+", masked(IDS_5, TYPES, POSITIONS, new Integer[] {10, 5000})));
      rows.add(Map.entry("row 1: masked_lm_ids holds a negative id", masked(IDS_5, TYPES, POSITIONS, new Integer[] {-3, 11})));
      int n = 0;
      for (Map.Entry<String, Row> c : rows) {
        Path dir = bad.resolve("case-" + n++);
        write(spark, dir, MASKED, good(), c.getValue());
        expected.put(dir.toString(), "shard .*part-.*\\.parquet " + c.getKey());
      }
      spark.createDataFrame(List.of(RowFactory.create(IDS_5, TYPES, 0, POSITIONS)), new StructType(Arrays.copyOf(MASKED.fields(), 4)))
          .coalesce(1).write().parquet(bad.resolve("positions-only").toString());
      expected.put(bad.resolve("positions-only").toString(), "shard .*part-.*\\.parquet has masked_lm_positions but no masked_lm_ids \\(static masking needs both\\)");
      spark.createDataFrame(List.of(RowFactory.create(IDS_5, TYPES, 0, new Long[] {1L}, new Integer[] {10})),
          new StructType(Arrays.copyOf(MASKED.fields(), 3)).add("masked_lm_positions", DataTypes.createArrayType(DataTypes.LongType))
              .add("masked_lm_ids", DataTypes.createArrayType(DataTypes.IntegerType)))
          .coalesce(1).write().parquet(bad.resolve("long-positions").toString());
      expected.put(bad.resolve("long-positions").toString(),
          "shard .*part-.*\\.parquet: column masked_lm_positions is array<bigint>, the contract says array<int>");
    } finally {
      spark.stop();
    }
    for (Map.Entry<String, String> c : expected.entrySet()) {
      Hunmin.Result r = Hunmin.run("pretrain", "--input", c.getKey(), "--vocab", vocab.toString(),
          "--output", tmp.resolve("p-elements").toString(), "--max-steps", "1", "--max-position-embeddings", "64");
      assertEquals(2, r.exit(), r.err());
      assertTrue(r.errorLine().matches("hunmin pretrain: error: " + c.getValue()), c.getValue() + " ← " + r.err());
    }
  }

  @Test
  void shardsBreakingTheContractAreReportedWithFileAndRow() throws IOException {
    Path bad = Files.createDirectories(tmp.resolve("bad-shards"));
    SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
    try {
      StructType schema = new StructType()
          .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType))
          .add("token_type_ids", DataTypes.createArrayType(DataTypes.ByteType))
          .add("next_sentence_label", DataTypes.IntegerType);
      spark.createDataFrame(List.of(
          RowFactory.create(new Integer[] {2, 10, 3, 11, 3}, new Byte[] {0, 0, 0, 1, 1}, 0),
          RowFactory.create(new Integer[] {2, 5000, 3, 11, 3}, new Byte[] {0, 0, 0, 1, 1}, 1)), schema)
          .coalesce(1).write().parquet(bad.resolve("ids").toString());
      spark.createDataFrame(List.of(RowFactory.create(new Integer[] {2, 10, 3, 11, 3}, new Byte[] {0, 0, 0, 1, 1}, 7)), schema)
          .coalesce(1).write().parquet(bad.resolve("labels").toString());
      spark.createDataFrame(List.of(RowFactory.create(new Integer[] {2, 3}, 0)),
          new StructType().add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType)).add("label", DataTypes.IntegerType))
          .coalesce(1).write().parquet(bad.resolve("columns").toString());
    } finally {
      spark.stop();
    }
    Hunmin.Result ids = Hunmin.run("pretrain", "--input", bad.resolve("ids").toString(), "--vocab", vocab.toString(),
        "--output", tmp.resolve("p1").toString(), "--max-steps", "1");
    assertEquals(2, ids.exit());
    assertTrue(ids.errorLine().matches("hunmin pretrain: error: shard .*part-.*\\.parquet row 1: id 5000 ≥ vocabulary size \\d+"), ids.err());
    Hunmin.Result labels = Hunmin.run("pretrain", "--input", bad.resolve("labels").toString(), "--vocab", vocab.toString(),
        "--output", tmp.resolve("p0").toString(), "--max-steps", "1");
    assertEquals(2, labels.exit());
    assertTrue(labels.errorLine().matches("hunmin pretrain: error: shard .*part-.*\\.parquet row 0: next_sentence_label 7 \\(the contract: 0 IsNext, 1 random next\\)"),
        labels.err());
    Hunmin.Result columns = Hunmin.run("pretrain", "--input", bad.resolve("columns").toString(), "--vocab", vocab.toString(),
        "--output", tmp.resolve("p2").toString(), "--max-steps", "1");
    assertEquals(2, columns.exit());
    assertTrue(columns.errorLine().contains("has no column"), columns.err());
    Hunmin.Result gpu = pretrain(tmp.resolve("p3"), "--device", "gpu");
    assertEquals(2, gpu.exit());
    assertTrue(gpu.errorLine().contains("PyTorch sees no GPU"), gpu.err());
  }
}
