package dev.hunmin.util;

import java.util.SplittableRandom;

/**
 * Random streams derived from (seed, stage, ids…), so a choice about a document or an example depends on nothing
 * but those: not on partitioning, core count or the order in which Spark happens to run things.
 */
public final class Seeds {
  private Seeds() {}

  public static long mix(long seed, String stage, long... ids) {
    long h = splitMix(seed ^ stage.hashCode());
    for (long id : ids) h = splitMix(h ^ splitMix(id));
    return h;
  }

  public static SplittableRandom random(long seed, String stage, long... ids) {
    return new SplittableRandom(mix(seed, stage, ids));
  }

  private static long splitMix(long z) {
    z += 0x9e3779b97f4a7c15L;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
