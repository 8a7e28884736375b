package dev.hunmin.collective;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/** N replicas on loopback, one thread each, joined in a real TCP ring: what Spark's barrier tasks do, in one JVM. */
public final class Ring {
  private Ring() {}

  /** Runs body on every replica and returns their results by rank. */
  public static <T> List<T> run(int n, RingAllReduce.Options options, Function<Collective, T> body) throws Exception {
    List<ServerSocketChannel> servers = new ArrayList<>();
    List<InetSocketAddress> peers = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      ServerSocketChannel s = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      servers.add(s);
      peers.add((InetSocketAddress) s.getLocalAddress());
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<T>> results = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        int rank = r;
        results.add(pool.submit(() -> {
          try (Collective c = RingAllReduce.connect(rank, servers.get(rank), peers, options)) {
            return body.apply(c);
          }
        }));
      }
      // a replica that fails makes its neighbours fail too: report the first cause that is not a closed connection
      List<T> out = new ArrayList<>();
      ExecutionException first = null;
      for (Future<T> f : results) {
        try {
          out.add(f.get());
        } catch (ExecutionException e) {
          boolean secondary = String.valueOf(e.getCause().getMessage()).contains("closed the connection");
          if (first == null || (!secondary && String.valueOf(first.getCause().getMessage()).contains("closed the connection"))) first = e;
        }
      }
      if (first != null) throw first;
      return out;
    } finally {
      pool.shutdownNow();
      for (ServerSocketChannel s : servers) close(s);
    }
  }

  public static RingAllReduce.Options options(boolean bf16) {
    return new RingAllReduce.Options(Duration.ofSeconds(30), bf16);
  }

  private static void close(ServerSocketChannel s) {
    try {
      s.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
