package dev.hunmin.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared corpora and evaluation sets beside the checkout ({@code ../shared/data}); never copied into the repo. */
public final class SharedData {
  private SharedData() {}

  public static Path root() {
    String configured = System.getProperty("hunmin.shared");
    Path shared = configured != null ? Path.of(configured) : Path.of("..", "shared");
    return shared.resolve("data").toAbsolutePath().normalize();
  }

  /** The path of a shared file; the test is skipped (not passed) where the shared data is absent. */
  public static Path require(String relative) {
    Path p = root().resolve(relative);
    assumeTrue(Files.isReadable(p), "shared data not found: " + p);
    return p;
  }
}
