package dev.hunmin.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.hunmin.util.HunminException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BertTest {
  private static final BertConfig TINY = new BertConfig(100, 32, 2, 2, 64, "gelu", 0.1, 0.1, 16, 2, 1e-12, 0.02, 0);

  private static NDArray ids(NDManager m, long[][] rows) {
    long[] flat = java.util.Arrays.stream(rows).flatMapToLong(java.util.Arrays::stream).toArray();
    return m.create(flat, new Shape(rows.length, rows[0].length));
  }

  @Test
  void parametersAreNamedAndShapedAsHuggingFace() {
    Map<String, Shape> shapes = Bert.shapes(TINY);
    assertEquals(new Shape(100, 32), shapes.get("bert.embeddings.word_embeddings.weight"));
    assertEquals(new Shape(64, 32), shapes.get("bert.encoder.layer.1.intermediate.dense.weight"));
    assertEquals(new Shape(32, 64), shapes.get("bert.encoder.layer.1.output.dense.weight"));
    assertEquals(new Shape(2, 32), shapes.get("cls.seq_relationship.weight"));
    assertTrue(shapes.containsKey("cls.predictions.transform.LayerNorm.bias") && shapes.containsKey("cls.predictions.bias"));
    assertEquals(5 + 2 * 16 + 2 + 1 + 4 + 2, shapes.size());
    long count = shapes.values().stream().mapToLong(Shape::size).sum();
    long h = 32;
    long perLayer = 4 * (h * h + h) + 2 * (2 * h) + (64 * h + 64) + (h * 64 + h);
    assertEquals(100 * h + 16 * h + 2 * h + 2 * h + 2 * perLayer + (h * h + h) + 100 + (h * h + h) + 2 * h + (2 * h + 2), count);
  }

  @Test
  void forwardShapesAndPaddingInvariance() {
    try (NDManager m = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(TINY, m, 7);
      NDArray in = ids(m, new long[][] {{2, 11, 12, 13, 3, 21, 22, 3}});
      NDArray types = ids(m, new long[][] {{0, 0, 0, 0, 0, 1, 1, 1}});
      NDArray mask = ids(m, new long[][] {{1, 1, 1, 1, 1, 1, 1, 1}});
      NDArray out = bert.encode(in, types, mask, false);
      assertEquals(new Shape(1, 8, 32), out.getShape());
      assertEquals(new Shape(1, 8, 100), bert.mlmLogits(out).getShape());
      assertEquals(new Shape(1, 2), bert.nspLogits(out).getShape());

      NDArray padded = ids(m, new long[][] {{2, 11, 12, 13, 3, 21, 22, 3, 0, 0}});
      NDArray paddedTypes = ids(m, new long[][] {{0, 0, 0, 0, 0, 1, 1, 1, 0, 0}});
      NDArray paddedMask = ids(m, new long[][] {{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}});
      NDArray paddedOut = bert.encode(padded, paddedTypes, paddedMask, false).get(":, 0:8, :");
      assertTrue(out.allClose(paddedOut, 1e-5, 1e-5, false), "padding with mask 0 changes nothing");
    }
  }

  @Test
  void exportThenImportGivesIdenticalLogits() throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(TINY, m, 3);
      ByteArrayOutputStream file = new ByteArrayOutputStream();
      SafeTensors.write(bert.toTensors(), Map.of("format", "pt"), file);
      Bert back = Bert.fromTensors(TINY, m, SafeTensors.read(new ByteArrayInputStream(file.toByteArray())));
      NDArray in = ids(m, new long[][] {{2, 5, 6, 3, 7, 3}});
      NDArray types = ids(m, new long[][] {{0, 0, 0, 0, 1, 1}});
      NDArray mask = ids(m, new long[][] {{1, 1, 1, 1, 1, 1}});
      NDArray a = bert.encode(in, types, mask, false);
      NDArray b = back.encode(in, types, mask, false);
      assertArrayEquals(bert.mlmLogits(a).toFloatArray(), back.mlmLogits(b).toFloatArray());
      assertArrayEquals(bert.nspLogits(a).toFloatArray(), back.nspLogits(b).toFloatArray());
    }
  }

  @Test
  void checkpointMismatchesAreNamed() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>(Bert.initialize(TINY, m, 1).toTensors());
      tensors.remove("cls.seq_relationship.bias");
      tensors.put("classifier.weight", new SafeTensors.Tensor(new long[] {1}, new float[] {0}));
      HunminException e = assertThrows(HunminException.class, () -> Bert.fromTensors(TINY, m, tensors));
      assertEquals("checkpoint does not match the config: missing [cls.seq_relationship.bias], unexpected [classifier.weight]", e.getMessage());

      Map<String, SafeTensors.Tensor> bertModelNames = new LinkedHashMap<>();
      Bert.initialize(TINY, m, 1).toTensors().forEach((k, v) -> bertModelNames.put(k.startsWith("bert.") ? k.substring(5) : k, v));
      bertModelNames.put("embeddings.position_ids", new SafeTensors.Tensor(new long[] {1}, new float[] {0}));
      assertEquals(Bert.shapes(TINY).keySet(), Bert.fromTensors(TINY, m, bertModelNames).parameters().keySet());
    }
  }

  @Test
  void aModelThatTrainsOnGetsTheHeadsItsCheckpointLacks() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, SafeTensors.Tensor> encoder = new LinkedHashMap<>();
      Bert.initialize(TINY, m, 1).toTensors().forEach((k, v) -> {
        if (!k.startsWith("cls.")) encoder.put(k.substring("bert.".length()), v); // a BertModel checkpoint
      });
      encoder.put("classifier.weight", new SafeTensors.Tensor(new long[] {1}, new float[] {0})); // a fine-tuned classifier's
      HunminException strict = assertThrows(HunminException.class, () -> Bert.fromTensors(TINY, m, encoder));
      assertTrue(strict.getMessage().contains("missing [cls."), strict.getMessage());

      Bert a = Bert.fromTensors(TINY, m, encoder, 7L);
      Bert b = Bert.fromTensors(TINY, m, encoder, 7L);
      assertEquals(Bert.shapes(TINY).keySet(), a.parameters().keySet());
      assertTrue(a.initializedHeads().contains("cls.seq_relationship.weight") && a.initializedHeads().stream().allMatch(n -> n.startsWith("cls.")));
      assertArrayEquals(a.parameters().get("cls.seq_relationship.weight").toFloatArray(),
          b.parameters().get("cls.seq_relationship.weight").toFloatArray(), "the same seed, the same heads (every replica alike)");
      assertArrayEquals(Bert.initialize(TINY, m, 1).parameters().get("bert.pooler.dense.weight").toFloatArray(),
          a.parameters().get("bert.pooler.dense.weight").toFloatArray(), "the encoder as the checkpoint has it");

      Map<String, SafeTensors.Tensor> noEncoder = new LinkedHashMap<>(encoder);
      noEncoder.remove("pooler.dense.bias");
      HunminException e = assertThrows(HunminException.class, () -> Bert.fromTensors(TINY, m, noEncoder, 7L));
      assertTrue(e.getMessage().contains("missing [bert.pooler.dense.bias]"), e.getMessage());
    }
  }

  @Test
  void lossFallsWhenTrainingOnABatch() {
    try (NDManager m = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(TINY, m, 5);
      bert.parameters().values().forEach(p -> p.setRequiresGradient(true));
      NDArray in = ids(m, new long[][] {{2, 4, 12, 13, 3, 21, 4, 3}, {2, 31, 4, 33, 3, 41, 42, 3}});
      NDArray types = ids(m, new long[][] {{0, 0, 0, 0, 0, 1, 1, 1}, {0, 0, 0, 0, 0, 1, 1, 1}});
      NDArray mask = ids(m, new long[][] {{1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1}});
      NDArray labels = ids(m, new long[][] {{-100, 11, -100, -100, -100, -100, 22, -100}, {-100, -100, 32, -100, -100, -100, -100, -100}});
      NDArray nsp = m.create(new long[] {0, 1});
      float first = 0;
      float last = 0;
      for (int step = 0; step < 80; step++) {
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          NDArray loss = bert.preTrainingLoss(in, types, mask, labels, nsp, false)[0];
          if (step == 0) first = loss.getFloat();
          last = loss.getFloat();
          collector.backward(loss);
        }
        double norm = dev.hunmin.train.Gradients.clipByGlobalNorm(bert.parameters().values(), 1.0);
        if (Double.isFinite(norm)) for (NDArray p : bert.parameters().values()) p.subi(p.getGradient().mul(0.1f));
        dev.hunmin.train.Gradients.zero(bert.parameters().values());
      }
      System.out.printf("tiny BERT loss %.4f → %.4f over 80 SGD steps%n", first, last);
      assertTrue(first > Math.log(100) * 0.9, "starts near ln(vocab) + ln(2): " + first);
      assertTrue(last < first * 0.5, "loss falls: " + first + " → " + last);
    }
  }

  /**
   * Backward reads only memory PyTorch owns: the collector frees Java's direct buffers between forward and
   * backward, and the freed memory is refilled with 1e30 (see Bert.scalar). The gradients must not change.
   */
  @Test
  void backwardIsUnaffectedByMemoryFreedAfterForward() {
    assertArrayEquals(gradients(false), gradients(true));
  }

  private static float[] gradients(boolean refillFreedMemory) {
    try (NDManager m = NDManager.newBaseManager()) {
      Bert bert = Bert.initialize(TINY, m, 5);
      bert.parameters().values().forEach(p -> p.setRequiresGradient(true));
      NDArray in = ids(m, new long[][] {{2, 4, 12, 13, 3, 21, 4, 3}});
      NDArray types = ids(m, new long[][] {{0, 0, 0, 0, 0, 1, 1, 1}});
      NDArray mask = ids(m, new long[][] {{1, 1, 1, 1, 1, 1, 1, 1}});
      NDArray labels = ids(m, new long[][] {{-100, 11, -100, -100, -100, -100, 22, -100}});
      List<ByteBuffer> garbage = List.of();
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray loss = bert.preTrainingLoss(in, types, mask, labels, m.create(new long[] {1}), false)[0];
        if (refillFreedMemory) garbage = refillFreedMemory();
        collector.backward(loss);
      }
      Reference.reachabilityFence(garbage);
      List<Float> out = new ArrayList<>();
      for (NDArray p : bert.parameters().values()) for (float g : p.getGradient().toFloatArray()) out.add(g);
      float[] flat = new float[out.size()];
      for (int i = 0; i < flat.length; i++) flat[i] = out.get(i);
      return flat;
    }
  }

  /** Frees unreachable direct buffers and hands their small blocks back out filled with 1e30. */
  private static List<ByteBuffer> refillFreedMemory() {
    List<ByteBuffer> held = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      System.gc();
      try {
        Thread.sleep(20); // the cleaner thread frees the buffers
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      for (int i = 0; i < 2000; i++) {
        ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
        b.putFloat(0, 1e30f);
        held.add(b);
      }
    }
    return held;
  }
}
