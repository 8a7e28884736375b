package dev.hunmin.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import dev.hunmin.util.HunminException;
import java.io.File;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A command's configuration: the defaults in conf/reference.conf (on the class path), overlays, --conf files,
 * --set and flags, in rising precedence. Jobs read their section through the typed getters, whose errors name
 * the key.
 */
final class Settings implements Serializable {
  private static final long serialVersionUID = 1L;
  private final String command;
  private final Config root;

  private Settings(String command, Config root) {
    this.command = command;
    this.root = root;
  }

  static Config defaults() {
    return ConfigFactory.defaultReference(Settings.class.getClassLoader());
  }

  static Settings load(Cli cli) {
    Config defaults = defaults();
    if (!defaults.hasPath("hunmin." + cli.command())) {
      throw new HunminException("unknown command '" + cli.command() + "' (commands: " + String.join(", ", Main.commandNames()) + ")");
    }
    Config layered = defaults;
    for (String overlay : cli.overlays()) layered = requireKnownKeys(parseOverlay(overlay), "overlay " + overlay, defaults).withFallback(layered);
    for (String file : cli.confFiles()) layered = requireKnownKeys(parseFile(file), "config file " + file, defaults).withFallback(layered);
    for (String set : cli.sets()) {
      // before parsing: a parse error may echo the value
      int eq = set.indexOf('=');
      if (eq > 0 && Redaction.sensitive(set.substring(0, eq))) Redaction.remember(set.substring(eq + 1));
    }
    for (String set : cli.sets()) layered = parseSet(set, defaults).withFallback(layered);
    cli.flags().forEach((name, value) -> {
      if (Redaction.sensitive(name)) Redaction.remember(value);
    });
    layered = flags(cli.command(), cli.flags(), defaults).withFallback(layered);
    try {
      Config resolved = layered.resolve();
      rememberSecrets(resolved);
      requireTypes(resolved, defaults);
      Settings settings = new Settings(cli.command(), resolved);
      settings.seed(); // every command reads it, so it is checked with the types
      return settings;
    } catch (ConfigException e) {
      throw new HunminException("configuration: " + e.getMessage());
    }
  }

  /**
   * Every true/false and numeric setting, whatever command reads it, holds a value of its type: a value like FALSE
   * or 1O is refused here, before Spark starts, rather than when a job first reads the key.
   */
  private static void requireTypes(Config config, Config defaults) {
    for (Map.Entry<String, ConfigValue> e : config.entrySet()) {
      String key = e.getKey();
      if (!key.startsWith("hunmin.") || key.startsWith("hunmin.spark.conf.") || !defaults.hasPath(key)) continue;
      ConfigValueType type = defaults.getValue(key).valueType();
      try {
        if (type == ConfigValueType.BOOLEAN) config.getBoolean(key);
        else if (type == ConfigValueType.NUMBER) config.getNumber(key);
        else continue;
      } catch (ConfigException.WrongType wrong) {
        List<String> path = ConfigUtil.splitPath(key);
        String flag = ConfigUtil.joinPath(path.subList(path.size() > 2 ? 2 : 1, path.size()));
        // whether a number must be whole is the getter's to say (HOCON reads 1.0 as 1)
        throw new HunminException("--" + flag + " (" + key + ") must be " + (type == ConfigValueType.BOOLEAN ? "true or false" : "a number")
            + ", not '" + e.getValue().unwrapped() + "'");
      }
    }
  }

  /** Every value under a sensitive key, wherever it is (hunmin.s3, spark.conf's fs.s3a.*), for Redaction.scrub. */
  private static void rememberSecrets(Config config) {
    for (Map.Entry<String, ConfigValue> e : config.entrySet()) {
      if (Redaction.sensitive(e.getKey()) && e.getValue().valueType() == ConfigValueType.STRING) {
        Redaction.remember((String) e.getValue().unwrapped());
      }
    }
  }

  /** Settings for a stage run by another command (pipeline → clean) with keys set by the caller. */
  Settings forStage(String stage, Map<String, Object> values) {
    Config c = root;
    for (Map.Entry<String, Object> e : values.entrySet()) {
      c = c.withValue("hunmin." + stage + "." + e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
    }
    return new Settings(stage, c);
  }

  private static Config parseOverlay(String name) {
    File file = new File(name);
    if (file.isFile()) return parseFile(name);
    Config c = ConfigFactory.parseResources(Settings.class.getClassLoader(), "hunmin-conf/" + name + ".conf");
    if (c.isEmpty()) throw new HunminException("unknown overlay '" + name + "' (local, cluster, s3, or a file)");
    return c;
  }

  private static Config parseFile(String path) {
    File file = new File(path);
    if (file.isDirectory()) throw new HunminException("config file " + path + " is a directory; --conf takes a HOCON file");
    if (!file.isFile()) throw new HunminException("config file not found: " + path);
    try {
      return ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new HunminException("config file " + path + ": " + e.getMessage());
    }
  }

  /**
   * The keys of an overlay, a --conf file or a --set must be keys of the defaults: a misspelt key, a key written
   * without its leading {@code hunmin.} (which --set allows) and a value in place of a whole section are errors,
   * not silently ignored. Other keys outside hunmin stay allowed (files may hold values for substitutions), unless they
   * begin with the name of a Hunmin section or setting.
   */
  private static Config requireKnownKeys(Config given, String source, Config defaults) {
    for (Map.Entry<String, ConfigValue> e : given.entrySet()) {
      String key = e.getKey();
      if (key.startsWith("hunmin.spark.conf.")) continue;
      if (!key.startsWith("hunmin.")) {
        if (defaults.hasPathOrNull("hunmin." + key)) throw new HunminException(source + ": " + key + " must be written hunmin." + key);
        // a key that begins with a section's name (vocab.…) is a setting written without hunmin., misspelt or not
        String first = ConfigUtil.joinPath(ConfigUtil.splitPath(key).get(0));
        if (defaults.hasPathOrNull("hunmin." + first)) {
          throw new HunminException(source + ": no such key " + key + " (a Hunmin setting is written hunmin." + first + ".…; see --help)");
        }
        continue;
      }
      if (!defaults.hasPathOrNull(key)) throw new HunminException(source + ": no such key " + key + " (see --help)");
      if (defaults.getValue(key).valueType() == ConfigValueType.OBJECT) {
        throw new HunminException(source + ": " + key + " is a section; set its keys (" + key + ".…), not the section itself");
      }
    }
    return given;
  }

  /** {@code key=value}; the key may omit the leading {@code hunmin.}; lists and objects are HOCON. */
  private static Config parseSet(String set, Config defaults) {
    int eq = set.indexOf('=');
    if (eq <= 0) throw new HunminException("--set needs key=value, got '" + set + "'");
    String key = set.substring(0, eq).trim();
    if (!key.startsWith("hunmin.")) key = "hunmin." + key;
    String value = set.substring(eq + 1).trim();
    Config parsed;
    if (value.startsWith("[") || value.startsWith("{") || value.startsWith("\"")) {
      try {
        parsed = ConfigFactory.parseString(quoteKey(key) + " = " + value);
      } catch (ConfigException e) {
        throw new HunminException("--set " + key + ": " + e.getMessage());
      }
    } else {
      ConfigValueType type = key.startsWith("hunmin.spark.conf.") || !defaults.hasPathOrNull(key) || defaults.getIsNull(key)
          ? ConfigValueType.STRING : defaults.getValue(key).valueType();
      parsed = ConfigFactory.empty().withValue(quoteKey(key), ConfigValueFactory.fromAnyRef(typed(value, type)));
    }
    return requireKnownKeys(parsed, "--set " + key, defaults);
  }

  /** Spark conf keys contain dots that are part of one key: hunmin.spark.conf."spark.x.y". */
  private static String quoteKey(String key) {
    String prefix = "hunmin.spark.conf.";
    if (!key.startsWith(prefix)) return key;
    String name = key.substring(prefix.length());
    boolean quoted = name.length() > 1 && name.startsWith("\"") && name.endsWith("\""); // --set 'spark.conf."spark.x"=…'
    return prefix + "\"" + (quoted ? name.substring(1, name.length() - 1) : name) + "\"";
  }

  /** Flags name keys of the command's section, the global section or the spark section, in that order. */
  private static Config flags(String command, Map<String, String> flags, Config defaults) {
    Config c = ConfigFactory.empty();
    for (Map.Entry<String, String> flag : flags.entrySet()) {
      String key = flagKey(command, flag.getKey(), defaults);
      ConfigValueType type = defaults.getValue(key).valueType();
      String value = flag.getValue();
      if (value.equals(Cli.SWITCH)) {
        if (type != ConfigValueType.BOOLEAN) throw new HunminException("--" + flag.getKey() + " needs a value");
        value = "true";
      }
      Object typed = typed(value, type);
      c = c.withValue(key, ConfigValueFactory.fromAnyRef(typed));
    }
    return c;
  }

  /**
   * A value given as text (a flag, --set) as the type its default has, so that reports record 20 and true rather
   * than "20" and "true"; text that is no such value stays text, for the typed getters to refuse with the key's name.
   */
  private static Object typed(String value, ConfigValueType type) {
    if (type == ConfigValueType.BOOLEAN && (value.equals("true") || value.equals("false"))) return Boolean.valueOf(value);
    if (type == ConfigValueType.NUMBER && value.matches("-?\\d+")) {
      try {
        return Long.valueOf(value);
      } catch (NumberFormatException e) {
        return value; // beyond a long: as text, which the getters refuse or read as they always did
      }
    }
    if (type == ConfigValueType.NUMBER && value.matches("-?\\d+\\.\\d+([eE][-+]?\\d+)?|-?\\d+[eE][-+]?\\d+")) return Double.valueOf(value);
    if (type == ConfigValueType.LIST) return splitList(value);
    return value;
  }

  static String flagKey(String command, String flag, Config defaults) {
    for (String key : List.of("hunmin." + command + "." + flag, "hunmin." + flag, "hunmin.spark." + flag)) {
      if (defaults.hasPath(key) && defaults.getValue(key).valueType() != ConfigValueType.OBJECT) return key;
    }
    throw new HunminException("unknown flag --" + flag + " for '" + command + "' (see hunmin " + command + " --help)");
  }

  /** Empty entries are kept (split's limit -1 keeps a trailing one), for {@link #list} to refuse. */
  private static List<String> splitList(String value) {
    if (value.isBlank()) return new ArrayList<>();
    List<String> out = new ArrayList<>();
    for (String part : value.split(",", -1)) out.add(part.trim());
    return out;
  }

  // ---- typed access to the command's section, errors naming the key ---------------------------------------

  String command() {
    return command;
  }

  private String key(String name) {
    return "hunmin." + command + "." + name;
  }

  /** Reads a key of the command's section; a missing or mistyped value is an error naming the key. */
  private <T> T get(String name, java.util.function.BiFunction<Config, String, T> read) {
    return get(name, read, null);
  }

  /** As {@link #get(String, java.util.function.BiFunction)}; a value of the wrong type is named with what it must be. */
  private <T> T get(String name, java.util.function.BiFunction<Config, String, T> read, String mustBe) {
    try {
      return read.apply(root, key(name));
    } catch (ConfigException.WrongType e) {
      if (mustBe == null) throw new HunminException("configuration " + key(name) + ": " + e.getMessage());
      // Typesafe's own message ("hardcoded value: … has type STRING rather than NUMBER") names neither the flag nor the value
      throw new HunminException("--" + name + " (" + key(name) + ") must be " + mustBe + ", not '"
          + root.getValue(key(name)).unwrapped() + "'");
    } catch (ConfigException e) {
      throw new HunminException("configuration " + key(name) + ": " + e.getMessage());
    }
  }

  String string(String name) {
    return get(name, Config::getString);
  }

  /** A required non-empty string, e.g. the output directory. */
  String requiredString(String name) {
    String s = string(name);
    if (s.isBlank()) throw new HunminException("--" + name + " is required (hunmin." + command + "." + name + ")");
    return s;
  }

  int integer(String name) {
    Number n = get(name, Config::getNumber, "an integer");
    // Typesafe's getInt would truncate 1.5 to 1
    if (n.doubleValue() != Math.rint(n.doubleValue()) || Math.abs(n.doubleValue()) > Integer.MAX_VALUE) {
      throw new HunminException("--" + name + " (" + key(name) + ") must be an integer, not '" + n + "'");
    }
    return n.intValue();
  }

  /** An integer of at least {@code min}; below it, an error naming the flag. */
  int integer(String name, int min) {
    int v = integer(name);
    if (v < min) throw new HunminException("--" + name + " (" + key(name) + ") must be at least " + min + ", not " + v);
    return v;
  }

  double number(String name) {
    return get(name, Config::getDouble, "a number");
  }

  /** A number in [min, max] (a probability, a ratio); outside, an error naming the flag. */
  double number(String name, double min, double max) {
    double v = number(name);
    if (!(v >= min && v <= max)) {
      throw new HunminException("--" + name + " (" + key(name) + ") must be between " + plain(min) + " and " + plain(max) + ", not " + plain(v));
    }
    return v;
  }

  /** A number above 0 and at most {@code max} (a learning rate, a probability that must not be 0). */
  double positive(String name, double max) {
    double v = number(name);
    if (!(v > 0 && v <= max)) {
      throw new HunminException("--" + name + " (" + key(name) + ") must be above 0 and at most " + plain(max) + ", not " + plain(v));
    }
    return v;
  }

  private static String plain(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }

  boolean bool(String name) {
    return get(name, Config::getBoolean, "true or false");
  }

  /** {@link #list}, refusing an entry given twice: it would run the same work twice and name two results alike. */
  List<String> distinctList(String name) {
    List<String> values = list(name);
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (String v : values) if (!seen.add(v)) throw new HunminException("--" + name + ": " + v + " is given twice");
    return values;
  }

  /**
   * A list of strings; a single string is a one-element list (comma-separated on the command line). An empty entry
   * ({@code a,,b}) is refused: dropped, it would silently run on less than was named.
   */
  List<String> list(String name) {
    List<String> values = get(name, (c, k) -> {
      ConfigValue v = c.getValue(k);
      if (v.valueType() != ConfigValueType.STRING) return c.getStringList(k);
      String s = (String) v.unwrapped();
      return s.isBlank() ? List.<String>of() : Arrays.stream(s.split(",", -1)).map(String::trim).toList();
    });
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i).isBlank()) {
        throw new HunminException("--" + name + " (" + key(name) + "): entry " + (i + 1) + " of '" + String.join(",", values) + "' is empty");
      }
    }
    return values;
  }

  /** --skip-if-done: a finished output of the same configuration is left as it is (see {@link Completion}). */
  boolean skipIfDone() {
    return root.getBoolean("hunmin.skip-if-done");
  }

  /** The whole effective configuration, for the fingerprint. */
  Config root() {
    return root;
  }

  long seed() {
    try {
      Number n = root.getNumber("hunmin.seed");
      // beyond a long, HOCON reads the digits as a double, which getLong would clamp: two seeds, one run
      if (!(n instanceof Integer || n instanceof Long)) throw new ConfigException.BadValue("hunmin.seed", "not an integer");
      return n.longValue();
    } catch (ConfigException e) {
      throw new HunminException("--seed (hunmin.seed) must be an integer from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE
          + ", not '" + root.getValue("hunmin.seed").unwrapped() + "'");
    }
  }

  String sparkMaster() {
    return root.getString("hunmin.spark.master");
  }

  Map<String, String> sparkConf() {
    return sparkConf(root);
  }

  /** hunmin.spark.conf of a configuration (the defaults, say) as Spark's keys and values. */
  static Map<String, String> sparkConf(Config config) {
    Map<String, String> out = new TreeMap<>();
    config.getConfig("hunmin.spark.conf").entrySet()
        .forEach(e -> out.put(e.getKey().replace("\"", ""), String.valueOf(e.getValue().unwrapped())));
    return out;
  }

  /** The hunmin.s3 section as strings (S3A settings; empty means unset). */
  Map<String, String> s3() {
    Map<String, String> out = new TreeMap<>();
    root.getConfig("hunmin.s3").entrySet().forEach(e -> out.put(e.getKey(), String.valueOf(e.getValue().unwrapped())));
    return out;
  }

  /** The command's section as plain values, for _REPORT.json; credentials masked. */
  @SuppressWarnings("unchecked")
  Map<String, Object> section() {
    return (Map<String, Object>) Redaction.tree(null, root.getConfig("hunmin." + command).root().unwrapped());
  }

  /** The effective section as HOCON, for logs; credentials masked. */
  String render() {
    return ConfigValueFactory.fromMap(section())
        .render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
  }

  /** Flag help from the defaults: each key of a command's section with its default and its comment. */
  static String help(String command) {
    Config section = defaults().getConfig("hunmin." + command);
    StringBuilder out = new StringBuilder();
    describe(section.root().entrySet(), "", out);
    out.append("  --conf FILE, --set key=value, --overlay NAME, --seed N, --master URL, --skip-if-done, --help\n");
    out.append("\ns3a:// storage (hunmin.s3; --overlay s3 reads them from the environment):\n");
    describe(defaults().getConfig("hunmin.s3").root().entrySet(), "s3.", out);
    return out.toString();
  }

  private static void describe(java.util.Set<Map.Entry<String, ConfigValue>> entries, String prefix, StringBuilder out) {
    TreeMap<String, ConfigValue> sorted = new TreeMap<>();
    entries.forEach(e -> sorted.put(e.getKey(), e.getValue()));
    for (Map.Entry<String, ConfigValue> e : sorted.entrySet()) {
      ConfigValue v = e.getValue();
      String name = prefix + e.getKey();
      if (v.valueType() == ConfigValueType.OBJECT) {
        describe(((com.typesafe.config.ConfigObject) v).entrySet(), name + ".", out);
        continue;
      }
      String comment = String.join(" ", v.origin().comments()).trim();
      String shown = Redaction.sensitive(name) && !String.valueOf(v.unwrapped()).isEmpty() ? Redaction.MASK
          : v.render(ConfigRenderOptions.concise());
      out.append(String.format("  --%-28s %s%n", name + " " + shown, comment));
    }
  }
}
