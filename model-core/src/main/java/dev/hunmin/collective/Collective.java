package dev.hunmin.collective;

/**
 * What data-parallel replicas need from each other: a sum over all of them and a copy from one to all. Every
 * replica calls the same operations in the same order with buffers of the same length; afterwards every replica
 * holds identical values. A single replica uses {@link #SINGLE}, which does nothing.
 */
public interface Collective extends AutoCloseable {
  int rank();

  int size();

  /** Element-wise sum over all replicas of data[offset, offset + length), in place. */
  void allReduceSum(float[] data, int offset, int length);

  /** Replaces data[offset, offset + length) on every replica with root's values. */
  void broadcast(float[] data, int offset, int length, int root);

  default void allReduceSum(float[] data) {
    allReduceSum(data, 0, data.length);
  }

  @Override
  void close();

  /** One replica: nothing to exchange. */
  Collective SINGLE = new Collective() {
    @Override public int rank() { return 0; }
    @Override public int size() { return 1; }
    @Override public void allReduceSum(float[] data, int offset, int length) { }
    @Override public void broadcast(float[] data, int offset, int length, int root) { }
    @Override public void close() { }
  };
}
