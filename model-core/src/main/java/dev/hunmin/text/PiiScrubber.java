package dev.hunmin.text;

import dev.hunmin.util.Counters;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces personal data with a placeholder naming its kind ({@code <PHONE>}, {@code <EMAIL>} …), counted under
 * {@code pii.<kind>}. Kinds run in a fixed order so that a longer, more specific pattern claims its digits first:
 * an e-mail before the URL inside it, a Luhn-valid card number before a phone or account number.
 */
public final class PiiScrubber implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The kinds, in the order they are applied. */
  public enum Kind {
    EMAIL, URL, IP, RRN, CARD, PHONE, ACCOUNT
  }

  private record Rule(Kind kind, Pattern pattern, Predicate<String> accept) implements Serializable {}

  private static final List<Rule> RULES = List.of(
      new Rule(Kind.EMAIL, Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}"), s -> true),
      new Rule(Kind.URL, Pattern.compile("(?i)(?:https?://|ftp://|www\\.)[A-Za-z0-9\\-._~:/?#\\[\\]@!$&'()*+,;=%]+"), s -> true),
      new Rule(Kind.IP, Pattern.compile(
          "(?<![\\d.])(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?!\\.?\\d)"), s -> true),
      // resident registration number: YYMMDD-GNNNNNN, the gender/century digit 1–8, the hyphen sometimes left out
      new Rule(Kind.RRN, Pattern.compile(
          "(?<![\\d-])\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])(?:\\s?-\\s?)?[1-8]\\d{6}(?![\\d-])"), s -> true),
      new Rule(Kind.CARD, Pattern.compile("(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d-])"), PiiScrubber::luhnValid),
      // mobile 01x, Seoul 02, regional 0[3-6]x, internet 070, with or without +82; and 15xx/16xx/18xx service numbers,
      // unless the two halves read as a span of years (임진왜란(1592-1598); 17xx and 19xx are no service numbers)
      new Rule(Kind.PHONE, Pattern.compile(
          "(?<![\\d+])(?:\\+82[-. ]?(?:\\(0\\)|0)?|0)(?:1[016789]|2|[3-6][1-5]|70)[-. ]?\\d{3,4}[-. ]\\d{4}(?![\\d-])"
              + "|\\(0(?:2|[3-6][1-5]|70)\\)[ ]?\\d{3,4}-\\d{4}(?![\\d-])"
              + "|(?<![\\d+-])(?:01[016789]|02|0[3-6][1-5]|070)\\d{7,8}(?!\\d)"
              + "|(?<![\\d-])1[568]\\d{2}-\\d{4}(?![\\d-])"), s -> !yearSpan(s)),
      // bank accounts: hyphenated groups of 10–16 digits in all, or a bare 10–14 digit run
      new Rule(Kind.ACCOUNT, Pattern.compile("(?<![\\d-])\\d{2,6}-\\d{2,6}-\\d{2,7}(?:-\\d{1,3})?(?![\\d-])|(?<![\\d-])\\d{10,14}(?![\\d-])"),
          s -> { int d = digitCount(s); return d >= 10 && d <= 16; }));

  private final Set<Kind> enabled;
  private final String placeholderFormat;

  /**
   * @param enabled the kinds to scrub
   * @param placeholderFormat a {@link String#format} pattern applied to the kind's name, e.g. {@code "<%s>"}
   */
  public PiiScrubber(Set<Kind> enabled, String placeholderFormat) {
    this.enabled = Set.copyOf(enabled);
    this.placeholderFormat = placeholderFormat;
    try {
      placeholder(Kind.PHONE); // a bad pattern fails here, once, not in the middle of a corpus
    } catch (java.util.IllegalFormatException e) {
      throw new dev.hunmin.util.HunminException("PII placeholder '" + placeholderFormat
          + "' is no String.format pattern taking the kind as one %s (" + e.getMessage() + ")");
    }
  }

  public static Kind kindOf(String name) {
    try {
      return Kind.valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new dev.hunmin.util.HunminException("unknown PII kind '" + name + "' (known: " + List.of(Kind.values()) + ")");
    }
  }

  public String placeholder(Kind kind) {
    return String.format(Locale.ROOT, placeholderFormat, kind.name());
  }

  public String scrub(String text, Counters counters) {
    String s = text;
    for (Rule rule : RULES) {
      if (enabled.contains(rule.kind())) s = apply(rule, s, counters);
    }
    return s;
  }

  private String apply(Rule rule, String s, Counters counters) {
    Matcher m = rule.pattern().matcher(s);
    if (!m.find()) return s;
    StringBuilder out = new StringBuilder(s.length());
    int last = 0;
    String replacement = placeholder(rule.kind());
    do {
      String found = trimTrailingPunctuation(rule.kind(), m.group());
      if (!rule.accept().test(found)) continue;
      out.append(s, last, m.start()).append(replacement);
      last = m.start() + found.length();
      counters.increment("pii." + rule.kind().name().toLowerCase(Locale.ROOT));
    } while (m.find());
    return out.append(s, last, s.length()).toString();
  }

  /** A URL at the end of a sentence does not own the final period or a closing bracket. */
  private static String trimTrailingPunctuation(Kind kind, String found) {
    if (kind != Kind.URL) return found;
    int end = found.length();
    while (end > 0 && ".,;:!?)]'".indexOf(found.charAt(end - 1)) >= 0) end--;
    return found.substring(0, end);
  }

  /** NNNN-MMMM where MMMM is a year at most 120 after NNNN: a reign, a war, a life. */
  static boolean yearSpan(String s) {
    if (!s.matches("\\d{4}-\\d{4}")) return false;
    int from = Integer.parseInt(s.substring(0, 4));
    int to = Integer.parseInt(s.substring(5));
    return to >= from && to - from <= 120;
  }

  static int digitCount(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) if (Character.isDigit(s.charAt(i))) n++;
    return n;
  }

  /** The Luhn checksum card numbers carry; a random 16-digit run passes it one time in ten. */
  static boolean luhnValid(String s) {
    int sum = 0;
    int digits = 0;
    for (int i = s.length() - 1; i >= 0; i--) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') continue;
      int d = c - '0';
      if (digits % 2 == 1) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
      digits++;
    }
    return digits >= 13 && digits <= 19 && sum % 10 == 0;
  }
}
