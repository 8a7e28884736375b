package dev.hunmin.text;

import dev.hunmin.util.Counters;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One document through {@code clean}'s per-document steps: normalize and scrub each line, drop the document if it
 * is junk, split lines into sentences and drop boilerplate sentences. Corpus-wide steps (dedup, near-dup,
 * exclusion) live in the job, since they need every document.
 */
public final class DocumentCleaner implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Junk thresholds: documents shorter than {@code minChars} or longer than {@code maxChars} (after
   * normalization), or whose share of Hangul or of letters among non-space characters is below the minimum.
   */
  public record Filters(int minChars, int maxChars, double minHangulRatio, double minLetterRatio,
      List<String> boilerplate) implements Serializable {}

  /** Either sentences or the reason the document was dropped. */
  public record Result(List<String> sentences, String dropReason) implements Serializable {
    static Result dropped(String reason) {
      return new Result(List.of(), reason);
    }

    public boolean kept() {
      return dropReason == null;
    }
  }

  private final TextNormalizer normalizer;
  private final PiiScrubber scrubber; // null: scrubbing off
  private final KoreanSentenceSplitter splitter;
  private final Filters filters;
  private final List<Pattern> boilerplate;

  public DocumentCleaner(TextNormalizer normalizer, PiiScrubber scrubber, KoreanSentenceSplitter splitter,
      Filters filters) {
    this.normalizer = normalizer;
    this.scrubber = scrubber;
    this.splitter = splitter;
    this.filters = filters;
    this.boilerplate = filters.boilerplate().stream().map(Pattern::compile).toList();
  }

  public Result clean(String text, Counters counters) {
    // a document far over the limit is dropped before any work is spent on it
    if (text.length() > 2L * filters.maxChars()) return Result.dropped("too_long");
    List<String> lines = cleanLines(text, counters);
    int chars = lines.stream().mapToInt(String::length).sum();
    if (chars == 0) return Result.dropped("empty");
    if (chars < filters.minChars()) return Result.dropped("too_short");
    if (chars > filters.maxChars()) return Result.dropped("too_long");
    String junk = junkReason(lines);
    if (junk != null) return Result.dropped(junk);
    List<String> sentences = new ArrayList<>();
    for (String line : lines) {
      for (String sentence : splitter.split(line)) {
        if (isBoilerplate(sentence)) counters.increment("boilerplate_sentences");
        else sentences.add(sentence);
      }
    }
    return sentences.isEmpty() ? Result.dropped("boilerplate") : new Result(sentences, null);
  }

  /** Normalized, scrubbed, non-empty lines: what every later comparison (dedup, exclusion) sees too. */
  public List<String> cleanLines(String text, Counters counters) {
    List<String> out = new ArrayList<>();
    for (String raw : text.split("\n")) {
      String line = normalizer.normalize(raw, counters);
      if (scrubber != null) line = scrubber.scrub(line, counters);
      if (!line.isEmpty()) out.add(line);
    }
    return out;
  }

  /** The sentences of a text with no filtering: how exclusion texts (an evaluation set) are keyed. */
  public List<String> sentencesOf(String text) {
    List<String> out = new ArrayList<>();
    for (String line : cleanLines(text, new Counters())) out.addAll(splitter.split(line));
    return out;
  }

  private String junkReason(List<String> lines) {
    long nonSpace = 0;
    long hangul = 0;
    long letters = 0;
    for (String line : lines) {
      for (int i = 0; i < line.length(); i++) {
        char c = line.charAt(i);
        if (c == ' ') continue;
        nonSpace++;
        if (isHangul(c)) hangul++;
        if (Character.isLetter(c)) letters++;
      }
    }
    if (letters < filters.minLetterRatio() * nonSpace) return "few_letters";
    if (hangul < filters.minHangulRatio() * nonSpace) return "few_hangul";
    return null;
  }

  private boolean isBoilerplate(String sentence) {
    for (Pattern p : boilerplate) if (p.matcher(sentence).find()) return true;
    return false;
  }

  static boolean isHangul(char c) {
    return (c >= '가' && c <= '힣') || (c >= 'ㄱ' && c <= 'ㆎ') || (c >= 'ᄀ' && c <= 'ᇿ');
  }
}
