package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * s3a:// end to end against a real S3 server: S3Proxy with its filesystem backend and SigV4 authentication, on a
 * free loopback port. S3Proxy runs from its self-contained jar (copied to target/s3proxy by the build) in a JVM of
 * its own, since its Jetty, Guava and Jackson are not Spark's. The CLI runs in child JVMs too: that captures all it
 * prints (logs included) for the secret check, and a fresh JVM cannot reuse a cached S3A client with the right key.
 */
class S3ATest {
  private static final String BUCKET = "hunmin";
  private static final String ACCESS_KEY = "HUNMINTESTACCESSKEY1";
  /** Unique per run, so finding it anywhere is proof of a leak. */
  private static final String SECRET = "hunmin-secret-" + UUID.randomUUID();
  /**
   * S3A deletes the parent "directory" markers after each write by default; S3Proxy's filesystem backend maps such a
   * key to a real directory, cannot delete it while it holds files, and answers each of these deletes after ~20 s.
   * Keeping markers (S3A's own option, fine for Hadoop 3.3 readers) avoids that backend quirk.
   */
  private static final String KEEP_MARKERS = "spark.conf.spark.hadoop.fs.s3a.directory.marker.retention=keep";

  @TempDir static Path tmp;
  static Path data;
  static Process proxy;
  static String endpoint;

  @BeforeAll
  static void startS3Proxy() throws Exception {
    Path jar = Path.of(System.getProperty("hunmin.root", ".."), "spark-jobs", "target", "s3proxy", "s3proxy.jar");
    assertTrue(Files.isRegularFile(jar), "S3Proxy jar missing (mvn process-test-resources copies it): " + jar);
    data = tmp.resolve("s3-data");
    Files.createDirectories(data.resolve(BUCKET)); // a directory of the filesystem backend is a bucket
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    endpoint = "http://127.0.0.1:" + port;
    Path properties = tmp.resolve("s3proxy.properties");
    Files.writeString(properties, String.join("\n",
        "s3proxy.endpoint=" + endpoint,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + ACCESS_KEY,
        "s3proxy.credential=" + SECRET,
        "jclouds.provider=filesystem",
        "jclouds.filesystem.basedir=" + data) + "\n");
    proxy = new ProcessBuilder(java(), "-Xmx256m", "-jar", jar.toString(), "--properties", properties.toString())
        .redirectErrorStream(true).redirectOutput(tmp.resolve("s3proxy.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
        break;
      } catch (IOException e) {
        if (!proxy.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("S3Proxy did not start:\n" + Files.readString(tmp.resolve("s3proxy.log")));
        }
        Thread.sleep(200);
      }
    }
  }

  @AfterAll
  static void stopS3Proxy() throws InterruptedException {
    if (proxy == null) return;
    proxy.destroy();
    if (!proxy.waitFor(10, TimeUnit.SECONDS)) proxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** The whole pipeline with its input, every stage, the checkpoints and the model on S3; then export-hf from S3 to S3. */
  @Test
  void pipelineReadsAndWritesEverythingOnS3() throws Exception {
    try (FileSystem fs = s3(SECRET)) {
      fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(Hunmin.sample(tmp).toUri()), s3a("input/sample.txt"));
    }
    Run run = cli(Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET),
        "pipeline", "--overlay", "s3", "--input", "s3a://" + BUCKET + "/input/sample.txt", "--work", "s3a://" + BUCKET + "/work",
        "--pretrain-steps", "6", "--set", "clean.partitions=2", "--set", "nsp.shards=3", "--set", "nsp.max-seq-length=64",
        "--set", "vocab.vocab-size=1500", "--set", "pretrain.max-position-embeddings=64", "--set", "pretrain.eval-examples=16",
        "--set", KEEP_MARKERS);
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.out().contains("pipeline: stages done under s3a://" + BUCKET + "/work"), run.out());

    Path work = data.resolve(BUCKET).resolve("work");
    for (String stage : List.of("clean", "vocab", "nsp", "pretrain")) {
      assertTrue(Files.isRegularFile(work.resolve(stage).resolve("_SUCCESS")), stage + "/_SUCCESS on S3");
      assertTrue(Files.isRegularFile(work.resolve(stage).resolve("_REPORT.json")), stage + "/_REPORT.json on S3");
    }
    assertTrue(Files.isRegularFile(work.resolve("clean/docs/part-00000.parquet")));
    assertTrue(Files.isRegularFile(work.resolve("vocab/tokenizer.json")));
    assertEquals(3, listNames(work.resolve("nsp/shards")).stream().filter(n -> n.endsWith(".parquet")).count());
    for (String file : List.of("model.safetensors", "optimizer.safetensors", "trainer_state.json", "config.json", "vocab.txt")) {
      assertTrue(Files.isRegularFile(work.resolve("pretrain/checkpoints/step-6").resolve(file)), "checkpoint file " + file);
    }
    assertTrue(Files.isRegularFile(work.resolve("pretrain/final/model.safetensors")));
    assertTrue(Files.isRegularFile(work.resolve("pretrain/metrics.jsonl")));
    assertTrue(Files.readString(work.resolve("fill-mask.jsonl")).contains("token_str"));
    try (FileSystem fs = s3(SECRET)) {
      // objects, not prefixes: the filesystem backend keeps emptied directories, which LIST reports as prefixes
      var files = fs.listFiles(s3a("work"), true);
      while (files.hasNext()) {
        String file = files.next().getPath().toString();
        assertFalse(file.contains(".tmp"), "a staged file left behind: " + file);
      }
      assertTrue(StageOutput.names(fs.listStatus(s3a("work/pretrain/checkpoints"))).contains("step-6"));
    }

    // export-hf in this JVM, credentials through --set instead of the environment
    Hunmin.Result export = Hunmin.run("export-hf", "--model", "s3a://" + BUCKET + "/work/pretrain", "--output",
        "s3a://" + BUCKET + "/export", "--set", "s3.endpoint=" + endpoint, "--set", "s3.path-style-access=true",
        "--set", "s3.access-key=" + ACCESS_KEY, "--set", "s3.secret-key=" + SECRET, "--set", KEEP_MARKERS);
    assertEquals(0, export.exit(), export.err());
    for (String file : List.of("config.json", "model.safetensors", "tokenizer.json", "_REPORT.json", "_SUCCESS")) {
      assertTrue(Files.isRegularFile(data.resolve(BUCKET).resolve("export").resolve(file)), "export " + file);
    }

    assertFalse(run.out().contains(SECRET) || run.err().contains(SECRET), "the secret in the pipeline's output");
    assertFalse(export.out().contains(SECRET) || export.err().contains(SECRET), "the secret in export-hf's output");
    try (Stream<Path> files = Files.walk(data.resolve(BUCKET))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(SECRET), "the secret in " + f);
      }
    }
  }

  /** 12 MB through S3A's block output stream with 5 MB parts (S3's least): three parts, read back byte for byte. */
  @Test
  void largeFilesGoUpInParts() throws IOException {
    byte[] bytes = new byte[12 * 1024 * 1024 + 123];
    new Random(7).nextBytes(bytes);
    org.apache.hadoop.fs.Path big = s3a("large/blob.bin");
    try (FileSystem fs = s3(SECRET)) {
      try (OutputStream out = fs.create(big, true)) {
        out.write(bytes);
      }
      assertEquals(1, fs.getStorageStatistics().getLong("object_multipart_initiated"), "one multipart upload");
      try (InputStream in = fs.open(big)) {
        assertArrayEquals(bytes, in.readAllBytes());
      }
    }
    assertEquals(bytes.length, Files.size(data.resolve(BUCKET).resolve("large/blob.bin")), "one object on the server");
  }

  /** A wrong secret: one clear error line, exit code 3, no stack trace, and the secret nowhere. */
  @Test
  void aWrongSecretIsOneClearErrorLine() throws Exception {
    String wrong = "wrong-secret-" + UUID.randomUUID();
    Path conf = tmp.resolve("wrong.conf");
    Files.writeString(conf, "hunmin.s3 { endpoint = \"" + endpoint + "\", path-style-access = true, access-key = \""
        + ACCESS_KEY + "\", secret-key = \"" + wrong + "\" }\n");
    Run run = cli(Map.of(), "clean", "--conf", conf.toString(), "--input", "s3a://" + BUCKET + "/input/any.txt",
        "--output", "s3a://" + BUCKET + "/denied", "--set", KEEP_MARKERS);
    assertEquals(3, run.exit(), run.err());
    List<String> errors = run.err().lines().filter(l -> l.startsWith("hunmin clean: error: ")).toList();
    assertEquals(1, errors.size(), run.err());
    assertTrue(errors.get(0).contains("access denied by the S3 store (HTTP 403"), errors.get(0));
    assertFalse(errors.get(0).contains("AmazonS3Exception"), "the SDK's detail is replaced: " + errors.get(0));
    assertTrue(errors.get(0).contains("s3a://" + BUCKET + "/"), errors.get(0));
    assertFalse(errors.get(0).contains("_SUCCESS"), "names a marker the user never gave: " + errors.get(0));
    assertFalse(run.err().lines().anyMatch(l -> l.startsWith("\tat ")), "no stack trace:\n" + run.err());
    assertFalse(run.out().contains(wrong) || run.err().contains(wrong), "the secret in the output:\n" + run.err());
  }

  /** No credentials for an S3 input: the error names the input as given, not the marker the fingerprint looks for. */
  @Test
  void anUnreadableInputIsNamedAsGiven() throws Exception {
    String input = "s3a://" + BUCKET + "/input/any.txt";
    Run run = cli(Map.of(), "clean", "--set", "s3.endpoint=" + endpoint, "--set", "s3.path-style-access=true",
        "--set", "s3.credentials-provider=org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "--input", input, "--output", tmp.resolve("no-credentials").toString(), "--set", KEEP_MARKERS);
    assertEquals(3, run.exit(), run.err());
    List<String> errors = run.err().lines().filter(l -> l.startsWith("hunmin clean: error: ")).toList();
    assertEquals(1, errors.size(), run.err());
    assertTrue(errors.get(0).contains(input) && !errors.get(0).contains("_SUCCESS"), errors.get(0));
  }

  /** A bucket that does not exist is bad input (exit 2): a retry meets the same 404. */
  @Test
  void aMissingBucketIsBadInput() throws Exception {
    Run run = cli(Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET), "clean", "--overlay", "s3",
        "--set", "s3.endpoint=" + endpoint, "--set", "s3.path-style-access=true",
        "--input", "s3a://no-such-bucket/corpus.txt", "--output", tmp.resolve("nobucket").toString(), "--set", KEEP_MARKERS);
    assertEquals(2, run.exit(), run.err());
    List<String> errors = run.err().lines().filter(l -> l.startsWith("hunmin clean: error: ")).toList();
    assertEquals(List.of("hunmin clean: error: no such S3 bucket: no-such-bucket"), errors, run.err());
  }

  /**
   * An endpoint nothing listens on: S3A's own retries (20 SDK tries inside each of 7) kept the run silent for many
   * minutes; hunmin.s3.attempts bounds them, so it ends as an external failure (exit 3) in one line.
   */
  @Test
  void anUnreachableEndpointFailsSoonInOneLine() throws Exception {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort(); // free once closed: connections to it are refused
    }
    long started = System.nanoTime();
    Run run = cli(Map.of(), "clean", "--set", "s3.endpoint=http://127.0.0.1:" + closed, "--set", "s3.path-style-access=true",
        "--set", "s3.access-key=AK", "--set", "s3.secret-key=SK", "--input", "s3a://" + BUCKET + "/input/any.txt",
        "--output", tmp.resolve("unreachable").toString());
    long seconds = (System.nanoTime() - started) / 1_000_000_000L;
    assertEquals(3, run.exit(), run.err());
    List<String> errors = run.err().lines().filter(l -> l.startsWith("hunmin clean: error: ")).toList();
    assertEquals(1, errors.size(), run.err());
    assertTrue(errors.get(0).contains("127.0.0.1:" + closed), errors.get(0));
    assertTrue(seconds < 120, "S3A's retries were not bounded: " + seconds + " s");
  }

  // ---- helpers -------------------------------------------------------------------------------------------------

  private static org.apache.hadoop.fs.Path s3a(String key) {
    return new org.apache.hadoop.fs.Path("s3a://" + BUCKET + "/" + key);
  }

  /** A fresh (uncached) S3A client for the test's own reads and writes. */
  private static FileSystem s3(String secret) throws IOException {
    Configuration conf = new Configuration();
    conf.set("fs.s3a.endpoint", endpoint);
    conf.set("fs.s3a.connection.ssl.enabled", "false");
    conf.set("fs.s3a.path.style.access", "true");
    conf.set("fs.s3a.access.key", ACCESS_KEY);
    conf.set("fs.s3a.secret.key", secret);
    conf.set("fs.s3a.multipart.size", "5M");
    conf.set("fs.s3a.multipart.threshold", "5M");
    conf.set("fs.s3a.directory.marker.retention", "keep");
    return FileSystem.newInstance(URI.create("s3a://" + BUCKET + "/"), conf);
  }

  private static List<String> listNames(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  record Run(int exit, String out, String err) {}

  /**
   * The CLI in a JVM of its own (Main.main, as submit/hunmin runs it) with this test's class path, Hunmin's own log
   * configuration but everything at INFO, so that logs are part of what is searched for the secret.
   */
  private static Run cli(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(java(), "-Xmx2g", "-Dai.djl.offline=true",
        "-Dlog4j2.configurationFile=" + Path.of(S3ATest.class.getResource("/log4j2-s3-child.properties").toURI())));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions") || a.startsWith("-Djdk.reflect")) command.add(a);
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), args[0], "--overlay", "local"));
    command.addAll(List.of(args).subList(1, args.length));
    String name = args[0] + "-" + UUID.randomUUID();
    Path out = tmp.resolve(name + ".out");
    Path err = tmp.resolve(name + ".err");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().remove("AWS_ACCESS_KEY_ID");
    pb.environment().remove("AWS_SECRET_ACCESS_KEY");
    pb.environment().remove("AWS_SESSION_TOKEN");
    pb.environment().put("HUNMIN_S3_ENDPOINT", endpoint);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(8, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("the CLI did not finish in 8 minutes:\n" + Files.readString(err));
    }
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }
}
