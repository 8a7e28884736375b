package dev.hunmin.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stage's output directory, written atomically: everything goes to a hidden sibling directory, which replaces
 * the output only when complete; {@code _SUCCESS} is created last, after the rename, so that it appears last on
 * stores whose rename is a copy of every file (S3A: the output is visible while it fills, but without _SUCCESS). A
 * later stage reads an input only if its {@code _SUCCESS} exists.
 */
final class StageOutput implements AutoCloseable {
  static final String SUCCESS = "_SUCCESS";
  static final String REPORT = "_REPORT.json";
  private static final Logger LOG = LoggerFactory.getLogger(StageOutput.class);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final FileSystem fs;
  private final Path output;
  private final Path staging;
  private boolean committed;

  private StageOutput(FileSystem fs, Path output, Path staging) {
    this.fs = fs;
    this.output = output;
    this.staging = staging;
  }

  /**
   * {@link #begin(Configuration, String, boolean, List, String)} for a command's --output, --overwrite and inputs.
   * The staging directory is named by the configuration's fingerprint, not at random, so that a rerun writes the
   * same paths into what it makes (the audit's stages record theirs); two runs into one output at once are not
   * supported.
   */
  static StageOutput begin(Configuration conf, Settings s) {
    return begin(conf, s.requiredString("output"), s.bool("overwrite"), Completion.upstreamPaths(s),
        Completion.fingerprint(s, conf).substring(0, 12));
  }

  /**
   * Refuses an existing complete output unless {@code overwrite}, and an output that holds one of the paths the
   * command reads. An incomplete output (no _SUCCESS) is replaced when it is empty or a Hunmin output (its
   * _REPORT.json written, the rename into place interrupted); any other directory only with {@code overwrite}.
   */
  private static StageOutput begin(Configuration conf, String dir, boolean overwrite, List<String> reads, String stagingTag) {
    Path output = new Path(dir);
    try {
      FileSystem fs = output.getFileSystem(conf);
      output = writable(conf, dir, overwrite, reads, REPORT);
      Path staging = new Path(output.getParent(), "." + output.getName() + ".tmp-" + stagingTag);
      removeStaging(fs, output);
      fs.mkdirs(staging);
      return new StageOutput(fs, output, staging);
    } catch (IOException e) {
      throw new HunminException("cannot prepare output " + output + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  /**
   * Removes the staging directories runs into {@code output} left when they died before they could (each named by
   * its configuration's fingerprint, so a rerun of another configuration would not find its predecessor's).
   */
  private static void removeStaging(FileSystem fs, Path output) throws IOException {
    String prefix = "." + output.getName() + ".tmp-";
    if (!fs.exists(output.getParent())) return;
    for (FileStatus f : fs.listStatus(output.getParent(), p -> p.getName().startsWith(prefix))) fs.delete(f.getPath(), true);
  }

  /**
   * The checks {@code begin} (and pretrain) make of a command's --output, made before any Spark starts, so that a
   * rerun into a finished output fails at once rather than after the session is up (on a cluster, once executors
   * are granted). {@code footprints} as for {@link #requireReplaceable}.
   */
  static void precheck(Configuration conf, Settings s, List<String> footprints) {
    String dir = s.requiredString("output");
    try {
      writable(conf, dir, s.bool("overwrite"), Completion.upstreamPaths(s), footprints.toArray(String[]::new));
    } catch (IOException e) {
      throw new HunminException("cannot prepare output " + dir + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  /** The output qualified, once {@link #requireApart} and {@link #requireReplaceable} let it be written. */
  static Path writable(Configuration conf, String dir, boolean overwrite, List<String> reads, String... footprints) throws IOException {
    Path output = new Path(dir);
    // the staging sibling .NAME.tmp-F would read as a URI scheme (and Hadoop's globs split at ':'): refused as given
    if (output.getName().contains(":")) {
      throw new HunminException("not a usable path: --output " + dir + " (Hadoop paths cannot hold ':' in a name)");
    }
    FileSystem fs = output.getFileSystem(conf);
    output = fs.makeQualified(output);
    requireApart(conf, output, reads);
    requireReplaceable(fs, output, overwrite, footprints);
    return output;
  }

  /**
   * An existing output may be replaced: a complete one only with {@code overwrite}, a non-empty directory without
   * _SUCCESS only when it holds one of the stage's {@code footprints} (an interrupted Hunmin run) or with
   * {@code overwrite}.
   */
  static void requireReplaceable(FileSystem fs, Path output, boolean overwrite, String... footprints) throws IOException {
    if (!fs.exists(output)) return;
    if (!fs.getFileStatus(output).isDirectory()) throw new HunminException("output is a file, not a directory: " + output);
    if (overwrite) return;
    if (fs.exists(new Path(output, SUCCESS))) throw new HunminException("output exists: " + output + " (pass --overwrite to replace it)");
    for (String footprint : footprints) if (fs.exists(new Path(output, footprint))) return;
    if (fs.listStatus(output).length > 0) {
      throw new HunminException("output exists and is no Hunmin output: " + output + " (pass --overwrite to replace it)");
    }
  }

  /**
   * Refuses an output (qualified) that is one of the paths a command reads, holds one of them, or lies inside one
   * (a rerun would read it). Local paths are compared with their links resolved, so a link cannot hide an input.
   */
  static void requireApart(Configuration conf, Path output, List<String> reads) throws IOException {
    Path out = real(output);
    for (String read : reads) {
      Path given = new Path(read);
      FileSystem inFs = given.getFileSystem(conf);
      if (!inFs.getUri().equals(output.getFileSystem(conf).getUri())) continue;
      // a glob reads what it matches, directories among them whole
      FileStatus[] matches = isGlob(given) ? inFs.globStatus(given) : null;
      List<Path> ins = new ArrayList<>();
      if (matches == null) ins.add(inFs.makeQualified(given));
      else for (FileStatus m : matches) ins.add(m.getPath());
      for (Path in : ins) {
        in = real(in);
        if (isWithin(in, out)) throw new HunminException("output " + output + " would replace the input " + read + ": choose another --output");
        if (isWithin(out, in)) {
          throw new HunminException("output " + output + " lies inside the input " + read + ", which a rerun would read: choose another --output");
        }
      }
      // what it will match: an output the glob does not match yet (it does not exist) is read by the next run
      if (isGlob(given) && matchesLater(inFs.makeQualified(given), out)) {
        throw new HunminException("output " + output + " lies inside the input " + read + ", which a rerun would read: choose another --output");
      }
    }
  }

  /**
   * Whether {@code out} (real) is or lies below a path the glob (qualified) matches, component by component from
   * its fixed prefix (links in the prefix resolved): clean --input 'DIR/*' --output DIR/out reads DIR/out next time.
   */
  static boolean matchesLater(Path glob, Path out) throws IOException {
    Path prefix = globPrefix(glob);
    List<String> pattern = new ArrayList<>();
    for (Path p = glob; !p.equals(prefix); p = p.getParent()) pattern.add(0, p.getName());
    prefix = real(prefix);
    List<String> below = new ArrayList<>();
    Path q = out;
    for (; q != null && !q.equals(prefix); q = q.getParent()) below.add(0, q.getName());
    if (q == null || below.size() < pattern.size()) return false;
    for (int i = 0; i < pattern.size(); i++) {
      if (!org.apache.hadoop.fs.GlobPattern.compile(pattern.get(i)).matcher(below.get(i)).matches()) return false;
    }
    return true;
  }

  /** The deepest directory of a glob with no glob character in it: /data/in for /data/in/*.txt or /data/in/{a,b}/x. */
  static Path globPrefix(Path glob) {
    Path p = glob;
    while (p.getParent() != null && isGlob(p)) p = p.getParent();
    return p;
  }

  private static boolean isGlob(Path p) {
    return p.toString().matches(".*[*?\\[{].*");
  }

  /** A local path with its symbolic links resolved (as far as it exists); other stores have no links. */
  static Path real(Path qualified) throws IOException {
    if (!"file".equals(qualified.toUri().getScheme())) return qualified;
    return new Path("file", null, new java.io.File(qualified.toUri().getPath()).getCanonicalPath());
  }

  /** Whether {@code p} is {@code dir} or lies below it. */
  private static boolean isWithin(Path p, Path dir) {
    for (Path q = p; q != null; q = q.getParent()) if (q.equals(dir)) return true;
    return false;
  }

  /** How a run's hidden staging directory is named (StageOutput's, tokenize's): .NAME.tmp-F. */
  private static final java.util.regex.Pattern STAGING = java.util.regex.Pattern.compile("\\..+\\.tmp-[0-9a-f-]+");

  /** Whether dir is the staging directory of a run that has not renamed it into place (it died, or is running). */
  static boolean isStaging(Path dir) {
    return STAGING.matcher(dir.getName()).matches();
  }

  /** The staging directory itself, for files at the top of the output. */
  String dir() {
    return staging.toString();
  }

  /** Where the job writes; {@code sub} names a subdirectory such as docs. */
  String path(String sub) {
    return new Path(staging, sub).toString();
  }

  Path output() {
    return output;
  }

  /** {@link #renameParts} for Parquet, whose footers are first made the same on every run ({@link ParquetFooters}). */
  void renameParquetParts(JavaSparkContext jsc, String sub) throws IOException {
    ParquetFooters.canonicalizeAll(jsc, fs, new Path(staging, sub));
    renameParts(sub, ".parquet");
  }

  /** Renames Spark's part files in {@code sub} to part-00000.ext, … in their order, so reruns give the same names. */
  void renameParts(String sub, String extension) throws IOException {
    Path dir = new Path(staging, sub);
    FileStatus[] parts = fs.listStatus(dir, p -> p.getName().startsWith("part-"));
    Arrays.sort(parts, (a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
    for (int i = 0; i < parts.length; i++) {
      fs.rename(parts[i].getPath(), new Path(dir, String.format("part-%05d%s", i, extension)));
    }
  }

  void writeJson(String name, Object value) throws IOException {
    try (OutputStream out = fs.create(new Path(staging, name), true)) {
      JSON.writeValue(out, value);
    }
  }

  /** Writes the report, moves the staged directory into place and marks it complete with the config's fingerprint. */
  void commit(Map<String, Object> report, Settings settings) {
    try {
      String fingerprint = Completion.fingerprint(settings, fs.getConf());
      report.put("fingerprint", fingerprint);
      writeJson(REPORT, report);
      // the old marker goes first: a directory delete on S3 is a series of bulk deletes, and a reader must not see
      // _SUCCESS beside half-deleted data
      fs.delete(new Path(output, SUCCESS), false);
      if (fs.exists(output) && !fs.delete(output, true)) throw new IOException("cannot delete old " + output);
      if (!fs.rename(staging, output)) throw new IOException("cannot rename " + staging + " to " + output);
      Completion.mark(fs, output, settings.command(), fingerprint);
      committed = true;
      LOG.info("wrote {}", output);
    } catch (IOException e) {
      throw new HunminException("cannot write output " + output + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  /** Removes the staging directory of a run that did not commit. */
  @Override
  public void close() {
    if (committed) return;
    try {
      fs.delete(staging, true);
    } catch (IOException e) {
      LOG.warn("could not remove {}: {}", staging, e.getMessage());
    }
  }

  /**
   * A stage's input from an earlier stage: it must be complete, and made by {@code producedBy} where its marker
   * names the command (another producer's marker is foreign and trusted).
   */
  static Path requireComplete(Configuration conf, String dir, String producedBy) {
    Path path = new Path(dir);
    try {
      FileSystem fs = path.getFileSystem(conf);
      if (!fs.exists(path)) throw new HunminException("input not found: " + dir + " (run hunmin " + producedBy + " first)");
      if (fs.getFileStatus(path).isFile()) {
        throw new HunminException(dir + " is a file, not the output directory of hunmin " + producedBy + " (run hunmin " + producedBy + " on it first)");
      }
      Path marker = new Path(path, SUCCESS);
      if (!fs.exists(marker)) {
        throw new HunminException("input is incomplete: " + dir + " has no _SUCCESS (its hunmin " + producedBy + " run did not finish)");
      }
      String producer = Completion.producer(conf, marker);
      if (producer != null && !producer.equals(producedBy)) {
        throw new HunminException(dir + " is a hunmin " + producer + " output, not a hunmin " + producedBy + " output");
      }
      return fs.makeQualified(path);
    } catch (IOException e) {
      throw new HunminException("cannot read " + dir + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  /** A report entry's keys in the order given (Map.of's order changes from one JVM to the next). */
  static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) out.put((String) keysAndValues[i], keysAndValues[i + 1]);
    return out;
  }

  static List<String> names(FileStatus[] statuses) {
    List<String> out = new ArrayList<>();
    for (FileStatus s : statuses) out.add(s.getPath().getName());
    return out;
  }
}
