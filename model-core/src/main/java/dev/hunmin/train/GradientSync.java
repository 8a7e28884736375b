package dev.hunmin.train;

import ai.djl.ndarray.NDArray;
import dev.hunmin.collective.Collective;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Sums the replicas' gradients (and copies rank 0's weights to all) through a {@link Collective}. Parameters are
 * flattened into buckets of about bucketFloats; while one bucket travels round the ring the next is copied out of
 * the engine, so copying and communication overlap.
 */
public final class GradientSync implements AutoCloseable {
  private record Bucket(List<NDArray> parameters, float[] values) {}

  private final Collective collective;
  private final List<Bucket> buckets = new ArrayList<>();
  private final ExecutorService communicator;

  public GradientSync(Collective collective, Collection<NDArray> parameters, int bucketFloats) {
    this.collective = collective;
    List<NDArray> current = new ArrayList<>();
    long floats = 0;
    for (NDArray p : parameters) {
      if (!current.isEmpty() && floats + p.size() > bucketFloats) {
        buckets.add(new Bucket(current, new float[Math.toIntExact(floats)]));
        current = new ArrayList<>();
        floats = 0;
      }
      current.add(p);
      floats += p.size();
    }
    if (!current.isEmpty()) buckets.add(new Bucket(current, new float[Math.toIntExact(floats)]));
    this.communicator = collective.size() == 1 ? null : Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "gradient-sync");
      t.setDaemon(true);
      return t;
    });
  }

  /** Every parameter's gradient becomes the sum of all replicas' gradients. */
  public void allReduceGradients() {
    if (collective.size() == 1) return;
    List<Future<?>> inFlight = new ArrayList<>();
    for (Bucket b : buckets) {
      copyOut(b, true);
      inFlight.add(communicator.submit(() -> collective.allReduceSum(b.values())));
    }
    for (int i = 0; i < buckets.size(); i++) {
      await(inFlight.get(i));
      copyIn(buckets.get(i), true);
    }
  }

  /** Every replica's weights become rank 0's (after each replica initialized or loaded its own). */
  public void broadcastWeights() {
    if (collective.size() == 1) return;
    for (Bucket b : buckets) {
      copyOut(b, false);
      collective.broadcast(b.values(), 0, b.values().length, 0);
      copyIn(b, false);
    }
  }

  private static void copyOut(Bucket b, boolean gradient) {
    int at = 0;
    for (NDArray p : b.parameters()) {
      NDArray source = gradient ? p.getGradient() : p;
      float[] values = source.toFloatArray();
      System.arraycopy(values, 0, b.values(), at, values.length);
      at += values.length;
    }
  }

  /** Copies the bucket's values into the tensors in place (see Gradients.assign). */
  private static void copyIn(Bucket b, boolean gradient) {
    int at = 0;
    for (NDArray p : b.parameters()) {
      int n = Math.toIntExact(p.size());
      NDArray target = gradient ? p.getGradient() : p;
      try (NDArray values = p.getManager().create(FloatBuffer.wrap(b.values(), at, n), p.getShape())) {
        Gradients.assign(target, values);
      }
      at += n;
    }
  }

  private static void await(Future<?> f) {
    try {
      f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while summing gradients", e);
    }
  }

  @Override
  public void close() {
    if (communicator != null) communicator.shutdownNow();
  }
}
