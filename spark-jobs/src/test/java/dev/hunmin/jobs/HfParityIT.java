package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sample pipeline's model (written in Hugging Face's layout) against tools/hf-parity: Hunmin's fill-mask must
 * give the top-k ids and scores that BERT's forward, written out in plain PyTorch from Hugging Face's modeling_bert
 * and reading model.safetensors by its Hugging Face names, gives for the same ids (transformers itself too where it
 * is installed). Needs python3 with torch (Debian's python3-torch); skipped without it unless
 * HUNMIN_REQUIRE_TORCH=1 (CI). With HUNMIN_TRANSFORMERS_PYTHON (a python with transformers, tools/hf-parity/venv.sh;
 * .ci/run sets it) the check must also have loaded the files with transformers. Runs after package, since check.sh
 * calls submit/hunmin.
 */
class HfParityIT {
  @TempDir Path tmp;

  @Test
  void fillMaskAgreesWithAPyTorchBertOnTheExportedFiles() throws Exception {
    Process probe = new ProcessBuilder("/usr/bin/python3", "-c", "import torch, numpy").start();
    Hunmin.requireTool(probe.waitFor(2, TimeUnit.MINUTES) && probe.exitValue() == 0, "HUNMIN_REQUIRE_TORCH",
        "python3 with torch is missing (apt-get install python3-torch)");
    Path root = Path.of(System.getProperty("hunmin.root"));
    Path work = tmp.resolve("work");
    Hunmin.Result pipeline = Hunmin.run("pipeline", "--work", work.toString(), "--set", "pipeline.pretrain-steps=30");
    assertEquals(0, pipeline.exit(), pipeline.err());
    ProcessBuilder pb = new ProcessBuilder(root.resolve("tools/hf-parity/check.sh").toString(),
        work.resolve("pretrain/final").toString()).redirectErrorStream(true).redirectOutput(tmp.resolve("parity.log").toFile());
    String transformersPython = System.getenv("HUNMIN_TRANSFORMERS_PYTHON");
    pb.environment().put("PYTHON", transformersPython != null ? transformersPython : "/usr/bin/python3");
    Process p = pb.start();
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "parity check finished in time");
    String log = Files.readString(tmp.resolve("parity.log"), StandardCharsets.UTF_8);
    System.out.println(log);
    assertEquals(0, p.exitValue(), log);
    assertTrue(log.contains("OK: 5 texts"), log);
    if (transformersPython != null) assertTrue(log.contains(", transformers "), "transformers checked too: " + log);
  }
}
