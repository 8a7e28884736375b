package dev.hunmin.jobs;

import dev.hunmin.util.HunminException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** The SparkSession for a command: the cluster's when launched by spark-submit, else local from the config. */
final class Spark {
  private Spark() {}

  /** Returns a session and whether this call started it (and so must stop it). */
  static Map.Entry<SparkSession, Boolean> session(Settings settings) {
    // a stopped session stays "active" on its thread; only a live one is the caller's (spark-submit, a notebook)
    boolean existing = live(SparkSession.getActiveSession()) || live(SparkSession.getDefaultSession());
    SparkSession.Builder builder = SparkSession.builder().appName("hunmin " + settings.command());
    if (!new SparkConf().contains("spark.master")) builder.master(settings.sparkMaster());
    if (!existing) requireLocalClusterHome(new SparkConf().get("spark.master", settings.sparkMaster()), System.getenv());
    settings.sparkConf().forEach(builder::config);
    SparkSession spark;
    try {
      spark = builder.getOrCreate();
    } catch (IllegalArgumentException e) { // a Spark setting of the wrong type or range
      throw new HunminException("Spark configuration: " + deepest(e) + given(settings));
    } catch (Exception e) { // SparkException, undeclared by Scala; rethrown as it is when it is another failure
      // SparkContext refuses a master it cannot parse, or local[0]
      String message = String.valueOf(e.getMessage());
      if (message.startsWith("Could not parse Master URL") || message.startsWith("Asked to run locally with")) {
        throw new HunminException("--master: " + message + " (local[N], spark://host:port, yarn, k8s://…)");
      }
      throw e;
    }
    try {
      spark.sessionState(); // built lazily, and it is what checks the spark.sql.* values
    } catch (IllegalArgumentException e) {
      if (!existing) spark.stop();
      throw new HunminException("Spark configuration: " + deepest(e) + given(settings));
    }
    // on the Hadoop configuration, not the SparkConf: every job reads and ships this one (also to executors, with
    // each job), it applies to a session that already existed, and the secret stays out of Spark's environment
    s3(settings, spark.sparkContext().hadoopConfiguration());
    return Map.entry(spark, !existing);
  }

  /**
   * local-cluster's workers launch executor JVMs from SPARK_HOME/jars, with SPARK_SCALA_VERSION naming the build:
   * without them every executor fails and Spark ends the application, which would read as an external failure.
   */
  static void requireLocalClusterHome(String master, Map<String, String> env) {
    if (!master.startsWith("local-cluster")) return;
    String home = env.getOrDefault("SPARK_HOME", "");
    String missing = home.isBlank() ? "SPARK_HOME is not set"
        : !new java.io.File(home, "jars").isDirectory() ? "SPARK_HOME=" + home + " has no jars/"
        : env.getOrDefault("SPARK_SCALA_VERSION", "").isBlank() ? "SPARK_SCALA_VERSION is not set" : null;
    if (missing != null) {
      throw new HunminException("--master " + master + " launches its executors from SPARK_HOME/jars, but " + missing
          + " (set SPARK_HOME, SPARK_SCALA_VERSION=2.12 and spark.executor.extraClassPath as bench/dataparallel.sh does)");
    }
  }

  /** hunmin.s3 as fs.s3a.* keys; empty values leave what the Hadoop configuration already says. */
  static void s3(Settings settings, Configuration conf) {
    Map<String, String> s3 = settings.s3();
    String endpoint = s3.get("endpoint");
    if (!endpoint.isBlank()) {
      conf.set("fs.s3a.endpoint", endpoint);
      if (endpoint.startsWith("http://")) conf.set("fs.s3a.connection.ssl.enabled", "false");
    }
    setIfGiven(conf, "fs.s3a.endpoint.region", s3.get("region"));
    if (Boolean.parseBoolean(s3.get("path-style-access"))) conf.set("fs.s3a.path.style.access", "true");
    setIfGiven(conf, "fs.s3a.access.key", s3.get("access-key"));
    setIfGiven(conf, "fs.s3a.secret.key", s3.get("secret-key"));
    setIfGiven(conf, "fs.s3a.session.token", s3.get("session-token"));
    setIfGiven(conf, "fs.s3a.aws.credentials.provider", s3.get("credentials-provider"));
    String attempts = s3.get("attempts").strip();
    if (!attempts.matches("[0-9]{1,4}")) throw new HunminException("hunmin.s3.attempts must be 0 (S3A's own) or a count, not '" + attempts + "'");
    if (!attempts.equals("0")) {
      // the SDK's tries inside each of S3A's: both bounded (0 leaves them to S3A, or to spark.hadoop.fs.s3a.*)
      conf.set("fs.s3a.attempts.maximum", attempts);
      conf.set("fs.s3a.retry.limit", attempts);
    }
  }

  private static void setIfGiven(Configuration conf, String key, String value) {
    if (value != null && !value.isBlank()) conf.set(key, value.strip());
  }

  /** The Spark settings given beyond the defaults: Spark's message does not always name the one it refused. */
  private static String given(Settings settings) {
    Map<String, String> defaults = Settings.sparkConf(Settings.defaults());
    java.util.List<String> keys = settings.sparkConf().entrySet().stream()
        .filter(e -> !e.getValue().equals(defaults.get(e.getKey()))).map(Map.Entry::getKey).toList();
    return keys.isEmpty() ? "" : " (settings given: " + String.join(", ", keys) + ")";
  }

  private static String deepest(Throwable t) {
    while (t.getCause() != null) t = t.getCause();
    return String.valueOf(t.getMessage()).lines().findFirst().orElse("");
  }

  private static boolean live(scala.Option<SparkSession> session) {
    return session.isDefined() && !session.get().sparkContext().isStopped();
  }
}
