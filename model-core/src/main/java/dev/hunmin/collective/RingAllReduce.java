package dev.hunmin.collective;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Ring allreduce over TCP (Patarasuk and Yuan; what Horovod and NCCL do between hosts): the buffer is cut into one
 * segment per replica; in N−1 reduce-scatter steps each replica sends one segment to the next replica and adds the
 * one it receives from the previous, so each ends owning one fully summed segment; N−1 all-gather steps then pass
 * the summed segments round. Each replica sends and receives 2(N−1)/N of the buffer, whatever N is. Sending runs on
 * its own thread while the caller receives, so neither side waits for the other's socket buffer to drain.
 *
 * <p>With bf16 compression the values travel as bfloat16 (half the bytes); sums are still taken in float, and each
 * owner rounds its summed segment to bf16 before the all-gather, so every replica ends with the same values.
 *
 * <p>A peer that goes silent for longer than the timeout fails the operation (and with it the Spark stage) instead
 * of hanging it; a peer that dies closes its socket and fails it at once.
 */
public final class RingAllReduce implements Collective {
  /** Timeout for connecting and for any single read; bf16 halves the bytes on the wire. */
  public record Options(Duration timeout, boolean bf16) {}

  /** Floats per message: large enough to amortize system calls, small enough to pipeline send and receive. */
  private static final int CHUNK = 1 << 18;

  private final int rank;
  private final int size;
  private final Options options;
  private final List<InetSocketAddress> peers;
  private final SocketChannel toNext;
  private final SocketChannel fromPrevious;
  private final Selector writable;
  private final Selector readable;
  private final ExecutorService sender;
  private final ByteBuffer sendBytes;
  private final ByteBuffer receiveBytes;
  private final float[] received;
  private final short[] sendHalves;
  private final short[] receiveHalves;

  private RingAllReduce(int rank, List<InetSocketAddress> peers, Options options, SocketChannel toNext,
      SocketChannel fromPrevious) throws IOException {
    this.rank = rank;
    this.size = peers.size();
    this.options = options;
    this.peers = peers;
    this.toNext = toNext;
    this.fromPrevious = fromPrevious;
    this.writable = toNext == null ? null : selector(toNext, SelectionKey.OP_WRITE);
    this.readable = fromPrevious == null ? null : selector(fromPrevious, SelectionKey.OP_READ);
    this.sender = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "ring-allreduce-send-" + rank);
      t.setDaemon(true);
      return t;
    });
    // direct buffers: the kernel copies straight from and to them, with no intermediate heap copy
    this.sendBytes = ByteBuffer.allocateDirect(CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
    this.receiveBytes = ByteBuffer.allocateDirect(CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
    this.received = new float[CHUNK];
    this.sendHalves = new short[options.bf16() ? CHUNK : 0];
    this.receiveHalves = new short[options.bf16() ? CHUNK : 0];
  }

  /**
   * Joins the ring as replica {@code rank} of {@code peers.size()}: connects to the next replica's address and
   * accepts the previous one's connection on {@code listening} (already bound, its address being peers[rank]).
   */
  public static RingAllReduce connect(int rank, ServerSocketChannel listening, List<InetSocketAddress> peers, Options options) {
    int n = peers.size();
    if (rank < 0 || rank >= n) throw new IllegalArgumentException("rank " + rank + " of " + n);
    try {
      if (n == 1) return new RingAllReduce(rank, peers, options, null, null);
      long timeout = options.timeout().toMillis();
      SocketChannel next = connectWithRetry(peers.get((rank + 1) % n), timeout);
      SocketChannel previous = accept(listening, timeout);
      if (previous == null) {
        next.close();
        throw new IOException("replica " + rank + ": replica " + (rank + n - 1) % n + " did not connect within " + options.timeout());
      }
      RingAllReduce ring = new RingAllReduce(rank, peers, options, next, previous);
      ring.handshake();
      return ring;
    } catch (IOException e) {
      throw new UncheckedIOException("ring allreduce: " + e.getMessage(), e);
    }
  }

  private static SocketChannel connectWithRetry(InetSocketAddress address, long timeout) throws IOException {
    long deadline = System.currentTimeMillis() + timeout;
    while (true) {
      SocketChannel s = SocketChannel.open();
      try {
        s.socket().connect(address, (int) timeout);
        return configure(s);
      } catch (IOException e) {
        s.close();
        if (System.currentTimeMillis() > deadline) throw new IOException("cannot connect to " + address + ": " + e.getMessage(), e);
        pause();
      }
    }
  }

  /** The previous replica's connection, or null when none came within the timeout. */
  private static SocketChannel accept(ServerSocketChannel listening, long timeout) throws IOException {
    listening.configureBlocking(false);
    long deadline = System.currentTimeMillis() + timeout;
    while (System.currentTimeMillis() < deadline) {
      SocketChannel s = listening.accept();
      if (s != null) return configure(s);
      pause();
    }
    return null;
  }

  private static void pause() throws IOException {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static SocketChannel configure(SocketChannel s) throws IOException {
    s.setOption(StandardSocketOptions.TCP_NODELAY, true);
    s.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
    s.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
    s.configureBlocking(false); // reads and writes wait in a selector, which gives them a timeout
    return s;
  }

  private static Selector selector(SocketChannel channel, int operation) throws IOException {
    Selector selector = Selector.open();
    channel.register(selector, operation);
    return selector;
  }

  /** Each replica tells the next its rank, so a miswired ring fails at once. */
  private void handshake() throws IOException {
    sendBytes.clear();
    sendBytes.putInt(0, rank).limit(4);
    writeFully(sendBytes);
    receiveBytes.clear().limit(4);
    readFully(receiveBytes);
    int from = receiveBytes.getInt(0);
    if (from != (rank + size - 1) % size) throw new IOException("replica " + rank + " expected replica " + (rank + size - 1) % size + ", got " + from);
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public void allReduceSum(float[] data, int offset, int length) {
    if (size == 1 || length == 0) return;
    for (int k = 0; k < size - 1; k++) {
      exchange(data, offset, length, Math.floorMod(rank - k, size), Math.floorMod(rank - k - 1, size), true);
    }
    int owned = (rank + 1) % size;
    if (options.bf16()) roundToBf16(data, segmentStart(offset, length, owned), segmentStart(offset, length, owned + 1));
    for (int k = 0; k < size - 1; k++) {
      exchange(data, offset, length, Math.floorMod(rank + 1 - k, size), Math.floorMod(rank - k, size), false);
    }
  }

  @Override
  public void broadcast(float[] data, int offset, int length, int root) {
    if (size == 1 || length == 0) return;
    boolean forward = (rank + 1) % size != root;
    // a pipeline round the ring: each chunk is passed on as soon as it has arrived
    for (int from = offset; from < offset + length; from += CHUNK) {
      int n = Math.min(CHUNK, offset + length - from);
      if (rank != root) receive(data, from, n, false, false);
      if (rank == root || forward) send(data, from, n, false);
    }
  }

  /** Sends segment sendSegment to the next replica while receiving segment receiveSegment from the previous. */
  private void exchange(float[] data, int offset, int length, int sendSegment, int receiveSegment, boolean add) {
    int sendFrom = segmentStart(offset, length, sendSegment);
    int sendTo = segmentStart(offset, length, sendSegment + 1);
    int receiveFrom = segmentStart(offset, length, receiveSegment);
    int receiveTo = segmentStart(offset, length, receiveSegment + 1);
    boolean bf16 = options.bf16();
    Future<?> sending = sender.submit(() -> {
      for (int from = sendFrom; from < sendTo; from += CHUNK) send(data, from, Math.min(CHUNK, sendTo - from), bf16);
      return null;
    });
    try {
      for (int from = receiveFrom; from < receiveTo; from += CHUNK) receive(data, from, Math.min(CHUNK, receiveTo - from), add, bf16);
      sending.get(options.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw failure("sending to replica " + (rank + 1) % size + " at " + peers.get((rank + 1) % size), e.getCause());
    } catch (TimeoutException e) {
      sending.cancel(true);
      throw failure("sending to replica " + (rank + 1) % size + " at " + peers.get((rank + 1) % size) + " timed out after " + options.timeout(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure("interrupted", e);
    }
  }

  /** Segment i of N covers [start(i), start(i + 1)); sizes differ by at most one float. */
  private int segmentStart(int offset, int length, int segment) {
    return offset + (int) ((long) length * segment / size);
  }

  private void send(float[] data, int from, int n, boolean bf16) {
    try {
      encode(data, from, n, bf16);
      writeFully(sendBytes);
    } catch (SocketTimeoutException e) {
      throw failure("replica " + (rank + 1) % size + " at " + peers.get((rank + 1) % size) + " took nothing for " + options.timeout(), e);
    } catch (IOException e) {
      throw failure("sending to replica " + (rank + 1) % size + " at " + peers.get((rank + 1) % size), e);
    }
  }

  private void receive(float[] data, int from, int n, boolean add, boolean bf16) {
    try {
      receiveBytes.clear().limit(n * (bf16 ? 2 : 4));
      readFully(receiveBytes);
    } catch (SocketTimeoutException e) {
      throw failure("no data from replica " + previous() + " within " + options.timeout(), e);
    } catch (IOException e) {
      throw failure("receiving from replica " + previous(), e);
    }
    receiveBytes.flip();
    if (bf16) {
      receiveBytes.asShortBuffer().get(receiveHalves, 0, n);
      for (int i = 0; i < n; i++) {
        float v = Float.intBitsToFloat((receiveHalves[i] & 0xffff) << 16);
        data[from + i] = add ? data[from + i] + v : v;
      }
    } else if (add) {
      receiveBytes.asFloatBuffer().get(received, 0, n);
      for (int i = 0; i < n; i++) data[from + i] += received[i];
    } else {
      receiveBytes.asFloatBuffer().get(data, from, n);
    }
  }

  private void readFully(ByteBuffer into) throws IOException {
    while (into.hasRemaining()) {
      int r = fromPrevious.read(into);
      if (r < 0) throw new EOFException("replica " + previous() + " closed the connection");
      if (r == 0) await(readable);
    }
  }

  private void writeFully(ByteBuffer from) throws IOException {
    while (from.hasRemaining()) {
      if (toNext.write(from) == 0) await(writable);
    }
  }

  /** Waits until the channel can go on; silence for the whole timeout is a failure, not a hang. */
  private void await(Selector selector) throws IOException {
    if (selector.select(options.timeout().toMillis()) == 0) throw new SocketTimeoutException("timed out");
    selector.selectedKeys().clear();
  }

  /** The values, as float32 or bfloat16 (little-endian), into the send buffer, ready to write. */
  private void encode(float[] data, int from, int n, boolean bf16) {
    sendBytes.clear();
    if (bf16) {
      for (int i = 0; i < n; i++) sendHalves[i] = (short) (bf16Bits(data[from + i]) >>> 16);
      sendBytes.asShortBuffer().put(sendHalves, 0, n);
      sendBytes.limit(n * 2);
    } else {
      sendBytes.asFloatBuffer().put(data, from, n);
      sendBytes.limit(n * 4);
    }
  }

  /** The float's bits rounded to the nearest bfloat16 (ties to even), in the upper half; NaN stays NaN. */
  static int bf16Bits(float v) {
    int bits = Float.floatToRawIntBits(v);
    if (Float.isNaN(v)) return bits | 0x00400000;
    int rounding = 0x7fff + ((bits >>> 16) & 1);
    return (bits + rounding) & 0xffff0000;
  }

  private static void roundToBf16(float[] data, int from, int to) {
    for (int i = from; i < to; i++) data[i] = Float.intBitsToFloat(bf16Bits(data[i]));
  }

  private String previous() {
    int p = (rank + size - 1) % size;
    return p + " at " + peers.get(p);
  }

  private UncheckedIOException failure(String what, Throwable cause) {
    IOException io = cause instanceof IOException e ? e : new IOException(cause);
    return new UncheckedIOException("ring allreduce, replica " + rank + " of " + size + ": " + what
        + (cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")"), io);
  }

  @Override
  public void close() {
    sender.shutdownNow();
    for (java.io.Closeable c : new java.io.Closeable[] {writable, readable, toNext, fromPrevious}) {
      try {
        if (c != null) c.close();
      } catch (IOException ignored) {
        // closing: nothing left to report
      }
    }
  }
}
