package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each bad input gives one clear error line and exit 2, or a counted drop; never silent loss, never half output. */
class BadInputTest {
  @TempDir Path tmp;

  private static final String GOOD = "서울특별시는 대한민국의 수도이며 가장 큰 도시이다.\n한강이 도시 가운데를 흐른다.\n";

  private Hunmin.Result clean(Path input, String... extra) {
    String[] args = new String[4 + extra.length + 1];
    args[0] = "clean";
    args[1] = "--input";
    args[2] = input.toString();
    args[3] = "--output";
    args[4] = tmp.resolve("out").toString();
    System.arraycopy(extra, 0, args, 5, extra.length);
    return Hunmin.run(args);
  }

  private void assertNoOutput() throws IOException {
    assertFalse(Files.exists(tmp.resolve("out")), "no output after a failed run");
    try (var files = Files.list(tmp)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".out.tmp-")), "no staging directory left");
    }
  }

  @Test
  void missingPath() throws IOException {
    Hunmin.Result r = clean(tmp.resolve("nope.txt"));
    assertEquals(2, r.exit());
    assertEquals("hunmin clean: error: input not found: " + tmp.resolve("nope.txt"), r.errorLine());
    assertNoOutput();
  }

  @Test
  void emptyInput() throws IOException {
    Path empty = Files.createFile(tmp.resolve("empty.txt"));
    Hunmin.Result r = clean(empty);
    assertEquals(2, r.exit());
    assertTrue(r.errorLine().contains("input is empty: " + empty), r.err());
    assertNoOutput();
  }

  @Test
  void binaryFile() throws IOException {
    byte[] bytes = new byte[4096];
    new Random(1).nextBytes(bytes);
    bytes[100] = 0;
    Path bin = Files.write(tmp.resolve("model.bin"), bytes);
    Hunmin.Result r = clean(bin);
    assertEquals(2, r.exit());
    assertTrue(r.errorLine().matches("hunmin clean: error: binary data in file:.*model\\.bin near byte \\d+: not a text file"), r.err());
    assertNoOutput();
  }

  @Test
  void invalidUtf8IsACountedDrop() throws IOException {
    byte[] bad = "깨진 문서입니다 \u0000".getBytes(StandardCharsets.UTF_8);
    bad[bad.length - 1] = (byte) 0xC3; // a lone lead byte: invalid UTF-8, no NUL
    Path in = tmp.resolve("mixed.txt");
    Files.write(in, concat(GOOD.getBytes(StandardCharsets.UTF_8), "\n".getBytes(StandardCharsets.UTF_8), bad));
    Hunmin.Result r = clean(in);
    assertEquals(0, r.exit(), r.err());
    assertEquals(1, Hunmin.report(tmp.resolve("out")).at("/drops/invalid_utf8").asLong());
    assertEquals(1, Hunmin.report(tmp.resolve("out")).at("/documents/out").asLong());
  }

  @Test
  void invalidUtf8FailsWhenAsked() throws IOException {
    Path in = Files.write(tmp.resolve("bad.txt"), new byte[] {(byte) 0xC3, 'a', 'b'});
    Hunmin.Result r = clean(in, "--on-bad-record", "fail");
    assertEquals(2, r.exit());
    assertEquals("hunmin clean: error: unreadable record (invalid_utf8) in file:" + in + " at byte 0", r.errorLine());
    assertNoOutput();
  }

  @Test
  void tenMegabyteLineIsDroppedAsTooLong() throws IOException {
    Path in = tmp.resolve("huge.txt");
    Files.writeString(in, GOOD + "\n" + "가나다라마바사 ".repeat(10 * 1024 * 1024 / 22) + "\n", StandardCharsets.UTF_8);
    assertTrue(Files.size(in) > 10_000_000);
    Hunmin.Result r = clean(in);
    assertEquals(0, r.exit(), r.err());
    assertEquals(1, Hunmin.report(tmp.resolve("out")).at("/drops/too_long").asLong());
    assertEquals(1, Hunmin.report(tmp.resolve("out")).at("/documents/out").asLong());
  }

  @Test
  void jsonlLineWithTrailingGarbageIsInvalidJson() throws IOException {
    Path in = tmp.resolve("posts.jsonl");
    String good = "{\"content\": \"" + GOOD.replace("\n", " ") + "\"}\n";
    Files.writeString(in, good + "{\"content\": \"한강이 도시 가운데를 흐른다.\"} trailing garbage {\n", StandardCharsets.UTF_8);
    Hunmin.Result r = clean(in, "--jsonl-field", "content");
    assertEquals(0, r.exit(), r.err());
    assertEquals(1, Hunmin.report(tmp.resolve("out")).at("/drops/invalid_json").asLong());
    assertEquals(1, Hunmin.report(tmp.resolve("out")).at("/documents/out").asLong());
    Hunmin.Result fail = clean(in, "--jsonl-field", "content", "--on-bad-record", "fail", "--overwrite");
    assertEquals(2, fail.exit(), fail.err());
    assertTrue(fail.errorLine().contains("invalid_json") || fail.errorLine().toLowerCase().contains("json"), fail.errorLine());
  }

  @Test
  void aGlobRefusesAnOutputItWouldMatchOnTheNextRun() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("raw"));
    Files.writeString(dir.resolve("doc.txt"), GOOD, StandardCharsets.UTF_8);
    Hunmin.Result r = Hunmin.run("clean", "--input", dir.resolve("*").toString(), "--output", dir.resolve("out").toString());
    assertEquals(2, r.exit(), r.err());
    assertEquals("hunmin clean: error: output file:" + dir.resolve("out") + " lies inside the input " + dir.resolve("*")
        + ", which a rerun would read: choose another --output", r.errorLine());
    assertFalse(Files.exists(dir.resolve("out")));
    // below a matched name too; a name the glob does not match is fine
    Hunmin.Result deeper = Hunmin.run("clean", "--input", tmp.resolve("r?w/*").toString(), "--output", dir.resolve("new/out").toString());
    assertEquals(2, deeper.exit(), deeper.err());
    Hunmin.Result apart = Hunmin.run("clean", "--input", dir.resolve("*.txt").toString(), "--output", dir.resolve("out").toString());
    assertEquals(0, apart.exit(), apart.err());
    Hunmin.Result again = Hunmin.run("clean", "--input", dir.resolve("*.txt").toString(), "--output", dir.resolve("out").toString(), "--overwrite");
    assertEquals(0, again.exit(), again.err());
  }

  @Test
  void anOutputNameWithAColonIsNamedAsGiven() throws IOException {
    Path in = Files.writeString(tmp.resolve("doc.txt"), GOOD, StandardCharsets.UTF_8);
    String out = tmp.resolve("a:b").toString();
    Hunmin.Result r = Hunmin.run("clean", "--input", in.toString(), "--output", out);
    assertEquals(2, r.exit(), r.err());
    assertEquals("hunmin clean: error: not a usable path: --output " + out + " (Hadoop paths cannot hold ':' in a name)", r.errorLine());
    try (var files = Files.list(tmp)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".a:b")), "no staging directory");
    }
  }

  @Test
  void jsonlLineThatIsNotJsonIsACountedDrop() throws IOException {
    Path in = tmp.resolve("posts.jsonl");
    Files.writeString(in, "{\"content\": \"" + GOOD.replace("\n", " ") + "\"}\n{not json\n{\"title\": \"no content\"}\n",
        StandardCharsets.UTF_8);
    Hunmin.Result r = clean(in, "--jsonl-field", "content");
    assertEquals(0, r.exit(), r.err());
    assertEquals(1, Hunmin.report(tmp.resolve("out")).at("/drops/invalid_json").asLong());
    assertEquals(1, Hunmin.report(tmp.resolve("out")).at("/drops/missing_field").asLong());
    assertEquals(1, Hunmin.report(tmp.resolve("out")).at("/documents/out").asLong());
  }

  @Test
  void jsonlWithoutTheFieldAnywhereIsAnError() throws IOException {
    Path in = Files.writeString(tmp.resolve("posts.jsonl"), "{\"title\": \"제목\"}\n", StandardCharsets.UTF_8);
    Hunmin.Result r = clean(in);
    assertEquals(2, r.exit());
    assertTrue(r.errorLine().contains("no document could be read from") && r.errorLine().contains("missing_field=1"), r.err());
  }

  @Test
  void tsvWithoutTheNamedColumn() throws IOException {
    Path in = Files.writeString(tmp.resolve("reviews.tsv"), "id\ttext\n1\t" + GOOD.replace("\n", " ") + "\n", StandardCharsets.UTF_8);
    Hunmin.Result r = clean(in, "--tsv-column", "review");
    assertEquals(2, r.exit());
    assertEquals("hunmin clean: error: TSV file:" + in + " has no column 'review' (columns: id, text)", r.errorLine());
    assertNoOutput();
  }

  @Test
  void unknownFlagAndMissingOutput() {
    Hunmin.Result unknown = Hunmin.run("clean", "--inptu", "x");
    assertEquals(2, unknown.exit());
    assertEquals("hunmin clean: error: unknown flag --inptu for 'clean' (see hunmin clean --help)", unknown.errorLine());
    Hunmin.Result noOutput = Hunmin.run("clean", "--input", "x");
    assertEquals(2, noOutput.exit());
    assertEquals("hunmin clean: error: --output is required (hunmin.clean.output)", noOutput.errorLine());
  }

  @Test
  void mistypedValueNamesTheFlagAndTheValue() throws IOException {
    Path in = Files.writeString(tmp.resolve("doc.txt"), GOOD, StandardCharsets.UTF_8);
    Hunmin.Result r = clean(in, "--split-morphology", "sometimes");
    assertEquals(2, r.exit());
    assertEquals("hunmin clean: error: --split-morphology (hunmin.clean.split-morphology) must be true or false, not 'sometimes'",
        r.errorLine());
    Hunmin.Result n = clean(in, "--set", "clean.filter.min-chars=many");
    assertEquals(2, n.exit());
    assertEquals("hunmin clean: error: --filter.min-chars (hunmin.clean.filter.min-chars) must be a number, not 'many'",
        n.errorLine());
    assertNoOutput();
  }

  @Test
  void aCorruptCompressedInputIsBadInputNamingTheFile() throws IOException {
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
    try (var out = new java.util.zip.GZIPOutputStream(gz)) {
      for (int i = 0; i < 2000; i++) out.write((i + "번째 문장이다. " + GOOD).getBytes(StandardCharsets.UTF_8));
    }
    byte[] whole = gz.toByteArray();
    // cut short: the codec finds out at the end, in a task
    Path cut = Files.write(tmp.resolve("cut.txt.gz"), java.util.Arrays.copyOf(whole, whole.length / 2));
    Hunmin.Result r = clean(cut, "--text-format", "lines");
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.errorLine().startsWith("hunmin clean: error: corrupt compressed input file:" + cut + ": "), r.errorLine());
    assertTrue(r.errorLine().endsWith("(not a complete gz file)"), r.errorLine());
    // no gzip at all, as text and as TSV (whose header is read on the driver)
    Path text = Files.writeString(tmp.resolve("plain.jsonl.gz"), "{\"text\": \"" + GOOD.strip() + "\"}\n", StandardCharsets.UTF_8);
    r = clean(text);
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.errorLine().startsWith("hunmin clean: error: corrupt compressed input file:" + text + ": "), r.errorLine());
    Path tsv = Files.writeString(tmp.resolve("plain.tsv.gz"), "id\treview\n1\t" + GOOD.strip() + "\n", StandardCharsets.UTF_8);
    r = clean(tsv, "--tsv-column", "review");
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.errorLine().startsWith("hunmin clean: error: corrupt compressed input file:" + tsv + ": "), r.errorLine());
    assertNoOutput();
  }

  @Test
  void aMistypedValueOfAnyCommandIsRefusedBeforeSparkStarts() throws IOException {
    Path in = Files.writeString(tmp.resolve("doc.txt"), GOOD, StandardCharsets.UTF_8);
    // nothing listens on the master's port: were a session started, this would fail on the cluster, not the value
    Hunmin.Result r = clean(in, "--master", "spark://127.0.0.1:9", "--set", "clean.near-dup=FALSE");
    assertEquals(2, r.exit());
    assertEquals("hunmin clean: error: --near-dup (hunmin.clean.near-dup) must be true or false, not 'FALSE'", r.errorLine());
    // a key another stage reads is checked too: a pipeline would reach it only after the stages before it
    Path conf = Files.writeString(tmp.resolve("job.conf"), "hunmin.pretrain.max-steps = one\n", StandardCharsets.UTF_8);
    r = clean(in, "--master", "spark://127.0.0.1:9", "--conf", conf.toString());
    assertEquals("hunmin clean: error: --max-steps (hunmin.pretrain.max-steps) must be a number, not 'one'", r.errorLine());
    assertNoOutput();
  }

  @Test
  void inputWithNoRecordsIsAnError() throws IOException {
    Path in = Files.writeString(tmp.resolve("reviews.tsv"), "id\ttext\n", StandardCharsets.UTF_8);
    Hunmin.Result r = clean(in);
    assertEquals(2, r.exit());
    assertEquals("hunmin clean: error: no document in " + in + ": the input holds no records (only a header, or blank lines)", r.errorLine());
    assertNoOutput();
  }

  @Test
  void outOfRangeAndFractionalValuesNameTheFlag() throws IOException {
    Path in = Files.writeString(tmp.resolve("doc.txt"), GOOD, StandardCharsets.UTF_8);
    Hunmin.Result zero = clean(in, "--partitions", "0");
    assertEquals(2, zero.exit());
    assertEquals("hunmin clean: error: --partitions (hunmin.clean.partitions) must be at least 1, not 0", zero.errorLine());
    Hunmin.Result fraction = clean(in, "--near-dup-shingle", "2.5");
    assertEquals("hunmin clean: error: --near-dup-shingle (hunmin.clean.near-dup-shingle) must be an integer, not '2.5'", fraction.errorLine());
    Hunmin.Result ratio = clean(in, "--near-dup-threshold", "1.5");
    assertEquals("hunmin clean: error: --near-dup-threshold (hunmin.clean.near-dup-threshold) must be between 0 and 1, not 1.5", ratio.errorLine());
    Hunmin.Result regex = clean(in, "--filter.boilerplate", "[(");
    assertEquals("hunmin clean: error: --filter.boilerplate: '[(' is no regular expression (Unclosed character class)", regex.errorLine());
    assertNoOutput();
  }

  @Test
  void anExclusionFileThatYieldsNoTextIsAnError() throws IOException {
    Path in = Files.writeString(tmp.resolve("doc.txt"), GOOD, StandardCharsets.UTF_8);
    Path exclude = Files.writeString(tmp.resolve("test.tsv"), "id\tdocument\n", StandardCharsets.UTF_8);
    Hunmin.Result r = clean(in, "--exclude", exclude.toString(), "--seed", "1.5");
    assertEquals("hunmin clean: error: --seed (hunmin.seed) must be an integer from -9223372036854775808 to 9223372036854775807, not '1.5'",
        r.errorLine());
    // beyond a long: refused, not clamped to Long.MAX_VALUE with every other seed that long
    r = clean(in, "--seed", "92233720368547758080");
    assertEquals("hunmin clean: error: --seed (hunmin.seed) must be an integer from -9223372036854775808 to 9223372036854775807,"
        + " not '92233720368547758080'", r.errorLine());
    Hunmin.Result missing = clean(in, "--exclude", tmp.resolve("no-such.tsv").toString());
    assertEquals(2, missing.exit());
    assertEquals("hunmin clean: error: --exclude: input not found: " + tmp.resolve("no-such.tsv"), missing.errorLine());
    Hunmin.Result none = clean(in, "--exclude", exclude.toString());
    assertEquals(2, none.exit());
    assertEquals("hunmin clean: error: --exclude " + exclude + ": no text read (check --exclude-field, the column or field of the texts)",
        none.errorLine());
    assertNoOutput();
  }

  @Test
  void anUnknownKeyInAConfFileIsAnError() throws IOException {
    Path in = Files.writeString(tmp.resolve("doc.txt"), GOOD, StandardCharsets.UTF_8);
    Path conf = Files.writeString(tmp.resolve("job.conf"), "hunmin.clean.partitons = 4\n");
    Hunmin.Result r = clean(in, "--conf", conf.toString());
    assertEquals(2, r.exit());
    assertEquals("hunmin clean: error: config file " + conf + ": no such key hunmin.clean.partitons (see --help)", r.errorLine());
  }

  @Test
  void configurationThatCannotApplyIsRefusedBeforeAnyOutput() throws IOException {
    Path in = Files.writeString(tmp.resolve("doc.txt"), GOOD, StandardCharsets.UTF_8);
    Path prefixless = Files.writeString(tmp.resolve("prefixless.conf"), "base = 4\nclean.partitions = ${base}\n");
    Path overlay = Files.writeString(tmp.resolve("overlay.conf"), "hunmin.clean.partitons = 4\n");
    Path misspelt = Files.writeString(tmp.resolve("misspelt.conf"), "base = 4\nclean.min-chars = ${base}\n");
    String[][] cases = {
        {"--set", "clean.filter=3"},
        {"--conf", prefixless.toString()},
        {"--overlay", overlay.toString()},
        {"--conf", misspelt.toString()},
        {"--set", "clean.pii.placeholder=<%d>"},
        {"--master", "local[0]"},
        {"--set", "spark.conf.spark.sql.shuffle.partitions=abc"},
        {"--set", "spark.conf.\"spark.sql.shuffle.partitions\"=abc"},
    };
    String[] errors = {
        "--set hunmin.clean.filter: hunmin.clean.filter is a section; set its keys (hunmin.clean.filter.…), not the section itself",
        "config file " + prefixless + ": clean.partitions must be written hunmin.clean.partitions",
        "overlay " + overlay + ": no such key hunmin.clean.partitons (see --help)",
        "config file " + misspelt + ": no such key clean.min-chars (a Hunmin setting is written hunmin.clean.…; see --help)",
        "PII placeholder '<%d>' is no String.format pattern taking the kind as one %s",
        "--master: Asked to run locally with 0 threads",
        "Spark configuration: spark.sql.shuffle.partitions should be int, but was abc (settings given: ",
        "Spark configuration: spark.sql.shuffle.partitions should be int, but was abc",
    };
    for (int i = 0; i < cases.length; i++) {
      Hunmin.Result r = clean(in, cases[i]);
      assertEquals(2, r.exit(), r.err());
      assertTrue(r.errorLine().startsWith("hunmin clean: error: " + errors[i]), r.errorLine());
      assertNoOutput();
    }
    Hunmin.Result colon = Hunmin.run("clean", "--input", in.toString(), "--output", tmp.resolve("a:b").toString());
    assertEquals(2, colon.exit(), colon.err());
    assertTrue(colon.errorLine().startsWith("hunmin clean: error: not a usable path: "), colon.errorLine());
  }

  @Test
  void aFileThatNoLongerMatchesItsChecksumIsBadInput() throws IOException {
    Path in = tmp.resolve("doc.txt");
    org.apache.hadoop.fs.FileSystem local = org.apache.hadoop.fs.FileSystem.getLocal(new org.apache.hadoop.conf.Configuration());
    try (var out = local.create(new org.apache.hadoop.fs.Path(in.toUri()))) { // with its .doc.txt.crc, as Hadoop writes
      out.write(GOOD.getBytes(StandardCharsets.UTF_8));
    }
    Files.writeString(in, GOOD.replace("서울", "부산")); // changed behind Hadoop's back: the .crc no longer matches
    Hunmin.Result r = clean(in);
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.errorLine().startsWith("hunmin clean: error: corrupt input: ChecksumException: Checksum error: "), r.errorLine());
    assertNoOutput();
  }

  @Test
  void stageKeysThePipelineSetsItselfAreRefused() {
    Hunmin.Result r = Hunmin.run("pipeline", "--work", tmp.resolve("work").toString(), "--set", "pretrain.max-steps=5");
    assertEquals(2, r.exit(), r.err());
    assertEquals("hunmin pipeline: error: hunmin.pretrain.max-steps is set by the pipeline itself (from --pretrain-steps)",
        r.errorLine());
    assertFalse(Files.exists(tmp.resolve("work")));
  }

  @Test
  void anOutputInsideItsInputOrReachingItThroughALinkIsRefused() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("corpus"));
    Path in = Files.writeString(dir.resolve("doc.txt"), GOOD, StandardCharsets.UTF_8);
    Path link = Files.createSymbolicLink(tmp.resolve("link"), dir);
    Hunmin.Result through = Hunmin.run("clean", "--input", link.resolve("doc.txt").toString(), "--output", dir.toString(), "--overwrite");
    assertEquals(2, through.exit(), through.err());
    assertTrue(through.errorLine().endsWith("would replace the input " + link.resolve("doc.txt") + ": choose another --output"), through.errorLine());
    assertEquals(GOOD, Files.readString(in));
    Hunmin.Result inside = Hunmin.run("clean", "--input", dir.toString(), "--output", dir.resolve("clean").toString());
    assertEquals(2, inside.exit(), inside.err());
    assertEquals("hunmin clean: error: output file:" + dir.resolve("clean") + " lies inside the input " + dir
        + ", which a rerun would read: choose another --output", inside.errorLine());
    assertFalse(Files.exists(dir.resolve("clean")));

    // a glob that matches the directory reads it whole
    Hunmin.Result glob = Hunmin.run("clean", "--input", tmp.resolve("corp?s").toString(), "--output", dir.toString(), "--overwrite");
    assertEquals(2, glob.exit(), glob.err());
    assertTrue(glob.errorLine().contains("would replace the input " + tmp.resolve("corp?s")), glob.errorLine());
    Hunmin.Result globInside = Hunmin.run("clean", "--input", tmp.resolve("corp?s").toString(), "--output", dir.resolve("x").toString());
    assertEquals(2, globInside.exit(), globInside.err());
    assertTrue(globInside.errorLine().contains("lies inside the input"), globInside.errorLine());
    assertEquals(GOOD, Files.readString(in));

    // finetune's evaluation sets are an input too
    Path eval = Files.createDirectories(tmp.resolve("eval/nsmc"));
    Files.writeString(eval.resolve("ratings_train.tsv"), "id\tdocument\tlabel\n1\t좋다\t1\n");
    Hunmin.Result data = Hunmin.run("finetune", "--model", tmp.resolve("no-model").toString(), "--data", tmp.resolve("eval").toString(),
        "--output", tmp.resolve("eval").toString(), "--overwrite");
    assertEquals(2, data.exit(), data.err());
    assertTrue(data.errorLine().contains("would replace the input " + tmp.resolve("eval")), data.errorLine());
    assertTrue(Files.exists(eval.resolve("ratings_train.tsv")));
  }

  @Test
  void anOutputThatHoldsTheInputIsRefusedAndTheInputKept() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("corpus"));
    Path in = Files.writeString(dir.resolve("doc.txt"), GOOD, StandardCharsets.UTF_8);
    Hunmin.Result r = Hunmin.run("clean", "--input", in.toString(), "--output", dir.toString(), "--overwrite");
    assertEquals(2, r.exit());
    assertEquals("hunmin clean: error: output file:" + dir + " would replace the input " + in + ": choose another --output", r.errorLine());
    assertEquals(GOOD, Files.readString(in));
  }

  @Test
  void aDirectoryThatIsNoHunminOutputIsReplacedOnlyWithOverwrite() throws IOException {
    Path in = Files.writeString(tmp.resolve("doc.txt"), GOOD, StandardCharsets.UTF_8);
    Path notes = Files.writeString(Files.createDirectories(tmp.resolve("out")).resolve("notes.txt"), "mine");
    Hunmin.Result r = clean(in);
    assertEquals(2, r.exit());
    assertEquals("hunmin clean: error: output exists and is no Hunmin output: file:" + tmp.resolve("out") + " (pass --overwrite to replace it)",
        r.errorLine());
    assertEquals("mine", Files.readString(notes));
    // the staging directory a killed run of another configuration left
    Path orphan = Files.createDirectories(tmp.resolve(".out.tmp-0123456789ab/docs"));
    assertEquals(0, clean(in, "--overwrite").exit());
    assertFalse(Files.exists(notes));
    assertFalse(Files.exists(orphan.getParent()), "a dead run's staging directory is removed");
  }

  @Test
  void aFinishedOutputIsRefusedBeforeSparkStarts() throws IOException {
    Path in = Files.writeString(tmp.resolve("doc.txt"), GOOD, StandardCharsets.UTF_8);
    Files.writeString(Files.createDirectories(tmp.resolve("out")).resolve("_SUCCESS"), "{}");
    // nothing listens on the master's port: were a session started, this would fail on the cluster, not the output
    Hunmin.Result r = clean(in, "--master", "spark://127.0.0.1:9");
    assertEquals(2, r.exit());
    assertEquals("hunmin clean: error: output exists: file:" + tmp.resolve("out") + " (pass --overwrite to replace it)", r.errorLine());
    Path shards = Files.createDirectories(tmp.resolve("shards"));
    Files.writeString(Files.createDirectories(tmp.resolve("model")).resolve("_SUCCESS"), "{}");
    Path vocab = Files.createDirectories(tmp.resolve("vocab"));
    r = Hunmin.run("pretrain", "--input", shards.toString(), "--vocab", vocab.toString(), "--output", tmp.resolve("model").toString(),
        "--master", "spark://127.0.0.1:9");
    assertEquals("hunmin pretrain: error: output exists: file:" + tmp.resolve("model") + " (pass --overwrite to replace it)", r.errorLine());
  }

  @Test
  void aPipelineIntoAnotherCommandsFinishedOutputIsRefused() throws IOException {
    Path audit = Files.createDirectories(tmp.resolve("audit"));
    Files.writeString(audit.resolve("_SUCCESS"), "{\"command\":\"audit\",\"fingerprint\":\"x\"}");
    Hunmin.Result r = Hunmin.run("pipeline", "--work", audit.toString());
    assertEquals(2, r.exit());
    assertEquals("hunmin pipeline: error: output exists: file:" + audit + " (pass --overwrite to replace it)", r.errorLine());
    assertTrue(Files.readString(audit.resolve("_SUCCESS")).contains("audit"), "left as it was");
  }

  @Test
  void noCommandPrintsUsageAndFails() {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    assertEquals(2, Main.run(new String[0], System.out, new java.io.PrintStream(err, true, StandardCharsets.UTF_8)));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("usage: hunmin <command>"), err.toString(StandardCharsets.UTF_8));
    assertEquals(0, Hunmin.run("--help").exit());
  }

  @Test
  void helpListsFlagsFromTheDefaults() {
    Hunmin.Result help = Hunmin.run("clean", "--help");
    assertEquals(0, help.exit());
    assertTrue(help.out().contains("--input") && help.out().contains("--tsv-column") && help.out().contains("--overwrite"), help.out());
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) n += p.length;
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
