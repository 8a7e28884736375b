package dev.hunmin.jobs;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Keeps credentials out of everything Hunmin prints or writes: reports (the command's config), --help, error
 * lines and stack traces. Values of sensitive keys are remembered when the settings load, so that a secret echoed
 * inside some library's exception message is masked too, not only the keys we know.
 */
final class Redaction {
  static final String MASK = "****";
  /**
   * Key names that hold credentials: the words of Spark's own spark.redaction.regex, narrowed so that keys such as
   * max-token-length or fs.s3a.aws.credentials.provider (a class name) stay readable.
   */
  private static final Pattern SENSITIVE =
      Pattern.compile("(?i)secret|password|session[.-]?token|(^|[.-])token$|access[.-]?key|credential(?!s[.-]provider)");
  /** user:secret@ in a URI (s3a://KEY:SECRET@bucket/…, which old Hadoop accepted). */
  private static final Pattern USER_INFO = Pattern.compile("(\\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\\s]+:[^/@\\s]*@");
  /** Environment variables the AWS provider chain reads; their values are never printed either. */
  private static final List<String> ENV = List.of("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID");
  /** Shorter values are not masked: a secret that short would mask ordinary words. */
  private static final int MIN_LENGTH = 4;
  private static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();

  private Redaction() {}

  static boolean sensitive(String key) {
    return SENSITIVE.matcher(key.replace("\"", "")).find();
  }

  static void remember(String value) {
    if (value != null && value.strip().length() >= MIN_LENGTH) SECRETS.add(value.strip());
  }

  /** Text with every known secret and every URI password replaced by {@link #MASK}. */
  static String scrub(String text) {
    if (text == null) return null;
    String out = USER_INFO.matcher(text).replaceAll("$1" + MASK + "@");
    for (String env : ENV) {
      String v = System.getenv(env);
      if (v != null && v.strip().length() >= MIN_LENGTH) out = out.replace(v.strip(), MASK);
    }
    for (String secret : SECRETS) out = out.replace(secret, MASK);
    return out;
  }

  /** A config tree (plain maps, lists, values) with sensitive keys masked and secrets scrubbed from strings. */
  @SuppressWarnings("unchecked")
  static Object tree(String key, Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), tree(String.valueOf(k), v)));
      return out;
    }
    if (value instanceof List<?> list) return list.stream().map(v -> tree(key, v)).toList();
    if (key != null && sensitive(key) && value instanceof String s) return s.isEmpty() ? s : MASK;
    if (value instanceof String s) return scrub(s);
    return value;
  }
}
