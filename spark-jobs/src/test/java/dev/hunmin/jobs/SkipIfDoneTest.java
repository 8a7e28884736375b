package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --skip-if-done through the real CLI: a finished step of the same configuration is left alone, before Spark starts. */
class SkipIfDoneTest {
  @TempDir static Path tmp;
  static String sample;

  @BeforeAll
  static void sample() throws IOException {
    sample = Hunmin.sample(tmp).toString();
  }

  private static String marked(Path stage) throws IOException {
    return new ObjectMapper().readTree(stage.resolve("_SUCCESS").toFile()).get("fingerprint").asText();
  }

  private static Hunmin.Result clean(Path out, String... more) {
    String[] args = new String[5 + more.length];
    System.arraycopy(new String[] {"clean", "--input", sample, "--output", out.toString()}, 0, args, 0, 5);
    System.arraycopy(more, 0, args, 5, more.length);
    return Hunmin.run(args);
  }

  @Test
  void aFinishedStepOfTheSameConfigurationIsSkippedAndAnotherIsRefusedUnlessOverwrite() throws IOException {
    Path out = tmp.resolve("clean");
    assertEquals(0, clean(out).exit());
    String fingerprint = marked(out);
    assertEquals(fingerprint, Hunmin.report(out).get("fingerprint").asText(), "the report names the marker's fingerprint");
    FileTime finished = Files.getLastModifiedTime(out.resolve("_SUCCESS"));

    // the same configuration, also when a default is restated as text or --overwrite is added: skipped, fast
    for (String[] same : new String[][] {{"--skip-if-done"}, {"--skip-if-done", "--filter.min-chars", "10"}, {"--skip-if-done", "--overwrite"}}) {
      long started = System.nanoTime();
      Hunmin.Result r = clean(out, same);
      double seconds = (System.nanoTime() - started) / 1e9;
      assertEquals(0, r.exit(), r.err());
      assertTrue(r.out().startsWith("clean: skipped: "), r.out());
      assertTrue(seconds < 5, "skipping took " + seconds + " s");
    }
    assertEquals(finished, Files.getLastModifiedTime(out.resolve("_SUCCESS")), "nothing was rewritten");

    // without the flag an existing output is refused, as before
    assertEquals(2, clean(out).exit());

    // another configuration: refused (exit 2, not worth retrying) unless --overwrite, which runs and re-marks
    Hunmin.Result changed = clean(out, "--skip-if-done", "--near-dup-threshold", "0.9");
    assertEquals(2, changed.exit());
    assertTrue(changed.errorLine().contains("is done with a different configuration"), changed.errorLine());
    Hunmin.Result replaced = clean(out, "--skip-if-done", "--near-dup-threshold", "0.9", "--overwrite");
    assertEquals(0, replaced.exit(), replaced.err());
    assertTrue(replaced.out().startsWith("clean: ") && !replaced.out().contains("skipped"), replaced.out());
    assertNotEquals(fingerprint, marked(out));
  }

  @Test
  void aStepIsDoneHoweverItsPathsAreSpelledAndAfterItsWorkDirectoryMoved() throws IOException {
    Path work = tmp.resolve("spelled");
    Path clean = work.resolve("clean");
    assertEquals(0, clean(clean).exit());
    Path relative = Path.of("").toAbsolutePath().relativize(clean);
    for (String out : new String[] {relative.toString(), "file://" + clean}) {
      Hunmin.Result r = Hunmin.run("clean", "--input", "file://" + sample, "--output", out, "--skip-if-done");
      assertTrue(r.out().startsWith("clean: skipped: "), r.out() + r.err());
    }
    String[] vocab = {"--vocab-size", "1500", "--iterations", "1", "--refinements", "0", "--skip-if-done"};
    assertEquals(0, Hunmin.run(concat(new String[] {"vocab", "--input", clean.toString(), "--output", work.resolve("vocab").toString()}, vocab)).exit());
    Path moved = Files.move(work, tmp.resolve("moved"));
    Hunmin.Result r = Hunmin.run(concat(new String[] {"vocab", "--input", moved.resolve("clean").toString(), "--output",
        moved.resolve("vocab").toString()}, vocab));
    assertTrue(r.out().startsWith("vocab: skipped: "), r.out() + r.err());
  }

  @Test
  void aModelInsideAStageOutputStandsForThatStage() throws IOException {
    Path stage = Files.createDirectories(tmp.resolve("pretrained/final")).getParent();
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    java.util.function.Function<Path, String> fingerprint = dir -> Completion.fingerprint(
        Settings.load(Cli.parse(new String[] {"export-hf", "--model", dir.resolve("final").toString(), "--output", "x"})), conf);
    Files.writeString(stage.resolve("_SUCCESS"), "{\"command\":\"pretrain\",\"fingerprint\":\"aaaa\"}");
    String before = fingerprint.apply(stage);
    Path moved = Files.move(stage, tmp.resolve("pretrained-moved"));
    assertEquals(before, fingerprint.apply(moved), "the same stage, moved");
    Files.writeString(moved.resolve("_SUCCESS"), "{\"command\":\"pretrain\",\"fingerprint\":\"bbbb\"}");
    assertNotEquals(before, fingerprint.apply(moved), "the stage remade");
  }

  /** The audit runs clean → vocab → nsp → pretrain → fill-mask twice: their sections decide its output too. */
  @Test
  void anAuditIsNotDoneWhenASectionOfThePipelinesItRunsChanged() {
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    java.util.function.Function<String[], String> fingerprint = more -> Completion.fingerprint(
        Settings.load(Cli.parse(concat(new String[] {"audit", "--output", "x"}, more))), conf);
    String audit = fingerprint.apply(new String[0]);
    for (String set : new String[] {"clean.filter.min-chars=12", "vocab.vocab-size=900", "nsp.max-seq-length=64",
        "pretrain.weight-decay=0.5", "fill-mask.top-k=3", "pipeline.format=text"}) {
      assertNotEquals(audit, fingerprint.apply(new String[] {"--set", set}), set);
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void aStepIsNotDoneWhenTheStageItReadWasRemadeWithAnotherConfiguration() throws IOException {
    Path clean = tmp.resolve("upstream-clean");
    Path vocab = tmp.resolve("vocab");
    assertEquals(0, clean(clean).exit());
    String[] vocabArgs = {"vocab", "--input", clean.toString(), "--output", vocab.toString(), "--vocab-size", "1500",
        "--iterations", "1", "--refinements", "0", "--skip-if-done"};
    assertEquals(0, Hunmin.run(vocabArgs).exit());
    assertTrue(Hunmin.run(vocabArgs).out().startsWith("vocab: skipped: "));

    assertEquals(0, clean(clean, "--overwrite", "--filter.min-chars", "12").exit());
    Hunmin.Result stale = Hunmin.run(vocabArgs);
    assertEquals(2, stale.exit(), stale.out());
    assertTrue(stale.errorLine().contains("different configuration"), stale.errorLine());
  }
}
