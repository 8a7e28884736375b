package dev.hunmin.jobs;

import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.util.HunminException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * {@code hunmin tokenize --vocab DIR --input FILE --output FILE}: one line of space-separated token ids per input
 * line, no special tokens added, an empty line for an empty one. Lines end at '\n' only, as in Hugging Face's
 * reference script (tools/hf-tokenizers/encode.js). A tool for inspection and parity, so it streams on the driver.
 */
final class TokenizeJob {
  private TokenizeJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    WordPieceTokenizer tokenizer = Tokenizers.load(conf, s.requiredString("vocab"));
    Path input = new Path(s.requiredString("input"));
    Path output = new Path(s.requiredString("output"));
    FileSystem inFs = input.getFileSystem(conf);
    if (!inFs.exists(input)) throw new HunminException("input not found: " + input);
    if (inFs.getFileStatus(input).isDirectory()) throw new HunminException("input is a directory, not a text file: " + input);
    FileSystem outFs = output.getFileSystem(conf);
    if (StageOutput.real(inFs.makeQualified(input)).equals(StageOutput.real(outFs.makeQualified(output)))) { // a link too
      throw new HunminException("--output is the input " + input + ": choose another file");
    }
    // nor may it replace or lie inside any other input (its --vocab directory): --overwrite does not lift this
    StageOutput.requireApart(conf, outFs.makeQualified(output), Completion.upstreamPaths(s));
    if (outFs.exists(output)) {
      if (outFs.getFileStatus(output).isDirectory()) throw new HunminException("output is a directory, not a file: " + output);
      if (!s.bool("overwrite")) throw new HunminException("output exists: " + output + " (pass --overwrite to replace it)");
    }
    Path staging = new Path(output.getParent(), "." + output.getName() + ".tmp-" + UUID.randomUUID());
    long lines = 0;
    long[] tokens = {0};
    long started = System.nanoTime();
    try {
      try (BufferedWriter w = new BufferedWriter(new OutputStreamWriter(outFs.create(staging, false), StandardCharsets.UTF_8))) {
        lines = TextLines.read(inFs, input, "tokenize", line -> tokens[0] += writeIds(w, tokenizer, line));
      }
      if (outFs.exists(output)) outFs.delete(output, false);
      if (!outFs.rename(staging, output)) throw new HunminException("cannot write " + output, HunminException.EXTERNAL, null);
    } finally {
      if (outFs.exists(staging)) outFs.delete(staging, false);
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("lines", lines);
    report.put("tokens", tokens[0]);
    report.put("summary", String.format("%d lines, %d tokens, %.0f tokens/s → %s", lines, tokens[0], tokens[0] / seconds, output));
    return report;
  }

  private static int writeIds(BufferedWriter w, WordPieceTokenizer tokenizer, String line) throws IOException {
    int[] ids = tokenizer.encode(line);
    for (int i = 0; i < ids.length; i++) {
      if (i > 0) w.write(' ');
      w.write(Integer.toString(ids[i]));
    }
    w.write('\n');
    return ids.length;
  }
}
