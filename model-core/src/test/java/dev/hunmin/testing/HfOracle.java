package dev.hunmin.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Hugging Face tokenizers (the Rust core through its Node binding) as a reference: tools/hf-tokenizers, installed
 * with {@code npm ci --prefix tools/hf-tokenizers}. Tests skip where it is not installed, except with
 * HUNMIN_REQUIRE_ORACLE=1 in the environment (.ci/run sets it), where its absence fails them.
 */
public final class HfOracle {
  private HfOracle() {}

  public static Path tools() {
    Path root = Path.of(System.getProperty("hunmin.root", ".."));
    Path tools = root.resolve("tools/hf-tokenizers").toAbsolutePath().normalize();
    boolean installed = Files.isDirectory(tools.resolve("node_modules/tokenizers"));
    if ("1".equals(System.getenv("HUNMIN_REQUIRE_ORACLE"))) {
      assertEquals(true, installed, "Hugging Face oracle not installed: npm ci --prefix " + tools);
    }
    assumeTrue(installed, "Hugging Face oracle not installed (npm ci --prefix tools/hf-tokenizers)");
    return tools;
  }

  /** Hugging Face's ids for each line of {@code input}, with the tokenizer.json of {@code tokenizerDir}. */
  public static List<int[]> encode(Path tokenizerDir, Path input) throws IOException, InterruptedException {
    Path out = Files.createTempFile("hf-ids", ".txt");
    Process p = new ProcessBuilder("node", tools().resolve("encode.js").toString(),
        tokenizerDir.resolve("tokenizer.json").toString(), input.toString(), out.toString())
        .redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "encode.js failed: " + log);
    List<int[]> ids = new ArrayList<>();
    for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
      ids.add(line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray());
    }
    Files.delete(out);
    return ids;
  }
}
