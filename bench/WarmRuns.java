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
    // the executors' own account of each run: task time, CPU time, GC time (Spark's task metrics)
    long[] m = new long[4];
    spark.sparkContext().addSparkListener(new org.apache.spark.scheduler.SparkListener() {
      @Override
      public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd e) {
        if (e.taskMetrics() == null) return;
        synchronized (m) {
          m[0] += e.taskMetrics().executorRunTime();
          m[1] += e.taskMetrics().executorCpuTime() / 1_000_000;
          m[2] += e.taskMetrics().jvmGCTime();
          m[3]++;
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
      synchronized (m) {
        System.out.printf("%s\trun %d\t%s s (job)\t%.2f s (call)\t%d tasks: %.2f s run, %.2f s CPU, %.2f s GC%n", master, i,
            sec.find() ? sec.group(1) : "?", (System.nanoTime() - started) / 1e9, m[3], m[0] / 1e3, m[1] / 1e3, m[2] / 1e3);
        Arrays.fill(m, 0);
      }
    }
    spark.stop();
  }
}
