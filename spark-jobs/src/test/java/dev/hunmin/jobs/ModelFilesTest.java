package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.hunmin.model.Bert;
import dev.hunmin.model.BertConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {
  @TempDir Path tmp;

  /** A write that fails half way (as a kill would stop it) leaves the old final/ whole, never a half-written one. */
  @Test
  void anInterruptedFinalLeavesTheOldOneWhole() throws IOException {
    Configuration conf = new Configuration();
    org.apache.hadoop.fs.Path output = new org.apache.hadoop.fs.Path(tmp.toUri());
    try (NDManager manager = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(BertConfig.named("tiny", 32, 16), manager, 1);
      ModelFiles.writeFinal(conf, output, bert, Map.of("vocab.txt", "[PAD]\n"));
      byte[] weights = Files.readAllBytes(tmp.resolve("final/model.safetensors"));
      // a tokenizer file below another file cannot be created: the write stops after the weights
      Map<String, String> failing = new LinkedHashMap<>();
      failing.put("vocab.txt", "[PAD]\n");
      failing.put("vocab.txt/special_tokens_map.json", "{}");
      Bert other = Bert.initialize(BertConfig.named("tiny", 32, 16), manager, 2);
      assertThrows(IOException.class, () -> ModelFiles.writeFinal(conf, output, other, failing));
      assertArrayEquals(weights, Files.readAllBytes(tmp.resolve("final/model.safetensors")), "the old final/ is untouched");

      ModelFiles.writeFinal(conf, output, other, Map.of("vocab.txt", "[PAD]\n"));
      assertFalse(java.util.Arrays.equals(weights, Files.readAllBytes(tmp.resolve("final/model.safetensors"))), "replaced when complete");
      assertTrue(Files.exists(tmp.resolve("final/vocab.txt")));
      assertFalse(Files.exists(tmp.resolve(".final.tmp")), "the leftover staging directory is gone");
    }
  }
}
