package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hunmin.util.HunminException;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Values given as text (flags, --set) take their key's type without losing what was typed. */
class SettingsTest {
  private static Settings load(String... args) {
    return Settings.load(Cli.parse(args));
  }

  @Test
  void numbersKeepEveryDigitAndListsSplitAtCommas() {
    assertEquals(1000000000000000001L, load("nsp", "--seed", "1000000000000000001").seed());
    assertEquals(1000000000000000000L, load("nsp", "--seed", "1000000000000000000").seed());
    assertEquals(20, load("pretrain", "--max-steps", "20").integer("max-steps"));
    assertEquals(0.5, load("nsp", "--nsp-prob", "5e-1").number("nsp-prob"));
    assertEquals(List.of("email", "phone"), load("clean", "--set", "clean.pii.kinds=email,phone").list("pii.kinds"));
    // as a report records it: a list, not the text "email"
    assertEquals(List.of("email"), ((java.util.Map<?, ?>) load("clean", "--set", "clean.pii.kinds=email").section().get("pii")).get("kinds"));
  }

  @Test
  void aDirectoryGivenAsConfIsNamedAsOne(@TempDir java.nio.file.Path dir) {
    Hunmin.Result r = Hunmin.run("clean", "--conf", dir.toString(), "--output", dir.resolve("out").toString());
    assertEquals(2, r.exit(), r.err());
    assertEquals("hunmin clean: error: config file " + dir + " is a directory; --conf takes a HOCON file", r.errorLine());
    assertTrue(Hunmin.run("clean", "--conf", dir.resolve("missing.conf").toString()).errorLine().contains("config file not found"));
  }

  @Test
  void anEmptyListEntryIsRefusedNotDropped() {
    assertEquals("--models (hunmin.evaluate.models): entry 2 of 'a,,b' is empty",
        assertThrows(HunminException.class, () -> load("evaluate", "--models", "a,,b").list("models")).getMessage());
    assertEquals("--models (hunmin.evaluate.models): entry 2 of 'a,' is empty",
        assertThrows(HunminException.class, () -> load("evaluate", "--models", "a,").list("models")).getMessage());
    assertEquals("--tasks (hunmin.evaluate.tasks): entry 1 of ',nsmc' is empty",
        assertThrows(HunminException.class, () -> load("evaluate", "--set", "evaluate.tasks=,nsmc").distinctList("tasks")).getMessage());
    assertEquals(List.of(), load("evaluate", "--models", "").list("models"), "no value at all: an empty list");
  }
}
