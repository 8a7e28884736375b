import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.hunmin.collective.Collective;
import dev.hunmin.collective.RingAllReduce;
import dev.hunmin.model.Bert;
import dev.hunmin.model.BertConfig;
import dev.hunmin.train.GradientSync;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * The ring allreduce between 2 local replicas (threads joined over loopback TCP, as two executors on one machine)
 * against raw loopback TCP measured in the same run, then the per-step gradient exchange of the tiny and base
 * models (copy out of PyTorch, allreduce, copy back).
 *   java -Xmx8g -cp "model-core/target/classes:spark-jobs/target/lib/*" bench/AllReduce.java [FLOATS]
 */
public class AllReduce {
  public static void main(String[] args) throws Exception {
    int floats = args.length > 0 ? Integer.parseInt(args[0]) : 110_000_000;
    long bytes = 4L * floats;
    double loopback = loopback(bytes);
    System.out.printf("raw loopback TCP, one stream: %.2f GB/s (%d MB)%n", loopback / 1e9, bytes >> 20);
    // a 2-replica ring sends both ways at once; the same traffic without any reduction work, per direction
    ExecutorService both = Executors.newFixedThreadPool(2);
    Future<Double> there = both.submit(() -> loopback(bytes / 2));
    Future<Double> back = both.submit(() -> loopback(bytes / 2));
    double duplex = (there.get() + back.get()) / 2;
    both.shutdown();
    System.out.printf("raw loopback TCP, two streams in opposite directions: %.2f GB/s each%n", duplex / 1e9);
    for (boolean bf16 : new boolean[] {false, true}) {
      double seconds = median(3, () -> ring(2, bf16, c -> {
        float[] v = new float[floats];
        java.util.Arrays.fill(v, c.rank() + 1);
        long t = System.nanoTime();
        c.allReduceSum(v);
        return (System.nanoTime() - t) / 1e9;
      }).stream().mapToDouble(Double::doubleValue).max().orElseThrow());
      // bus bandwidth (NCCL's convention): the bytes each replica moves, 2(N−1)/N of the buffer, per second
      double bus = bytes * 2.0 * (2 - 1) / 2 / seconds;
      System.out.printf("ring allreduce, 2 replicas, %d M floats%s: %.3f s, bus bandwidth %.2f GB/s = %.0f%% of one stream, %.0f%% of two%n",
          floats / 1_000_000, bf16 ? " (bf16 on the wire)" : "", seconds, bus / 1e9, 100 * bus / loopback, 100 * bus / duplex);
    }
    for (String size : new String[] {"tiny", "base"}) {
      BertConfig c = BertConfig.named(size, 30000, 512);
      double seconds = ring(2, false, coll -> gradientExchange(c, coll)).stream().mapToDouble(Double::doubleValue).max().orElseThrow();
      System.out.printf("gradient exchange per step, %s (%.1f M parameters), 2 replicas: %.3f s%n", size,
          Bert.shapes(c).values().stream().mapToLong(s -> s.size()).sum() / 1e6, seconds);
    }
  }

  /** The median of the timings of a few runs. */
  private static double median(int runs, java.util.concurrent.Callable<Double> run) throws Exception {
    List<Double> t = new ArrayList<>();
    for (int i = 0; i < runs; i++) t.add(run.call());
    t.sort(Double::compare);
    return t.get(runs / 2);
  }

  /** One replica's model with gradients from a small backward pass; the median time of GradientSync over 3 steps. */
  private static double gradientExchange(BertConfig c, Collective coll) {
    try (NDManager m = NDManager.newBaseManager()) {
      ai.djl.pytorch.jni.JniUtils.setGradMode(false); // this thread is not the one that loaded the engine
      Bert bert = Bert.initialize(c, m, 1);
      bert.parameters().values().forEach(p -> p.setRequiresGradient(true));
      synchronized (Engine.class) {
        try (GradientCollector g = Engine.getInstance().newGradientCollector()) {
          NDArray ids = m.create(new long[] {2, 100, 200, 300, 3, 400, 500, 3}).reshape(1, 8);
          NDArray types = m.create(new long[] {0, 0, 0, 0, 0, 1, 1, 1}).reshape(1, 8);
          NDArray mask = m.ones(new ai.djl.ndarray.types.Shape(1, 8), ai.djl.ndarray.types.DataType.INT64);
          NDArray labels = m.create(new long[] {-100, 100, -100, -100, -100, 400, -100, -100}).reshape(1, 8);
          g.backward(bert.preTrainingLoss(ids, types, mask, labels, m.create(new long[] {0}), false)[0]);
        }
      }
      try (GradientSync sync = new GradientSync(coll, bert.parameters().values(), 1 << 22)) {
        List<Double> t = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          long start = System.nanoTime();
          sync.allReduceGradients();
          t.add((System.nanoTime() - start) / 1e9);
        }
        t.sort(Double::compare);
        return t.get(1);
      }
    }
  }

  /** One TCP stream over loopback, direct buffers on both ends: the most the transport gives. */
  private static double loopback(long bytes) throws Exception {
    try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      ExecutorService pool = Executors.newSingleThreadExecutor();
      Future<?> writer = pool.submit(() -> {
        try (SocketChannel s = SocketChannel.open(server.getLocalAddress())) {
          ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
          for (long sent = 0; sent < bytes; ) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), bytes - sent));
            while (chunk.hasRemaining()) sent += s.write(chunk);
          }
        }
        return null;
      });
      try (SocketChannel s = server.accept()) {
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        long start = System.nanoTime();
        long read = 0;
        for (int r; read < bytes && (r = s.read(chunk.clear())) > 0; ) read += r;
        double seconds = (System.nanoTime() - start) / 1e9;
        writer.get();
        pool.shutdown();
        return read / seconds;
      }
    }
  }

  private static <T> List<T> ring(int n, boolean bf16, Function<Collective, T> body) throws Exception {
    List<ServerSocketChannel> servers = new ArrayList<>();
    List<InetSocketAddress> peers = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      ServerSocketChannel s = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      servers.add(s);
      peers.add((InetSocketAddress) s.getLocalAddress());
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    List<Future<T>> futures = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      int rank = r;
      futures.add(pool.submit(() -> {
        try (Collective c = RingAllReduce.connect(rank, servers.get(rank), peers, new RingAllReduce.Options(Duration.ofMinutes(5), bf16))) {
          return body.apply(c);
        }
      }));
    }
    List<T> out = new ArrayList<>();
    for (Future<T> f : futures) out.add(f.get());
    pool.shutdown();
    for (ServerSocketChannel s : servers) s.close();
    return out;
  }
}
