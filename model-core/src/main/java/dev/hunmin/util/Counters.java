package dev.hunmin.util;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/** Named counts that an algorithm bumps and a job sums across partitions into its report. */
public final class Counters implements Serializable {
  private static final long serialVersionUID = 1L;
  private final TreeMap<String, Long> counts = new TreeMap<>();

  public void add(String name, long delta) {
    if (delta != 0) counts.merge(name, delta, Long::sum);
  }

  public void increment(String name) {
    add(name, 1);
  }

  public long get(String name) {
    return counts.getOrDefault(name, 0L);
  }

  public Counters merge(Counters other) {
    other.counts.forEach(this::add);
    return this;
  }

  /** The counts whose names start with {@code prefix}, with the prefix removed. */
  public Map<String, Long> withPrefix(String prefix) {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> {
      if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v);
    });
    return out;
  }

  public Map<String, Long> asMap() {
    return new TreeMap<>(counts);
  }

  @Override
  public String toString() {
    return counts.toString();
  }
}
