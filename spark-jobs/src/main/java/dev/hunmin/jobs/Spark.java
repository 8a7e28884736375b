package dev.hunmin.jobs;

import java.util.Map;
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
    settings.sparkConf().forEach(builder::config);
    return Map.entry(builder.getOrCreate(), !existing);
  }

  private static boolean live(scala.Option<SparkSession> session) {
    return session.isDefined() && !session.get().sparkContext().isStopped();
  }
}
