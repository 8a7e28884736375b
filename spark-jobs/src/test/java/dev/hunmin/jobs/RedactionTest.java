package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/** Credentials never reach reports, --help or error lines; S3 settings reach the Hadoop configuration. No Spark here. */
class RedactionTest {
  @Test
  void credentialKeysAreRecognizedAndOrdinaryKeysAreNot() {
    for (String key : List.of("secret-key", "access-key", "session-token", "spark.hadoop.fs.s3a.secret.key",
        "\"spark.hadoop.fs.s3a.access.key\"", "fs.s3a.bucket.data.secret.key", "fs.s3a.session.token", "password", "token")) {
      assertTrue(Redaction.sensitive(key), key);
    }
    for (String key : List.of("max-token-length", "fs.s3a.aws.credentials.provider", "credentials-provider", "endpoint",
        "tokenizer", "path-style-access", "vocab")) {
      assertFalse(Redaction.sensitive(key), key);
    }
  }

  @Test
  void reportsHelpAndErrorsNeverShowASecret() {
    String secret = "Rd7-secret-value-for-redaction-test";
    Settings s = Settings.load(Cli.parse(new String[] {"clean", "--set", "s3.secret-key=" + secret,
        "--set", "spark.conf.spark.hadoop.fs.s3a.secret.key=" + secret, "--output", "s3a://bucket/clean"}));
    assertFalse(s.section().toString().contains(secret));
    assertFalse(s.render().contains(secret));
    assertEquals("s3a://bucket/" + Redaction.MASK + " and s3a://" + Redaction.MASK + "@b/k",
        Redaction.scrub("s3a://bucket/" + secret + " and s3a://AKIA:" + secret + "@b/k"));
    @SuppressWarnings("unchecked")
    Map<String, Object> tree = (Map<String, Object>) Redaction.tree(null,
        Map.of("secret-key", "x-long-value", "endpoint", "http://e", "nested", Map.of("session-token", "tok-long-value")));
    assertEquals(Redaction.MASK, tree.get("secret-key"));
    assertEquals("http://e", tree.get("endpoint"));
    assertEquals(Map.of("session-token", Redaction.MASK), tree.get("nested"));

    String help = Settings.help("pipeline");
    assertTrue(help.contains("--s3.secret-key"), help);
    assertFalse(help.contains(secret));

    // a value HOCON cannot parse, echoed (or not) by the parser's message: the error line masks it
    String other = "Qz9-unparsable-secret-value";
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(new String[] {"clean", "--set", "s3.secret-key=[" + other}, new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertNotEquals(0, exit);
    assertFalse(err.toString(StandardCharsets.UTF_8).contains(other), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void s3SettingsBecomeS3aKeysAndEmptyOnesLeaveS3aDefaults() {
    Settings s = Settings.load(Cli.parse(new String[] {"clean", "--s3.endpoint", "http://127.0.0.1:9000",
        "--set", "s3.path-style-access=true", "--set", "s3.access-key=AKIAEXAMPLE", "--set", "s3.secret-key=example-secret"}));
    Configuration conf = new Configuration(false);
    Spark.s3(s, conf);
    assertEquals("http://127.0.0.1:9000", conf.get("fs.s3a.endpoint"));
    assertEquals("false", conf.get("fs.s3a.connection.ssl.enabled"));
    assertEquals("true", conf.get("fs.s3a.path.style.access"));
    assertEquals("AKIAEXAMPLE", conf.get("fs.s3a.access.key"));
    assertEquals("example-secret", conf.get("fs.s3a.secret.key"));

    Configuration chain = new Configuration(false);
    chain.set("fs.s3a.path.style.access", "true");
    Spark.s3(Settings.load(Cli.parse(new String[] {"clean"})), chain);
    assertEquals(null, chain.get("fs.s3a.access.key"), "no key configured: the provider chain applies");
    assertEquals(null, chain.get("fs.s3a.endpoint"));
    assertEquals("true", chain.get("fs.s3a.path.style.access"), "a setting from spark.hadoop.* stays");
  }
}
