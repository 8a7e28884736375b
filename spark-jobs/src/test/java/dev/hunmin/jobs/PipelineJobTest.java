package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reruns of a pipeline killed in pretrain, through the real CLI on the sample. */
class PipelineJobTest {
  @TempDir Path tmp;

  private static String[] pipeline(Path work, String... more) {
    return Stream.concat(Stream.of("pipeline", "--work", work.toString(), "--pretrain-steps", "20", "--pretrain-save-every", "10",
        "--set", "vocab.iterations=1", "--set", "vocab.refinements=0"), Stream.of(more)).toArray(String[]::new);
  }

  private static void delete(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (Stream<Path> all = Files.walk(p)) {
      for (Path q : all.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
    }
  }

  @Test
  void aPipelineKilledInPretrainContinuesFromItsCheckpointWithSkipIfDone() throws IOException {
    Path work = tmp.resolve("work");
    Hunmin.Result first = Hunmin.run(pipeline(work));
    assertEquals(0, first.exit(), first.err());
    Path pretrain = work.resolve("pretrain");
    Path step10 = pretrain.resolve("checkpoints/step-10");
    assertTrue(Files.isDirectory(step10), "no periodic checkpoint (pipeline.pretrain-save-every)");
    byte[] uninterrupted = Files.readAllBytes(pretrain.resolve("final/model.safetensors"));

    // what a kill between steps 10 and 20 leaves: step-10 and its metrics, no final/, no markers
    for (String gone : new String[] {"_SUCCESS", "_REPORT.json", "final", "checkpoints/step-20"}) delete(pretrain.resolve(gone));
    for (String gone : new String[] {"_SUCCESS", "_REPORT.json", "probes.txt", "fill-mask.jsonl"}) delete(work.resolve(gone));
    Files.copy(step10.resolve("metrics.jsonl"), pretrain.resolve("metrics.jsonl"), StandardCopyOption.REPLACE_EXISTING);
    FileTime saved = FileTime.fromMillis(946684800000L);
    Files.setLastModifiedTime(step10.resolve("trainer_state.json"), saved);

    // a plain rerun is pointed to --skip-if-done, which continues, not only to --overwrite, which starts over
    Hunmin.Result plain = Hunmin.run(pipeline(work));
    assertEquals(2, plain.exit(), plain.err());
    assertTrue(plain.errorLine().contains("--skip-if-done"), plain.errorLine());

    // another pretrain configuration: refused with the pipeline's way out (it has no --resume), the checkpoint kept
    Hunmin.Result other = Hunmin.run(pipeline(work, "--skip-if-done", "--set", "pretrain.weight-decay=0.02"));
    assertEquals(2, other.exit(), other.err());
    assertTrue(other.errorLine().contains("another configuration") && other.errorLine().contains("--overwrite"), other.errorLine());
    assertFalse(other.errorLine().contains("--resume"), other.errorLine());
    assertTrue(Files.isDirectory(step10));

    // stopped early on purpose (pretrain.stop-at-step is no part of the configuration): no final model to probe, the
    // work directory left unfinished for --skip-if-done
    Hunmin.Result stopped = Hunmin.run(pipeline(work, "--skip-if-done", "--set", "pretrain.stop-at-step=15"));
    assertEquals(0, stopped.exit(), stopped.err());
    assertTrue(stopped.out().contains("stopped early") && stopped.out().contains("step-15"), stopped.out());
    Path step15 = pretrain.resolve("checkpoints/step-15");
    assertTrue(Files.isDirectory(step15));
    Files.setLastModifiedTime(step15.resolve("trainer_state.json"), saved);
    assertFalse(Files.exists(work.resolve("_SUCCESS")) || Files.exists(work.resolve("fill-mask.jsonl")));

    // the same configuration: pretrain resumes from step-15 (left as it was) and the pipeline finishes
    Hunmin.Result resumed = Hunmin.run(pipeline(work, "--skip-if-done"));
    assertEquals(0, resumed.exit(), resumed.err());
    assertTrue(resumed.out().startsWith("pipeline: "), resumed.out());
    assertEquals(saved, Files.getLastModifiedTime(step15.resolve("trainer_state.json")), "the output was replaced, not resumed");
    assertTrue(Files.exists(pretrain.resolve("_SUCCESS")) && Files.exists(work.resolve("_SUCCESS")));
    assertEquals(20, Hunmin.report(pretrain).get("steps").asInt());
    assertArrayEquals(uninterrupted, Files.readAllBytes(pretrain.resolve("final/model.safetensors")),
        "a resumed run ends with the weights of an uninterrupted one");
    assertTrue(Hunmin.run(pipeline(work, "--skip-if-done")).out().startsWith("pipeline: skipped: "));
  }
}
