package dev.hunmin.tokenize;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How Hugging Face's BertNormalizer and BertPreTokenizer classify each code point, loaded from
 * {@code bert-chars.txt}, which tools/hf-tokenizers/char-classes.js derives from the Rust implementation itself:
 * Java's Unicode tables are a different version from the Rust crates', and parity is exact only with theirs.
 */
final class BertChars {
  static final int REMOVED = 1;     // clean_text drops it (controls, format, private use …)
  static final int SPACE = 2;       // clean_text maps it to ' '
  static final int CHINESE = 4;     // handle_chinese_chars pads it with spaces
  static final int PUNCT = 8;       // the pre-tokenizer isolates it
  static final int SPLIT_SPACE = 16; // the pre-tokenizer splits on it and drops it
  static final int MARK = 32;       // strip_accents drops it after NFD

  private static final BertChars INSTANCE = load();

  private final byte[] bmp = new byte[0x10000];
  private final List<int[]> supplementary = new ArrayList<>(); // {from, to, flags}, sorted by from
  private final Map<Integer, String> lowercase = new HashMap<>();

  static BertChars get() {
    return INSTANCE;
  }

  int flags(int cp) {
    if (cp < 0x10000) return bmp[cp];
    int flags = 0;
    for (int[] r : supplementary) {
      if (r[0] > cp) break;
      if (cp <= r[1]) flags |= r[2];
    }
    return flags;
  }

  boolean is(int cp, int flag) {
    return (flags(cp) & flag) != 0;
  }

  /** Hugging Face's per-character lowercase (null: unchanged). */
  String lowercase(int cp) {
    return lowercase.get(cp);
  }

  private static BertChars load() {
    BertChars chars = new BertChars();
    Map<String, Integer> flagOf = Map.of("removed", REMOVED, "space", SPACE, "chinese", CHINESE, "punct", PUNCT,
        "split_space", SPLIT_SPACE, "mark", MARK);
    try (BufferedReader in = new BufferedReader(new InputStreamReader(
        BertChars.class.getResourceAsStream("bert-chars.txt"), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith("#") || line.isBlank()) continue;
        String[] words = line.split(" ");
        if (words[0].equals("lowercase")) {
          for (int i = 1; i < words.length; i++) chars.addLowercase(words[i]);
        } else {
          int flag = flagOf.get(words[0]);
          for (int i = 1; i < words.length; i++) chars.addRange(words[i], flag);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    chars.supplementary.sort((a, b) -> Integer.compare(a[0], b[0]));
    return chars;
  }

  private void addRange(String range, int flag) {
    int dash = range.indexOf('-');
    int from = Integer.parseInt(dash < 0 ? range : range.substring(0, dash), 16);
    int to = dash < 0 ? from : Integer.parseInt(range.substring(dash + 1), 16);
    for (int cp = from; cp <= Math.min(to, 0xFFFF); cp++) bmp[cp] |= (byte) flag;
    if (to >= 0x10000) supplementary.add(new int[] {Math.max(from, 0x10000), to, flag});
  }

  private void addLowercase(String mapping) {
    String[] parts = mapping.split(":");
    StringBuilder to = new StringBuilder();
    for (String cp : parts[1].split(",")) to.appendCodePoint(Integer.parseInt(cp, 16));
    lowercase.put(Integer.parseInt(parts[0], 16), to.toString());
  }
}
