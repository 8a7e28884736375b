package dev.hunmin.jobs;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** The SparkSession for a command: the cluster's when launched by spark-submit, else local from the config. */
final class Spark {
  private Spark() {}

  /** Returns a session and whether this call started it (and so must stop it). */
  static Map.Entry<SparkSession, Boolean> session(Settings settings) {
    boolean existing = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
    SparkSession.Builder builder = SparkSession.builder().appName("hunmin " + settings.command());
    if (!new SparkConf().contains("spark.master")) builder.master(settings.sparkMaster());
    settings.sparkConf().forEach(builder::config);
    return Map.entry(builder.getOrCreate(), !existing);
  }
}
