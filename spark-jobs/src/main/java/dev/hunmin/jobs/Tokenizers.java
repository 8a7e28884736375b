package dev.hunmin.jobs;

import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Reads and writes tokenizer directories (Hugging Face's files) on any Hadoop file system. */
final class Tokenizers {
  private Tokenizers() {}

  /** A vocab output (needs _SUCCESS) or any directory with tokenizer.json or vocab.txt (a Hugging Face model). */
  static WordPieceTokenizer load(Configuration conf, String dir) {
    Path path = new Path(dir);
    try {
      FileSystem fs = path.getFileSystem(conf);
      if (!fs.exists(path)) throw new HunminException("vocabulary not found: " + dir + " (run hunmin vocab first)");
      if (fs.exists(new Path(path, StageOutput.REPORT)) && !fs.exists(new Path(path, StageOutput.SUCCESS))) {
        throw new HunminException("vocabulary is incomplete: " + dir + " has no _SUCCESS (its vocab run did not finish)");
      }
      return WordPieceTokenizer.load(name -> read(fs, new Path(path, name)));
    } catch (IOException | IllegalArgumentException e) {
      // a malformed file (Jackson's messages run over several lines), or a vocabulary without [UNK]
      String m = String.valueOf(e.getMessage());
      throw new HunminException("cannot load the tokenizer in " + dir + ": " + m.lines().findFirst().orElse(m));
    }
  }

  /**
   * What decides the ids a tokenizer gives: its files as Hunmin writes them (vocabulary, normalization,
   * pre-tokenizer), hashed. The same vocabulary copied elsewhere keeps it.
   */
  static String fingerprint(WordPieceTokenizer tokenizer) {
    StringBuilder all = new StringBuilder();
    new java.util.TreeMap<>(tokenizer.files()).forEach((name, text) -> all.append(name).append('\n').append(text).append('\n'));
    return Completion.sha256(all.toString());
  }

  /** The tokenizer a model directory carries (pretrain's final/, a fine-tuned model, a Hugging Face BERT). */
  static WordPieceTokenizer ofModel(Configuration conf, String dir) {
    Path path = new Path(dir);
    try {
      if (!path.getFileSystem(conf).exists(path)) throw new HunminException("model not found: " + dir);
    } catch (IOException e) {
      throw new HunminException("cannot read " + dir + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
    return load(conf, dir);
  }

  private static String read(FileSystem fs, Path file) {
    try {
      if (!fs.exists(file)) return null;
      try (InputStream in = fs.open(file)) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new HunminException("cannot read " + file + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  static void write(Configuration conf, String dir, WordPieceTokenizer tokenizer) throws IOException {
    Path path = new Path(dir);
    FileSystem fs = path.getFileSystem(conf);
    for (Map.Entry<String, String> f : tokenizer.files().entrySet()) {
      try (OutputStream out = fs.create(new Path(path, f.getKey()), true)) {
        out.write(f.getValue().getBytes(StandardCharsets.UTF_8));
      }
    }
  }
}
