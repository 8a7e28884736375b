package dev.hunmin.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;

/**
 * Whether a stage is already done: its {@code _SUCCESS} marker holds the fingerprint of the configuration that
 * made it, a SHA-256 of the command's effective settings (typed and key-ordered, so a flag and a --set of the
 * same value agree), the seed, and the fingerprints of the upstream stages it read. With --skip-if-done a rerun
 * whose fingerprint matches does nothing; one whose fingerprint differs is refused unless --overwrite.
 */
final class Completion {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Keys that say where or how a run goes, not what it makes. */
  private static final Set<String> NOT_OUTPUT = Set.of("output", "work", "overwrite", "resume", "log-every",
      "stop-at-step", "allreduce-timeout-seconds");
  /**
   * Keys whose values are paths a command reads: the fingerprint takes them by what they name, not by how they
   * are spelled, and no output may overlap them.
   */
  private static final Set<String> PATHS = Set.of("input", "vocab", "model", "models", "init", "exclude", "data");
  /** How far above a path a stage's marker is looked for: checkpoints/step-N is two levels down. */
  private static final int MARKER_DEPTH = 2;
  /**
   * The sections a command's output depends on: the pipeline runs the stages with their own sections, and the audit
   * runs two pipelines.
   */
  private static final Map<String, List<String>> SECTIONS = Map.of(
      "pipeline", List.of("pipeline", "clean", "vocab", "nsp", "pretrain", "fill-mask"),
      "audit", List.of("audit", "pipeline", "clean", "vocab", "nsp", "pretrain", "fill-mask"),
      "evaluate", List.of("evaluate", "finetune"));

  /** What a rerun with --skip-if-done does. */
  enum Decision { RUN, SKIP }

  private Completion() {}

  /** The directory whose _SUCCESS marks the command done, or null for commands that write no marker. */
  static String markedOutput(Settings s) {
    return switch (s.command()) {
      case "clean", "vocab", "nsp", "pretrain", "export-hf", "finetune", "evaluate", "predict", "audit" -> s.requiredString("output");
      case "pipeline" -> s.requiredString("work");
      default -> null;
    };
  }

  /**
   * With --skip-if-done: SKIP when the output's marker has this fingerprint; RUN when there is no marker; a
   * marker of another configuration is an error (exit 2) unless --overwrite, which RUNs and replaces it.
   */
  static Decision decide(Settings s, Configuration conf) {
    if (!s.skipIfDone()) return Decision.RUN;
    String dir = markedOutput(s);
    if (dir == null) return Decision.RUN;
    Path marker = new Path(dir, StageOutput.SUCCESS);
    if (!exists(conf, marker)) return Decision.RUN;
    String done = read(conf, marker);
    String now = fingerprint(s, conf);
    if (now.equals(done)) return Decision.SKIP;
    if (s.bool("overwrite")) return Decision.RUN;
    throw new HunminException("output " + dir + " is done with a different configuration (fingerprint "
        + (done == null ? "missing" : shortly(done)) + ", now " + shortly(now) + "); pass --overwrite to replace it");
  }

  /** The one line a skipped command prints. */
  static String skipped(Settings s, Configuration conf) {
    return "skipped: " + markedOutput(s) + " is done with this configuration (fingerprint " + shortly(fingerprint(s, conf)) + ")";
  }

  /** Writes the marker, last: its presence says the output is complete, its content which configuration made it. */
  static void mark(FileSystem fs, Path dir, String command, String fingerprint) throws IOException {
    Map<String, Object> marker = new LinkedHashMap<>();
    marker.put("command", command);
    marker.put("fingerprint", fingerprint);
    // written under a hidden name and renamed: a run killed while writing leaves no empty _SUCCESS, which would read
    // as complete output of an unknown configuration
    Path staged = new Path(dir, "." + StageOutput.SUCCESS + ".tmp");
    try (OutputStream out = fs.create(staged, true)) {
      out.write(JSON.writeValueAsBytes(marker));
    }
    Path success = new Path(dir, StageOutput.SUCCESS);
    fs.delete(success, false);
    if (!fs.rename(staged, success)) throw new IOException("cannot rename " + staged + " to " + success);
  }

  static String fingerprint(Settings s, Configuration conf) {
    StringBuilder text = new StringBuilder("command=" + s.command() + "\nseed=" + s.seed() + "\n");
    Config root = s.root();
    Config defaults = Settings.defaults();
    for (String section : sections(s)) {
      String prefix = "hunmin." + section;
      Config values = root.getConfig(prefix);
      canonical(values, defaults.getConfig(prefix)).forEach((k, v) -> {
        String shown = isPath(section, k) ? identities(conf, paths(values.getValue(k))) : v;
        text.append(section).append('.').append(k).append('=').append(shown).append('\n');
      });
    }
    return sha256(text.toString());
  }

  private static List<String> sections(Settings s) {
    return SECTIONS.getOrDefault(s.command(), List.of(s.command()));
  }

  private static boolean isPath(String section, String key) {
    return PATHS.contains(key) && !(section.equals("finetune") && key.equals("init")); // finetune's init: pretrained|random
  }

  /**
   * What paths stand for in a fingerprint: an earlier stage's output by its own fingerprint (so a stage is not
   * done when what it read was remade, and still done when the work directory moved); any other existing path
   * qualified, so that relative, absolute and file: spellings agree; anything else ("sample") as given.
   */
  private static String identities(Configuration conf, List<String> paths) {
    List<String> out = new ArrayList<>();
    for (String given : paths) out.add(identity(conf, given));
    return String.join("\u0000", out);
  }

  private static String identity(Configuration conf, String given) {
    if (given.equals("sample")) return given;
    try {
      Path path = new Path(given);
      path = path.getFileSystem(conf).makeQualified(path);
      // a stage output, or a directory in one (pretrain's final/ or checkpoints/step-N, finetune's model/)
      String below = "";
      Path dir = path;
      for (int up = 0; up <= MARKER_DEPTH && dir != null; up++, dir = dir.getParent()) {
        Path marker = new Path(dir, StageOutput.SUCCESS);
        String done = markerExists(conf, marker, given) ? read(conf, marker) : null;
        if (done != null) return "stage " + done + below;
        below = "/" + dir.getName() + below;
      }
      return exists(conf, path) || given.matches(".*[*?\\[{].*") ? path.toString() : given;
    } catch (IllegalArgumentException | IOException e) { // not a path (the job says so); as given
      return given;
    }
  }

  /** Leaf keys of a section (bar NOT_OUTPUT) with values normalized by the default's type: "20" and 20 agree. */
  static Map<String, String> canonical(Config section, Config defaults) {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, ConfigValue> e : section.entrySet()) {
      String key = e.getKey();
      if (NOT_OUTPUT.contains(key.split("\\.")[0])) continue;
      ConfigValueType type = defaults.hasPath(key) ? defaults.getValue(key).valueType() : e.getValue().valueType();
      out.put(key, normalized(section, key, type, e.getValue()));
    }
    return out;
  }

  /** A value as its default's type writes it; a value of the wrong type stays as given (the job reports it). */
  private static String normalized(Config section, String key, ConfigValueType type, ConfigValue value) {
    try {
      return switch (type) {
        case NUMBER -> new BigDecimal(section.getString(key)).stripTrailingZeros().toPlainString();
        case BOOLEAN -> String.valueOf(section.getBoolean(key));
        case LIST -> String.join("\u0000", paths(value));
        default -> String.valueOf(value.unwrapped());
      };
    } catch (NumberFormatException | com.typesafe.config.ConfigException e) {
      return String.valueOf(value.unwrapped());
    }
  }

  /** The paths a command reads (its sections' path keys: evaluate's finetune.data too), as given. */
  static List<String> upstreamPaths(Settings s) {
    List<String> out = new ArrayList<>();
    for (String section : sections(s)) {
      Config values = s.root().getConfig("hunmin." + section);
      for (String key : PATHS) {
        if (isPath(section, key) && values.hasPath(key)) out.addAll(paths(values.getValue(key)));
      }
    }
    return out;
  }

  /** A list value, or a comma-separated string as the command line gives it; empty entries (the job refuses them) left out. */
  private static List<String> paths(ConfigValue v) {
    List<String> out = new ArrayList<>();
    if (v.valueType() == ConfigValueType.LIST) {
      for (Object o : (List<?>) v.unwrapped()) if (!String.valueOf(o).isBlank()) out.add(String.valueOf(o));
    } else if (v.valueType() == ConfigValueType.STRING) {
      for (String part : ((String) v.unwrapped()).split(",")) if (!part.isBlank()) out.add(part.trim());
    }
    return out;
  }

  /** Hadoop settings before Spark starts: core-site from the class path, spark.hadoop.* of spark-submit and of the config, hunmin.s3. */
  static Configuration hadoopConf(Settings s) {
    Configuration conf = new Configuration();
    Map<String, String> spark = new TreeMap<>();
    for (scala.Tuple2<String, String> kv : new SparkConf().getAll()) spark.put(kv._1(), kv._2());
    spark.putAll(s.sparkConf());
    spark.forEach((k, v) -> {
      if (k.startsWith("spark.hadoop.")) conf.set(k.substring("spark.hadoop.".length()), v);
    });
    Spark.s3(s, conf); // as the session will have them: markers on s3a:// are read with the same credentials
    return conf;
  }

  /** Whether an input's (or its parent's) marker exists; a store that cannot be read is named by the input as given. */
  private static boolean markerExists(Configuration conf, Path marker, String input) {
    try {
      return marker.getFileSystem(conf).exists(marker);
    } catch (IOException e) {
      // S3A's message opens with the marker's path
      String why = String.valueOf(e.getMessage()).replace(marker + ": ", "");
      throw new HunminException("cannot read the input " + input + ": " + why, HunminException.EXTERNAL, e);
    }
  }

  private static boolean exists(Configuration conf, Path p) {
    try {
      return p.getFileSystem(conf).exists(p);
    } catch (IOException e) {
      throw new HunminException("cannot read " + p + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  /** The fingerprint in a marker; null for an empty or foreign one (written by Spark or an older Hunmin). */
  static String read(Configuration conf, Path marker) {
    return field(conf, marker, "fingerprint");
  }

  /** The command that wrote a marker; null for an empty or foreign one. */
  static String producer(Configuration conf, Path marker) {
    return field(conf, marker, "command");
  }

  private static String field(Configuration conf, Path marker, String name) {
    try (InputStream in = marker.getFileSystem(conf).open(marker)) {
      byte[] bytes = in.readAllBytes();
      if (bytes.length == 0) return null;
      JsonNode node = JSON.readTree(bytes);
      return node != null && node.hasNonNull(name) ? node.get(name).asText() : null;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return null;
    } catch (IOException e) {
      throw new HunminException("cannot read " + marker + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  private static String shortly(String fingerprint) {
    return fingerprint.substring(0, 12);
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
