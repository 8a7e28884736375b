package dev.hunmin.examples;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Next-sentence-prediction examples from one document, as the seeds' TextDatasetForNextSentencePrediction and
 * Google BERT's create_instances_from_document build them: whole sentences accumulate into a chunk up to a target
 * length; segment A is the chunk's first a_end sentences; segment B is the rest (IsNext, label 0) or, half of the
 * time or when the chunk has one sentence, a span of a random other document (label 1), the unused sentences
 * being put back.
 *
 * <p>The random document is not at hand here (documents live on other executors), so a random-next example comes
 * out as {@link Pending}: which document, where in it to start (a uniform draw, mapped to a sentence once its
 * length is known) and how many tokens to take. {@link #randomNextSegment} and {@link #finish} complete it. The
 * document's own random stream never depends on another document's content.
 */
public final class NextSentencePrediction {
  private NextSentencePrediction() {}

  /** maxSeqLength counts [CLS] A [SEP] B [SEP]; so max_num_tokens = maxSeqLength − 3. */
  public record Params(int maxSeqLength, double shortSeqProb, double nspProb) implements Serializable {
    public int maxNumTokens() {
      return maxSeqLength - 3;
    }
  }

  /**
   * An example before truncation. For IsNext, tokensB is set; for a random next, tokensB is null and randomDoc,
   * randomStart (uniform in [0, 1)) and targetBLength say which span of which document becomes B. forcedRandom:
   * the chunk had one sentence, so no coin was tossed (this lifts the label-1 share above nspProb).
   */
  public record Pending(int index, int[] tokensA, int[] tokensB, long randomDoc, double randomStart, int targetBLength,
      boolean shortTarget, boolean forcedRandom) implements Serializable {
    public boolean isRandomNext() {
      return tokensB == null;
    }
  }

  /** A finished example: [CLS] A [SEP] B [SEP] and its token types; label 0 IsNext, 1 random (Hugging Face's). */
  public record Example(int[] inputIds, byte[] tokenTypeIds, int nextSentenceLabel) implements Serializable {}

  /** The seeds' create_examples_from_document. */
  public static List<Pending> createInstancesFromDocument(List<int[]> document, long docIndex, long numDocs, Params p,
      SplittableRandom rng) {
    int maxNumTokens = p.maxNumTokens();
    int targetSeqLength = maxNumTokens;
    boolean shortTarget = rng.nextDouble() < p.shortSeqProb();
    if (shortTarget) targetSeqLength = 2 + rng.nextInt(maxNumTokens - 1); // randint(2, max_num_tokens)

    List<Pending> out = new ArrayList<>();
    List<int[]> currentChunk = new ArrayList<>();
    int currentLength = 0;
    int i = 0;
    while (i < document.size()) {
      int[] segment = document.get(i);
      currentChunk.add(segment);
      currentLength += segment.length;
      if (i == document.size() - 1 || currentLength >= targetSeqLength) {
        if (!currentChunk.isEmpty()) {
          int aEnd = 1;
          if (currentChunk.size() >= 2) aEnd = 1 + rng.nextInt(currentChunk.size() - 1); // randint(1, len - 1)
          int[] tokensA = concat(currentChunk.subList(0, aEnd));
          boolean forced = currentChunk.size() == 1;
          if (forced || rng.nextDouble() < p.nspProb()) {
            long randomDoc = randomOtherDocument(docIndex, numDocs, rng);
            double randomStart = rng.nextDouble();
            out.add(new Pending(out.size(), tokensA, null, randomDoc, randomStart, targetSeqLength - tokensA.length,
                shortTarget, forced));
            i -= currentChunk.size() - aEnd; // put the unused sentences back
          } else {
            out.add(new Pending(out.size(), tokensA, concat(currentChunk.subList(aEnd, currentChunk.size())), -1, 0, 0,
                shortTarget, false));
          }
        }
        currentChunk = new ArrayList<>();
        currentLength = 0;
      }
      i++;
    }
    return out;
  }

  /** Ten tries at a document other than this one, as the seeds do; a one-document corpus draws itself. */
  static long randomOtherDocument(long docIndex, long numDocs, SplittableRandom rng) {
    long candidate = docIndex;
    for (int t = 0; t < 10; t++) {
      candidate = rng.nextLong(numDocs);
      if (candidate != docIndex) break;
    }
    return candidate;
  }

  /** Segment B of a random next: sentences of the random document from randomStart until targetBLength tokens. */
  public static int[] randomNextSegment(List<int[]> randomDocument, double randomStart, int targetBLength) {
    int start = Math.min((int) (randomStart * randomDocument.size()), randomDocument.size() - 1);
    List<int[]> taken = new ArrayList<>();
    int length = 0;
    for (int j = start; j < randomDocument.size(); j++) {
      taken.add(randomDocument.get(j));
      length += randomDocument.get(j).length;
      if (length >= targetBLength) break;
    }
    return concat(taken);
  }

  /** Truncates the pair and adds [CLS] and [SEP]; rng decides which end each removed token comes from. */
  public static Example finish(int[] tokensA, int[] tokensB, boolean randomNext, Params p, int clsId, int sepId,
      SplittableRandom rng) {
    int[][] pair = truncateSeqPair(tokensA, tokensB, p.maxNumTokens(), rng);
    int[] a = pair[0];
    int[] b = pair[1];
    if (a.length < 1 || b.length < 1) throw new IllegalStateException("an example without both segments");
    int[] ids = new int[a.length + b.length + 3];
    byte[] types = new byte[ids.length];
    ids[0] = clsId;
    System.arraycopy(a, 0, ids, 1, a.length);
    ids[a.length + 1] = sepId;
    System.arraycopy(b, 0, ids, a.length + 2, b.length);
    ids[ids.length - 1] = sepId;
    Arrays.fill(types, a.length + 2, ids.length, (byte) 1); // B and its [SEP]
    return new Example(ids, types, randomNext ? 1 : 0);
  }

  /** Google BERT's truncate_seq_pair: from the longer segment, at the front or the back at random, until it fits. */
  public static int[][] truncateSeqPair(int[] tokensA, int[] tokensB, int maxNumTokens, SplittableRandom rng) {
    int aFrom = 0;
    int aTo = tokensA.length;
    int bFrom = 0;
    int bTo = tokensB.length;
    while ((aTo - aFrom) + (bTo - bFrom) > maxNumTokens) {
      boolean truncA = (aTo - aFrom) > (bTo - bFrom);
      boolean front = rng.nextDouble() < 0.5;
      if (truncA) {
        if (front) aFrom++;
        else aTo--;
      } else {
        if (front) bFrom++;
        else bTo--;
      }
    }
    return new int[][] {Arrays.copyOfRange(tokensA, aFrom, aTo), Arrays.copyOfRange(tokensB, bFrom, bTo)};
  }

  static int[] concat(List<int[]> segments) {
    int n = 0;
    for (int[] s : segments) n += s.length;
    int[] out = new int[n];
    int at = 0;
    for (int[] s : segments) {
      System.arraycopy(s, 0, out, at, s.length);
      at += s.length;
    }
    return out;
  }
}
