package dev.hunmin.jobs;

import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The Korean sample corpus embedded in model-core's jar. An input named {@code sample} is copied next to the
 * output (through Hadoop, so a cluster's executors see it too) and read like any other file.
 */
final class SampleCorpus {
  static final String RESOURCE = "/dev/hunmin/sample/korean-sample.txt";

  private SampleCorpus() {}

  static List<String> resolve(SparkSession spark, List<String> inputs, String output) {
    List<String> out = new ArrayList<>();
    for (String input : inputs) out.add(input.equals("sample") ? materialize(spark, output) : input);
    return out;
  }

  private static String materialize(SparkSession spark, String output) {
    Path target = new Path(new Path(output).getParent(), ".hunmin-sample/korean-sample.txt");
    try (InputStream in = SampleCorpus.class.getResourceAsStream(RESOURCE)) {
      if (in == null) throw new HunminException("the embedded sample corpus is missing from the class path (" + RESOURCE + ")");
      FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
      try (OutputStream os = fs.create(target, true)) {
        in.transferTo(os);
      }
      return fs.makeQualified(target).toString();
    } catch (IOException e) {
      throw new HunminException("cannot write the sample corpus to " + target + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }
}
