package dev.hunmin.jobs;

import dev.hunmin.util.HunminException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A UTF-8 text file streamed a line at a time, lines ending at '\n' only (as Hugging Face's reference script reads
 * them); a NUL byte or an invalid UTF-8 sequence is an error naming the file and the line, never a silent drop.
 * Shared by tokenize and fill-mask, so that both refuse the same bytes.
 */
final class TextLines {
  /** What is done with each line; may throw to stop. */
  interface Consumer {
    void accept(String line) throws IOException;
  }

  private TextLines() {}

  /** Passes each line of input to each, in order; {@code command} names the reader in errors. Returns the line count. */
  static long read(FileSystem fs, Path input, String command, Consumer each) throws IOException {
    long lines = 0;
    try (InputStream in = fs.open(input)) {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        int from = 0;
        for (int i = 0; i < n; i++) {
          if (buf[i] == 0) throw new HunminException("binary data in " + input + " at line " + (lines + 1) + ": not a text file");
          if (buf[i] != '\n') continue;
          line.write(buf, from, i - from);
          each.accept(decode(line, input, ++lines, command));
          from = i + 1;
        }
        line.write(buf, from, n - from);
      }
      if (line.size() > 0) each.accept(decode(line, input, ++lines, command));
    }
    return lines;
  }

  /** A line's bytes as strict UTF-8 (clean refuses the same bytes); the buffer is reset for the next line. */
  private static String decode(ByteArrayOutputStream line, Path input, long lineNumber, String command) {
    String text = RawInputs.strictUtf8(line.toByteArray());
    line.reset();
    if (text == null) throw new HunminException("invalid UTF-8 in " + input + " at line " + lineNumber + ": " + command + " reads UTF-8 text");
    return text;
  }
}
