package dev.hunmin.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class RingAllReduceTest {
  private static float[] values(int rank, int length) {
    SplittableRandom rng = new SplittableRandom(rank * 31L + length);
    float[] v = new float[length];
    for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
    return v;
  }

  /** The sum in double, for comparison. */
  private static double[] expected(int n, int length) {
    double[] sum = new double[length];
    for (int r = 0; r < n; r++) {
      float[] v = values(r, length);
      for (int i = 0; i < length; i++) sum[i] += v[i];
    }
    return sum;
  }

  @Test
  void everyReplicaEndsWithTheSumForAnyLengthAndReplicaCount() throws Exception {
    // lengths shorter than the ring, not divisible by it, and longer than one message (2^18 floats)
    for (int n : new int[] {2, 3, 4}) {
      for (int length : new int[] {1, 2, 5, 1000, 3 * (1 << 18) + 7}) {
        List<float[]> out = Ring.run(n, Ring.options(false), c -> {
          float[] v = values(c.rank(), length);
          c.allReduceSum(v);
          return v;
        });
        double[] sum = expected(n, length);
        for (int i = 0; i < length; i++) assertEquals(sum[i], out.get(0)[i], 1e-5, "n=" + n + " length=" + length + " i=" + i);
        for (float[] replica : out) assertArrayEquals(out.get(0), replica, "replicas must hold identical values");
      }
    }
  }

  @Test
  void aSliceLeavesTheRestOfTheBufferAlone() throws Exception {
    List<float[]> out = Ring.run(3, Ring.options(false), c -> {
      float[] v = {1, 2, 3, 4, 5};
      c.allReduceSum(v, 1, 3);
      return v;
    });
    assertArrayEquals(new float[] {1, 6, 9, 12, 5}, out.get(2));
  }

  @Test
  void bf16CompressionKeepsReplicasIdenticalAndSumsClose() throws Exception {
    int length = 100_003;
    List<float[]> out = Ring.run(3, Ring.options(true), c -> {
      float[] v = values(c.rank(), length);
      c.allReduceSum(v);
      return v;
    });
    double[] sum = expected(3, length);
    for (int i = 0; i < length; i++) {
      // three bf16 roundings (8 significant bits) of partial sums of magnitude up to ~|sum| + 2 per term
      assertEquals(sum[i], out.get(0)[i], 0.03 * (Math.abs(sum[i]) + 2), "i=" + i);
    }
    for (float[] replica : out) assertArrayEquals(out.get(0), replica);
  }

  @Test
  void bf16RoundsToNearestEven() {
    assertEquals(Float.floatToRawIntBits(1.0f), RingAllReduce.bf16Bits(1.0f));
    assertEquals(0x3f810000, RingAllReduce.bf16Bits(Float.intBitsToFloat(0x3f80c000))); // above halfway: up
    assertEquals(0x3f800000, RingAllReduce.bf16Bits(Float.intBitsToFloat(0x3f808000))); // halfway, even: stays
    assertEquals(0x3f820000, RingAllReduce.bf16Bits(Float.intBitsToFloat(0x3f818000))); // halfway, odd: up to even
    assertTrue(Float.isNaN(Float.intBitsToFloat(RingAllReduce.bf16Bits(Float.NaN))));
  }

  @Test
  void broadcastCopiesTheRootsValues() throws Exception {
    int length = (1 << 18) * 2 + 3;
    List<float[]> out = Ring.run(3, Ring.options(false), c -> {
      float[] v = values(c.rank(), length);
      c.broadcast(v, 0, length, 1);
      return v;
    });
    for (float[] replica : out) assertArrayEquals(values(1, length), replica);
  }

  @Test
  void aReplicaThatNeverJoinsFailsTheOthersWithinTheTimeout() throws Exception {
    try (ServerSocketChannel mine = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ServerSocketChannel absent = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      List<InetSocketAddress> peers = List.of((InetSocketAddress) mine.getLocalAddress(), (InetSocketAddress) absent.getLocalAddress());
      long started = System.nanoTime();
      // the absent replica's socket accepts the connection (its backlog) but never connects back
      UncheckedIOException e = assertThrows(UncheckedIOException.class,
          () -> RingAllReduce.connect(0, mine, peers, new RingAllReduce.Options(Duration.ofMillis(500), false)));
      assertTrue(e.getMessage().contains("did not connect"), e.getMessage());
      assertTrue((System.nanoTime() - started) / 1e9 < 10);
    }
  }

  @Test
  void aReplicaThatDiesMidwayFailsTheOthers() {
    ExecutionException e = assertThrows(ExecutionException.class, () -> Ring.run(2, Ring.options(false), c -> {
      float[] v = values(c.rank(), 1000);
      if (c.rank() == 1) {
        c.close(); // dies: its sockets close
        return v;
      }
      c.allReduceSum(v);
      return v;
    }));
    assertTrue(e.getCause() instanceof UncheckedIOException, String.valueOf(e.getCause()));
    assertTrue(e.getCause().getMessage().contains("replica 0 of 2"), e.getCause().getMessage());
  }
}
