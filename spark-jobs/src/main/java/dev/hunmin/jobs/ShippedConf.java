package dev.hunmin.jobs;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * The driver's Hadoop configuration as plain entries, for code that runs in executors' own threads (barrier tasks,
 * predictors) and opens files itself: S3 endpoints and credentials must reach it as they reach Spark's readers.
 */
final class ShippedConf {
  private ShippedConf() {}

  static Map<String, String> of(Configuration conf) {
    Map<String, String> entries = new LinkedHashMap<>();
    conf.forEach(e -> entries.put(e.getKey(), e.getValue()));
    return entries;
  }

  static Configuration restore(Map<String, String> entries) {
    Configuration conf = new Configuration(false);
    entries.forEach(conf::set);
    return conf;
  }
}
