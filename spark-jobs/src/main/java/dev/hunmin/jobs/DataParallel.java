package dev.hunmin.jobs;

import ai.djl.Device;
import dev.hunmin.collective.Collective;
import dev.hunmin.collective.RingAllReduce;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.SparkSession;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Runs pretrain's replicas as one Spark barrier stage of N tasks: gang-scheduled (all start or none), each task one
 * replica. The tasks meet through the barrier's all-gather — each publishes the host and port it listens on — and
 * form a TCP ring for the gradient allreduce; the driver only launches them and collects rank 0's outcome. When a
 * task fails Spark fails and retries the whole stage, and the replicas resume from the newest checkpoint.
 */
final class DataParallel {
  private DataParallel() {}

  static PretrainReplica.Outcome train(SparkSession spark, PretrainReplica.Plan plan, int workers, String device,
      Duration timeout, boolean bf16) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int slots = spark.sparkContext().defaultParallelism();
    if (workers > slots) {
      throw new HunminException("pretrain --workers " + workers + " needs " + workers + " task slots at once; the cluster offers "
          + slots + " (a barrier stage starts all its tasks together)");
    }
    // Spark retries a failed barrier stage only when it is a map stage (a failed result stage may have committed
    // output), so the outcomes pass through a shuffle before they are collected
    List<PretrainReplica.Outcome> outcomes = jsc.parallelize(IntStream.range(0, workers).boxed().toList(), workers).rdd()
        .barrier()
        .mapPartitions(new Replica(plan, device, timeout, bf16), false, ClassTag$.MODULE$.apply(PretrainReplica.Outcome.class))
        .toJavaRDD().repartition(1).collect();
    return outcomes.stream().filter(o -> o.rank() == 0).findFirst().orElseThrow();
  }

  /** The barrier task: rendezvous, ring, one replica's training. */
  private static final class Replica extends AbstractFunction1<Iterator<Integer>, Iterator<PretrainReplica.Outcome>>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final PretrainReplica.Plan plan;
    private final String device;
    private final Duration timeout;
    private final boolean bf16;

    Replica(PretrainReplica.Plan plan, String device, Duration timeout, boolean bf16) {
      this.plan = plan;
      this.device = device;
      this.timeout = timeout;
      this.bf16 = bf16;
    }

    @Override
    public Iterator<PretrainReplica.Outcome> apply(Iterator<Integer> ranks) {
      BarrierTaskContext ctx = BarrierTaskContext.get();
      int rank = ctx.partitionId();
      try (ServerSocketChannel listening = ServerSocketChannel.open().bind(new InetSocketAddress(0))) {
        String host = host(ctx.getTaskInfos()[rank].address());
        String[] addresses = ctx.allGather(host + ":" + ((InetSocketAddress) listening.getLocalAddress()).getPort());
        List<InetSocketAddress> peers = new ArrayList<>();
        for (String a : addresses) {
          int colon = a.lastIndexOf(':');
          peers.add(new InetSocketAddress(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1))));
        }
        try (Collective ring = RingAllReduce.connect(rank, listening, peers, new RingAllReduce.Options(timeout, bf16))) {
          PretrainReplica.Outcome outcome = PretrainReplica.run(plan, ring, device(ctx));
          return JavaConverters.asScalaIterator(List.of(outcome).iterator());
        }
      } catch (IOException e) {
        throw new UncheckedIOException("pretrain replica " + rank + ": " + e.getMessage(), e);
      }
    }

    /** The GPU Spark assigned this task (spark.task.resource.gpu.amount), else the first; or the CPU. */
    private Device device(BarrierTaskContext ctx) {
      if (!device.equals("gpu")) return PretrainJob.device(device);
      PretrainJob.device(device); // fails clearly when PyTorch sees no GPU
      ResourceInformation gpu = ctx.resources().get("gpu").getOrElse(() -> null);
      return gpu == null || gpu.addresses().length == 0 ? Device.gpu() : Device.gpu(Integer.parseInt(gpu.addresses()[0]));
    }
  }

  /** The executor's address as the barrier reports it: a host, or host:port. */
  static String host(String address) {
    int colon = address.lastIndexOf(':');
    return colon > 0 && address.indexOf(':') == colon ? address.substring(0, colon) : address;
  }
}
