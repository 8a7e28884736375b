package dev.hunmin.jobs;

import dev.hunmin.util.HunminException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The one entry point: {@code hunmin <command> [flags]}, locally (submit/hunmin) or through spark-submit.
 * Exit codes: 0 done, 2 bad input or configuration, 3 external failure (storage, cluster), 1 unexpected.
 */
public final class Main {
  private Main() {}

  @FunctionalInterface
  interface Job {
    Map<String, Object> run(SparkSession spark, Settings settings) throws Exception;
  }

  record Command(String name, String summary, Job job) {}

  static final List<Command> COMMANDS = List.of(
      new Command("clean", "raw corpus → normalized, scrubbed, deduplicated, sentence-split documents", CleanJob::run),
      new Command("vocab", "clean docs → WordPiece vocabulary and Hugging Face tokenizer files", VocabJob::run),
      new Command("tokenize", "text file → token ids per line with a vocabulary (parity checks, inspection)", TokenizeJob::run),
      new Command("nsp", "clean docs + vocab → next-sentence-prediction examples as Parquet shards", NspJob::run),
      new Command("pretrain", "NSP shards → BertForPreTraining (DJL PyTorch), checkpoints, final model in Hugging Face layout", PretrainJob::run),
      new Command("export-hf", "a checkpoint or pretrain output → a Hugging Face model directory", ExportHfJob::run),
      new Command("fill-mask", "top-k tokens for [MASK] in texts, as Hugging Face's fill-mask pipeline", FillMaskJob::run),
      new Command("pipeline", "every stage in order on one corpus (the embedded sample by default)", PipelineJob::run),
      new Command("finetune", "a BERT directory → fine-tuned on a downstream task (NSMC, hate speech, question pairs, KorNLI, KorSTS), scored", FinetuneJob::run),
      new Command("evaluate", "models × tasks → the seeds' downstream table (Markdown and JSON), pretrained beside random init", EvaluateJob::run),
      new Command("predict", "a fine-tuned classifier scores a Parquet or text table across the executors (one predictor each)", PredictJob::run),
      new Command("audit", "canaries in a corpus → pretrained with PII scrubbing off and on → exposure and fill-mask probes (Markdown and JSON)", AuditJob::run),
      new Command("inspect", "a Parquet output (clean docs, nsp shards, any) → schema, rows per file, decoded sample rows", InspectJob::run));

  /**
   * The commands whose --output is a stage directory, with what an interrupted run of theirs leaves there: their
   * output is checked before Spark starts ({@link StageOutput#precheck}).
   */
  private static final Map<String, List<String>> STAGE_OUTPUTS = Map.of(
      "clean", List.of(StageOutput.REPORT), "vocab", List.of(StageOutput.REPORT), "nsp", List.of(StageOutput.REPORT),
      "pretrain", PretrainJob.FOOTPRINTS, "export-hf", List.of(StageOutput.REPORT), "finetune", List.of(StageOutput.REPORT),
      "evaluate", List.of(StageOutput.REPORT), "predict", List.of(StageOutput.REPORT), "audit", List.of(StageOutput.REPORT));

  static List<String> commandNames() {
    return COMMANDS.stream().map(Command::name).toList();
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    String command = args.length > 0 ? args[0] : "";
    try {
      Cli cli = Cli.parse(args);
      if (cli.command().isEmpty()) {
        // asked for (--help): done; no command at all: a scheduler must not read it as success
        (args.length == 0 ? err : out).println(usage());
        return args.length == 0 ? HunminException.BAD_INPUT : 0;
      }
      Command c = COMMANDS.stream().filter(x -> x.name().equals(cli.command())).findFirst()
          .orElseThrow(() -> new HunminException("unknown command '" + cli.command() + "' (commands: " + String.join(", ", commandNames()) + ")"));
      if (cli.help()) {
        out.println("hunmin " + c.name() + ": " + c.summary() + "\n\nFlags (defaults from conf/reference.conf):\n" + Settings.help(c.name()));
        return 0;
      }
      Settings settings = Settings.load(cli);
      // a finished step of the same configuration is left alone, and an output that cannot be written refused,
      // before any Spark starts
      org.apache.hadoop.conf.Configuration hadoop = Completion.hadoopConf(settings);
      if (settings.skipIfDone() && Completion.decide(settings, hadoop) == Completion.Decision.SKIP) {
        out.println(c.name() + ": " + Completion.skipped(settings, hadoop));
        return 0;
      }
      if (STAGE_OUTPUTS.containsKey(c.name())) StageOutput.precheck(hadoop, settings, STAGE_OUTPUTS.get(c.name()));
      Map.Entry<SparkSession, Boolean> session = Spark.session(settings);
      try {
        Map<String, Object> report = c.job().run(session.getKey(), settings);
        // a command whose output is its printout (inspect) prints only that, so it can be piped as JSON
        out.println(Redaction.scrub(report.containsKey("print") ? String.valueOf(report.get("print")) : c.name() + ": " + report.get("summary")));
        return 0;
      } finally {
        if (session.getValue()) session.getKey().stop();
      }
    } catch (Throwable t) {
      HunminException known = find(t);
      if (known != null) {
        String line = explain(known, t);
        err.println(Redaction.scrub("hunmin " + command + ": error: " + line.lines().findFirst().orElse(line)));
        return known.exitCode();
      }
      err.println(Redaction.scrub("hunmin " + command + ": unexpected error: " + firstLine(t)));
      java.io.StringWriter trace = new java.io.StringWriter();
      t.printStackTrace(new java.io.PrintWriter(trace));
      err.print(Redaction.scrub(trace.toString()));
      return 1;
    }
  }

  private static final java.util.regex.Pattern S3_STATUS =
      java.util.regex.Pattern.compile("Status Code: (\\d+); Error Code: ([^;]+);");

  /**
   * The error line; when the store refused the credentials, with what to check instead of the SDK's request detail.
   * S3A turns HTTP 401/403 (a wrong secret, an unknown key) and "no credentials found" into AccessDeniedException.
   */
  static String explain(HunminException known, Throwable t) {
    String message = known.getMessage();
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof java.nio.file.AccessDeniedException && String.valueOf(c.getMessage()).contains("s3a://")) {
        String check = "check the credentials (hunmin.s3.access-key/secret-key, or the AWS provider chain) and the bucket's permissions";
        java.util.regex.Matcher status = S3_STATUS.matcher(c.getMessage());
        if (!status.find() || !message.contains(c.getMessage())) return message + " (access denied by the S3 store: " + check + ")";
        return message.replace(c.getMessage(), "access denied by the S3 store (HTTP " + status.group(1) + ", "
            + status.group(2).trim() + "): " + check);
      }
    }
    return message;
  }

  private static final java.util.regex.Pattern NO_SUCH_BUCKET = java.util.regex.Pattern.compile("s3a://([^/\\s:]+)");

  /** The HunminException behind a failure, also when a Spark task threw it on an executor. */
  static HunminException find(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      // a file that does not match its .crc: changed behind Hadoop's back, or damaged; a retry reads the same bytes
      if (c instanceof org.apache.hadoop.fs.ChecksumException) {
        return new HunminException("corrupt input: " + firstLine(c) + " (the file does not match its .crc checksum)");
      }
      // a bucket that does not exist will not exist on a retry either (S3A reports it as an I/O failure)
      if (String.valueOf(c.getMessage()).contains("Error Code: NoSuchBucket")) {
        java.util.regex.Matcher bucket = NO_SUCH_BUCKET.matcher(String.valueOf(t.getMessage()));
        if (bucket.find()) return new HunminException("no such S3 bucket: " + bucket.group(1));
      }
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof HunminException h) return h;
    }
    String message = String.valueOf(t.getMessage());
    String marker = HunminException.class.getName() + ": ";
    int at = message.indexOf(marker);
    if (at >= 0) {
      String rest = message.substring(at + marker.length());
      return new HunminException(rest.lines().findFirst().orElse(rest).trim());
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      // Hadoop's Path refuses a ':' in a file or directory name (it would read as a URI scheme)
      if (c instanceof java.net.URISyntaxException u) {
        return new HunminException("not a usable path: " + u.getMessage() + " (Hadoop paths cannot hold ':' in a name)");
      }
    }
    HunminException parquet = unreadableParquet(t);
    if (parquet != null) return parquet;
    for (Throwable c = t; c != null; c = c.getCause()) {
      // the cluster stopped the application under the job: a master that is unreachable or gave up, a killed app
      String m = String.valueOf(c.getMessage());
      if (m.startsWith("Cannot call methods on a stopped SparkContext") || m.startsWith("LiveListenerBus is stopped")
          || m.contains("SparkContext was shut down")) {
        return new HunminException("the Spark application was stopped under the job (master unreachable, or the "
            + "cluster ended it; see Spark's log above)", HunminException.EXTERNAL, t);
      }
    }
    if (t instanceof java.io.IOException) {
      return new HunminException(firstLine(t), HunminException.EXTERNAL, t);
    }
    return null;
  }

  /**
   * Parquet that cannot be decoded (not Parquet at all, a corrupt footer or page) is bad input, wherever a task met
   * it: a retry reads the same bytes. The deepest cause names the file and what is wrong.
   */
  static HunminException unreadableParquet(Throwable t) {
    String found = null;
    for (Throwable c = t; c != null; c = c.getCause()) {
      String m = String.valueOf(c.getMessage());
      // a page header that does not decode: "can not read class org.apache.parquet.format.PageHeader"
      if (c.getClass().getName().equals("org.apache.parquet.io.ParquetDecodingException") || m.contains("is not a Parquet file")
          || m.contains("[CANNOT_READ_FILE_FOOTER]") || m.contains("org.apache.parquet.format.")) {
        found = m.lines().findFirst().orElse(m);
      }
    }
    return found == null ? null : new HunminException("unreadable Parquet input: " + found);
  }

  private static String firstLine(Throwable t) {
    String m = t.getClass().getSimpleName() + ": " + t.getMessage();
    return m.lines().findFirst().orElse(m);
  }

  static String usage() {
    StringBuilder b = new StringBuilder("usage: hunmin <command> [--flag value …] [--conf FILE] [--set key=value] [--overwrite] [--skip-if-done] [--help]\n\ncommands:\n");
    for (Command c : COMMANDS) b.append(String.format("  %-10s %s%n", c.name(), c.summary()));
    return b.toString();
  }
}
