package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launchers of submit/ and the cron entry as a user runs them, on a copy of submit/ and conf/ with stand-in jars
 * (no build needed): what they refuse, in one line and exit 2, and what they hand to spark-submit.
 */
class LaunchersTest {
  @TempDir Path tmp;
  private Path root;

  record Run(int exit, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }
  }

  @BeforeEach
  void copyOfTheLaunchers() throws IOException {
    Path source = Path.of(System.getProperty("hunmin.root", "..")).toAbsolutePath().normalize();
    root = tmp.resolve("hunmin");
    for (String dir : List.of("submit", "conf")) {
      try (Stream<Path> files = Files.walk(source.resolve(dir))) {
        for (Path f : files.toList()) {
          Path to = root.resolve(source.relativize(f).toString());
          if (Files.isDirectory(f)) Files.createDirectories(to);
          else Files.copy(f, to, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    Path target = Files.createDirectories(root.resolve("spark-jobs/target/lib"));
    for (String jar : List.of("hunmin-spark-jobs-0-cluster.jar", "lib/pytorch-jni-0.jar", "lib/pytorch-native-cpu-0.jar")) {
      Files.createFile(target.getParent().resolve(jar));
    }
  }

  private Run run(Map<String, String> env, String... command) throws IOException, InterruptedException {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().keySet().removeAll(List.of("SPARK_HOME", "JAVA_HOME", "HUNMIN_SUBMIT_OPTS", "HUNMIN_GPUS", "HUNMIN_PYTORCH_JARS"));
    env.forEach((k, v) -> {
      if (v == null) pb.environment().remove(k);
      else pb.environment().put(k, v);
    });
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor();
    }
    return new Run(p.isAlive() ? -1 : p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }

  private Path script(Path file, String body) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "#!/bin/sh\n" + body + "\n");
    file.toFile().setExecutable(true);
    return file;
  }

  /** A JDK that says it is Java 25 (the JVMs after 17 fail inside Spark). */
  private Path jdk25() throws IOException {
    Path home = tmp.resolve("jdk-25");
    script(home.resolve("bin/java"), "echo 'openjdk version \"25\" 2025-09-16' >&2");
    return home;
  }

  /** A SPARK_HOME whose spark-submit prints its arguments, one a line. */
  private Path echoingSparkHome() throws IOException {
    Path home = tmp.resolve("spark");
    script(home.resolve("bin/spark-submit"), "printf '%s\\n' \"$@\"");
    return home;
  }

  private static Map<String, String> env(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return m;
  }

  @Test
  void theLaunchersRunJavaHomesJavaAndRefuseAnyButJava17InOneLine() throws Exception {
    Path jdk25 = jdk25();
    String path = System.getenv("PATH");
    // a PATH with bash and dirname but no java
    Path bare = Files.createDirectories(tmp.resolve("bare"));
    for (String tool : List.of("bash", "dirname")) {
      Path found = Arrays.stream(path.split(":")).map(d -> Path.of(d, tool)).filter(Files::isExecutable).findFirst().orElseThrow();
      Files.createSymbolicLink(bare.resolve(tool), found);
    }
    for (String launcher : List.of("submit/hunmin", "submit/spark-submit.sh")) {
      Map<Map<String, String>, String> cases = Map.of(
          env("JAVA_HOME", jdk25.toString()), jdk25.resolve("bin/java") + " is Java 25",
          env("PATH", jdk25.resolve("bin") + ":" + path), jdk25.resolve("bin/java") + " is Java 25",
          env("JAVA_HOME", tmp.resolve("none").toString()), "JAVA_HOME=" + tmp.resolve("none") + " has no bin/java",
          env("PATH", bare.toString()), "no java on PATH and JAVA_HOME is not set");
      for (Map.Entry<Map<String, String>, String> c : cases.entrySet()) {
        Map<String, String> e = new HashMap<>(c.getKey());
        e.put("HUNMIN_CLASSPATH", "unused");
        Run r = run(e, launcher, "clean");
        assertEquals(2, r.exit(), launcher + " " + c.getKey() + ": " + r.err());
        assertEquals(List.of("java.sh: " + c.getValue() + "; Hunmin needs Java 17 (set JAVA_HOME to a JDK 17)"), r.errLines(), launcher);
      }
    }
    // JAVA_HOME's java wins over PATH's: the JDK 17 running this test
    Run help = run(env("JAVA_HOME", System.getProperty("java.home"), "PATH", jdk25.resolve("bin") + ":" + path,
        "HUNMIN_CLASSPATH", System.getProperty("java.class.path")), "submit/hunmin", "clean", "--help");
    assertEquals(0, help.exit(), help.err());
    assertTrue(help.out().startsWith("hunmin clean: "), help.out());
  }

  @Test
  void aLocalClusterMasterWithoutSparkHomeIsBadConfiguration() throws Exception {
    Run r = run(env("HUNMIN_CLASSPATH", System.getProperty("java.class.path")), "submit/hunmin", "clean",
        "--output", tmp.resolve("out").toString(), "--master", "local-cluster[1,1,1024]");
    assertEquals(2, r.exit(), r.err());
    List<String> errors = r.errLines().stream().filter(l -> l.startsWith("hunmin ")).toList();
    assertEquals(1, errors.size(), r.err());
    assertTrue(errors.get(0).startsWith("hunmin clean: error: --master local-cluster[1,1,1024] launches its executors from "
        + "SPARK_HOME/jars, but SPARK_HOME is not set"), errors.get(0));
    assertFalse(Files.exists(tmp.resolve("out")));
  }

  @Test
  void aSparkHomeWithoutSparkSubmitIsBadConfiguration() throws Exception {
    Path none = tmp.resolve("no-spark");
    Run r = run(env("SPARK_HOME", none.toString()), "submit/spark-submit.sh", "clean");
    assertEquals(2, r.exit(), r.err());
    assertEquals(List.of("spark-submit.sh: SPARK_HOME=" + none + " has no bin/spark-submit"), r.errLines());
  }

  @Test
  void filesJarsAndDriverOptionsOfHunminSubmitOptsAreJoinedToTheLaunchersOwn() throws Exception {
    String spark = echoingSparkHome().toString();
    Run r = run(env("SPARK_HOME", spark, "HUNMIN_GPUS", "1",
        "HUNMIN_SUBMIT_OPTS", "--master yarn --jars /opt/a.jar,/opt/b.jar --files=/opt/f.txt --conf \"spark.x=a b\""), "submit/spark-submit.sh", "pretrain");
    assertEquals(0, r.exit(), r.err());
    List<String> args = r.out().lines().toList();
    String lib = root.resolve("spark-jobs/target/lib").toString();
    assertEquals(List.of(lib + "/pytorch-jni-0.jar," + lib + "/pytorch-native-cpu-0.jar,/opt/a.jar,/opt/b.jar"), valuesOf(args, "--jars"));
    assertEquals(List.of(root.resolve("submit/gpu-discovery.sh") + ",/opt/f.txt"), valuesOf(args, "--files"));
    assertEquals(List.of("yarn"), valuesOf(args, "--master"));
    assertTrue(args.contains("spark.x=a b"), r.out());
    assertFalse(args.stream().anyMatch(a -> a.startsWith("--files=")), r.out());

    // one task per GPU: the executor's cores divided among them, so that every GPU has its replica
    List<String> gpus = run(env("SPARK_HOME", spark, "HUNMIN_GPUS", "2"), "submit/spark-submit.sh", "pretrain").out().lines().toList();
    List<String> confs = valuesOf(gpus, "--conf");
    assertEquals("spark.task.cpus=4", confs.stream().filter(c -> c.startsWith("spark.task.cpus=")).reduce((a, b) -> b).orElse(""), gpus.toString());
    assertEquals("spark.executor.cores=8", confs.stream().filter(c -> c.startsWith("spark.executor.cores=")).reduce((a, b) -> b).orElse(""));
    assertTrue(confs.contains("spark.executor.resource.gpu.amount=2"), confs.toString());
    Run notCount = run(env("SPARK_HOME", spark, "HUNMIN_GPUS", "two"), "submit/spark-submit.sh", "pretrain");
    assertEquals(2, notCount.exit(), notCount.err());
    assertEquals(List.of("spark-submit.sh: HUNMIN_GPUS=two: a count of GPUs per executor is needed"), notCount.errLines());

    // a command with no jars of its own gets the given ones alone
    Run clean = run(env("SPARK_HOME", spark, "HUNMIN_SUBMIT_OPTS", "--jars /opt/a.jar"), "submit/spark-submit.sh", "clean");
    assertEquals(List.of("/opt/a.jar"), valuesOf(clean.out().lines().toList(), "--jars"));
    assertEquals(List.of(), valuesOf(clean.out().lines().toList(), "--files"));

    // the driver's options given are added to the launcher's, which keep DJL offline
    Run driver = run(env("SPARK_HOME", spark, "HUNMIN_SUBMIT_OPTS", "--driver-java-options \"-Da=1 -Db=2\""), "submit/spark-submit.sh", "clean");
    List<String> options = valuesOf(driver.out().lines().toList(), "--driver-java-options");
    assertEquals(1, options.size(), driver.out());
    assertTrue(options.get(0).startsWith("-Dai.djl.offline=true ") && options.get(0).endsWith(" -Da=1 -Db=2"), options.get(0));
  }

  private static List<String> valuesOf(List<String> args, String option) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i + 1 < args.size(); i++) if (args.get(i).equals(option)) out.add(args.get(i + 1));
    return out;
  }

  @Test
  void anUnmatchedQuoteInHunminSubmitOptsIsOneLine() throws Exception {
    Run r = run(env("SPARK_HOME", echoingSparkHome().toString(), "HUNMIN_SUBMIT_OPTS", "--conf \"spark.x=a"), "submit/spark-submit.sh", "clean");
    assertEquals(2, r.exit(), r.err());
    assertEquals(List.of("spark-submit.sh: HUNMIN_SUBMIT_OPTS: unmatched quote"), r.errLines());
  }

  @Test
  void theStandaloneMasterDoesNotMoveFromABusyPort() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path dir = tmp.resolve("cluster");
      Run r = run(env("JAVA_HOME", System.getProperty("java.home"), "HUNMIN_CLUSTER_DIR", dir.toString(),
          "HUNMIN_MASTER_PORT", Integer.toString(busy.getLocalPort())), "submit/standalone-cluster.sh", "start");
      assertEquals(2, r.exit(), r.err());
      assertEquals(List.of("standalone-cluster.sh: port " + busy.getLocalPort() + " on 127.0.0.1 is in use; set HUNMIN_MASTER_PORT to a free one"),
          r.errLines());
      assertFalse(Files.exists(dir), "daemons were started");
    }
  }

  @Test
  void theCronEntryCreatesItsLogDirectory() throws Exception {
    script(root.resolve("submit/cron/steps.sh"), "echo steps ran");
    Map<String, String> env = new HashMap<>();
    String entry = null;
    for (String line : Files.readAllLines(root.resolve("submit/cron/hunmin.cron"))) {
      if (line.isBlank() || line.startsWith("#")) continue;
      java.util.regex.Matcher variable = java.util.regex.Pattern.compile("^([A-Z_]+)=\"?(.*?)\"?$").matcher(line);
      if (variable.matches()) env.put(variable.group(1), variable.group(2));
      else entry = line.trim().split("\\s+", 6)[5];
    }
    Path logs = tmp.resolve("log/hunmin");
    env.put("HUNMIN_HOME", root.toString());
    env.put("HUNMIN_LOG_DIR", logs.toString());
    Run r = run(env, "/bin/sh", "-c", entry);
    assertEquals(0, r.exit(), entry + ": " + r.err());
    assertEquals("steps ran\n", Files.readString(logs.resolve("steps.log")));
  }
}
