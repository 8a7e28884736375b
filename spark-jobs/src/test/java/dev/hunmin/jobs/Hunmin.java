package dev.hunmin.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Runs the real CLI in-process (each call starts and stops its own local Spark), capturing its output. */
final class Hunmin {
  record Result(int exit, String out, String err) {
    /** The one error line a failed command prints. */
    String errorLine() {
      return err.lines().filter(l -> l.startsWith("hunmin ")).findFirst().orElse(err);
    }
  }

  private Hunmin() {}

  static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] withOverlay = new String[args.length + 2];
    withOverlay[0] = args[0];
    withOverlay[1] = "--overlay";
    withOverlay[2] = "local";
    System.arraycopy(args, 1, withOverlay, 3, args.length - 1);
    int code = Main.run(withOverlay, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** The embedded sample corpus copied to dir/sample.txt, as a test's input file. */
  static Path sample(Path dir) throws IOException {
    Path sample = dir.resolve("sample.txt");
    try (java.io.InputStream in = Hunmin.class.getResourceAsStream(SampleCorpus.RESOURCE)) {
      Files.copy(in, sample);
    }
    return sample;
  }

  /** clean → vocab (1500 tokens) → nsp (3 shards of length 64) on the sample, under dir; returns {vocab, nsp}. */
  static Path[] sampleShards(Path dir) throws IOException {
    Path clean = dir.resolve("clean");
    Path vocab = dir.resolve("vocab");
    Path nsp = dir.resolve("nsp");
    for (Result r : List.of(run("clean", "--input", sample(dir).toString(), "--output", clean.toString()),
        run("vocab", "--input", clean.toString(), "--output", vocab.toString(), "--vocab-size", "1500"),
        run("nsp", "--input", clean.toString(), "--vocab", vocab.toString(), "--output", nsp.toString(), "--shards", "3",
            "--max-seq-length", "64"))) {
      if (r.exit() != 0) throw new IllegalStateException(r.err());
    }
    return new Path[] {vocab, nsp};
  }

  /**
   * A tool a test needs (Jupyter, PyTorch): without it the test is skipped, unless the environment variable
   * requiredBy is 1 (CI), which makes its absence a failure.
   */
  static void requireTool(boolean present, String requiredBy, String missing) {
    if (present) return;
    org.junit.jupiter.api.Assertions.assertTrue(!"1".equals(System.getenv(requiredBy)), missing);
    org.junit.jupiter.api.Assumptions.abort(missing);
  }

  static JsonNode report(Path stageDir) throws IOException {
    return new ObjectMapper().readTree(stageDir.resolve("_REPORT.json").toFile());
  }

  static String readAll(Path dir, String suffix) throws IOException {
    StringBuilder b = new StringBuilder();
    try (var files = Files.list(dir)) {
      for (Path p : files.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList()) {
        b.append(Files.readString(p, StandardCharsets.UTF_8));
      }
    }
    return b.toString();
  }
}
