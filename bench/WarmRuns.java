import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.lang.reflect.Method;
import java.util.Arrays;
import org.apache.spark.sql.SparkSession;

/**
 * Runs one hunmin command several times in one JVM and one SparkSession, so that the runs after the first find
 * the JIT's code and Spark's classes ready: how a job's time splits into warm-up and work, and how warm work
 * scales with cores. From the project's root: {@code java -cp CP bench/WarmRuns.java local[2] 3 vocab --input … --output … --overwrite}
 * (the command's flags as for submit/hunmin; each run reads its seconds from the output's _REPORT.json).
 * With {@code -Dwarm.stages=true} it also prints each stage's task metrics summed over its tasks (run, CPU, GC and
 * deserialization milliseconds), to see which stages cost more CPU on more cores.
 */
public class WarmRuns {
  public static void main(String[] args) throws Exception {
    String master = args[0];
    int runs = Integer.parseInt(args[1]);
    String[] command = Arrays.copyOfRange(args, 2, args.length);
    // the session submit/hunmin would start (hunmin.spark.conf of conf/local.conf over conf/reference.conf); the
    // command finds it live and leaves it running between runs
    Config conf = ConfigFactory.parseFile(new File("conf/local.conf"))
        .withFallback(ConfigFactory.parseFile(new File("conf/reference.conf"))).resolve();
    SparkSession.Builder builder = SparkSession.builder().master(master).appName("warm runs");
    conf.getConfig("hunmin.spark.conf").entrySet()
        .forEach(e -> builder.config(e.getKey().replace("\"", ""), String.valueOf(e.getValue().unwrapped())));
    SparkSession spark = builder.getOrCreate();
    // Main.run is the command line's entry without System.exit (package-private: the benchmark is not its user)
    Method run = Class.forName("dev.hunmin.jobs.Main").getDeclaredMethod("run", String[].class, java.io.PrintStream.class,
        java.io.PrintStream.class);
    run.setAccessible(true);
    String output = command[Arrays.asList(command).indexOf("--output") + 1];
    // the executors' own account of each run, by stage: tasks, and their run, CPU, GC and deserialization
    // milliseconds (Spark's task metrics)
    boolean byStage = Boolean.getBoolean("warm.stages");
    java.util.TreeMap<Integer, long[]> stages = new java.util.TreeMap<>();
    spark.sparkContext().addSparkListener(new org.apache.spark.scheduler.SparkListener() {
      @Override
      public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd e) {
        if (e.taskMetrics() == null) return;
        synchronized (stages) {
          long[] st = stages.computeIfAbsent(e.stageId(), k -> new long[5]);
          st[0]++;
          st[1] += e.taskMetrics().executorRunTime();
          st[2] += e.taskMetrics().executorCpuTime() / 1_000_000;
          st[3] += e.taskMetrics().jvmGCTime();
          st[4] += e.taskMetrics().executorDeserializeTime();
        }
      }
    });
    for (int i = 1; i <= runs; i++) {
      long started = System.nanoTime();
      int exit = (int) run.invoke(null, command, System.err, System.err);
      if (exit != 0) throw new IllegalStateException("run " + i + " exited " + exit);
      Thread.sleep(500); // the listener bus delivers the last task ends a moment after the job returns
      String report = java.nio.file.Files.readString(java.nio.file.Path.of(output, "_REPORT.json"));
      java.util.regex.Matcher sec = java.util.regex.Pattern.compile("\"seconds\"\\s*:\\s*([0-9.]+)").matcher(report);
      synchronized (stages) {
        long[] all = new long[5];
        stages.values().forEach(st -> Arrays.setAll(all, k -> all[k] + st[k]));
        System.out.printf("%s\trun %d\t%s s (job)\t%.2f s (call)\t%d tasks: %.2f s run, %.2f s CPU, %.2f s GC%n", master, i,
            sec.find() ? sec.group(1) : "?", (System.nanoTime() - started) / 1e9, all[0], all[1] / 1e3, all[2] / 1e3, all[3] / 1e3);
        if (byStage) {
          stages.forEach((id, st) -> System.out.printf("\tstage %d\t%d tasks: %d ms run, %d ms CPU, %d ms GC, %d ms deserializing%n",
              id, st[0], st[1], st[2], st[3], st[4]));
        }
        stages.clear();
      }
    }
    spark.stop();
  }
}
