package dev.hunmin.jobs;

import dev.hunmin.util.HunminException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line: {@code <command> [--flag value | --flag=value | --switch] [--set key=value] [--conf FILE]
 * [--overlay NAME] [--help]}. Which flags exist, and their types, comes from the defaults in conf/ (see
 * {@link Settings}); this class only splits the words.
 */
record Cli(String command, Map<String, String> flags, List<String> sets, List<String> confFiles,
    List<String> overlays, boolean help) {

  /** A flag given without a value, as {@code --overwrite}: taken as true, and refused for non-boolean keys. */
  static final String SWITCH = "\u0000switch";

  static Cli parse(String[] args) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      return new Cli("", Map.of(), List.of(), List.of(), List.of(), true);
    }
    String command = args[0];
    if (command.startsWith("-")) throw new HunminException("the first word must be a command, not " + command);
    Map<String, String> flags = new LinkedHashMap<>();
    List<String> sets = new ArrayList<>();
    List<String> confs = new ArrayList<>();
    List<String> overlays = new ArrayList<>();
    boolean help = false;
    for (int i = 1; i < args.length; i++) {
      String word = args[i];
      if (!word.startsWith("--")) {
        // one bare path is the input: hunmin inspect PATH
        if (flags.containsKey("input")) throw new HunminException("unexpected argument '" + word + "' (flags are --name value)");
        flags.put("input", word);
        continue;
      }
      String name = word.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        value = args[++i];
      }
      switch (name) {
        case "help" -> help = true;
        case "set" -> sets.add(required(name, value));
        case "conf" -> confs.add(required(name, value));
        case "overlay" -> overlays.addAll(List.of(required(name, value).split(",")));
        default -> {
          if (flags.put(name, value == null ? SWITCH : value) != null) {
            throw new HunminException("flag --" + name + " given twice");
          }
        }
      }
    }
    return new Cli(command, flags, sets, confs, overlays, help);
  }

  private static String required(String flag, String value) {
    if (value == null) throw new HunminException("--" + flag + " needs a value");
    return value;
  }
}
