package dev.hunmin.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * DJL's PyTorch engine runs here from the Maven-provided natives (pytorch-native-cpu, linux-x86_64): no download
 * at run time (DJL_OFFLINE / ai.djl.offline is set in the build). A matmul and a gradient, the two things
 * pretraining needs from it.
 */
class TorchEngineTest {
  @Test
  void pytorchComputesAndDifferentiatesOffline() {
    Engine engine = Engine.getEngine("PyTorch");
    assertEquals("PyTorch", engine.getEngineName());
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray a = manager.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2));
      NDArray b = manager.create(new float[] {5, 6, 7, 8}, new ai.djl.ndarray.types.Shape(2, 2));
      assertArrayEquals(new float[] {19, 22, 43, 50}, a.matMul(b).toFloatArray());
      NDArray x = manager.create(new float[] {1, 2, 3});
      x.setRequiresGradient(true);
      try (GradientCollector collector = engine.newGradientCollector()) {
        collector.backward(x.mul(x).sum()); // d/dx Σx² = 2x
      }
      assertArrayEquals(new float[] {2, 4, 6}, x.getGradient().toFloatArray());
    }
  }
}
