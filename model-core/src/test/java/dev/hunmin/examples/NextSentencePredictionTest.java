package dev.hunmin.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hunmin.examples.NextSentencePrediction.Example;
import dev.hunmin.examples.NextSentencePrediction.Params;
import dev.hunmin.examples.NextSentencePrediction.Pending;
import dev.hunmin.util.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class NextSentencePredictionTest {
  private static final int CLS = 2;
  private static final int SEP = 3;

  /** A document of sentences whose tokens number them: sentence s holds s*100, s*100+1, … */
  private static List<int[]> document(int... lengths) {
    List<int[]> doc = new ArrayList<>();
    for (int s = 0; s < lengths.length; s++) {
      int base = (s + 1) * 100;
      doc.add(IntStream.range(0, lengths[s]).map(i -> base + i).toArray());
    }
    return doc;
  }

  private static Example finish(Pending x, List<int[]> randomDoc, Params p, long seed) {
    int[] b = x.isRandomNext() ? NextSentencePrediction.randomNextSegment(randomDoc, x.randomStart(), x.targetBLength()) : x.tokensB();
    return NextSentencePrediction.finish(x.tokensA(), b, x.isRandomNext(), p, CLS, SEP, new SplittableRandom(seed));
  }

  @Test
  void aOneSentenceDocumentCanOnlyHaveARandomNext() {
    List<Pending> out = NextSentencePrediction.createInstancesFromDocument(document(5), 0, 2, new Params(32, 0, 0), new SplittableRandom(1));
    assertEquals(1, out.size());
    assertTrue(out.get(0).isRandomNext());
    assertEquals(1, out.get(0).randomDoc(), "the other document");
    assertEquals(32 - 3 - 5, out.get(0).targetBLength(), "the target length (max_num_tokens) less A");
  }

  @Test
  void aDocumentLongerThanTheBlockGivesSeveralExamplesThatFit() {
    Params p = new Params(32, 0.0, 0.0); // always IsNext where the chunk allows
    List<int[]> doc = document(10, 10, 10, 10, 10, 10, 10, 10, 10, 10);
    List<Pending> out = NextSentencePrediction.createInstancesFromDocument(doc, 0, 1, p, new SplittableRandom(7));
    assertTrue(out.size() >= 3, "10 sentences of 10 tokens in blocks of 29");
    for (Pending x : out) {
      Example e = finish(x, doc, p, 3);
      assertTrue(e.inputIds().length <= 32);
      assertEquals(CLS, e.inputIds()[0]);
      assertEquals(SEP, e.inputIds()[e.inputIds().length - 1]);
      int sepA = indexOf(e.inputIds(), SEP);
      for (int i = 0; i < e.inputIds().length; i++) assertEquals(i <= sepA ? 0 : 1, e.tokenTypeIds()[i], "token type at " + i);
      assertTrue(sepA >= 2 && sepA <= e.inputIds().length - 3, "both segments present");
      if (!x.isRandomNext()) {
        assertEquals(0, e.nextSentenceLabel());
        int lastA = e.inputIds()[sepA - 1] / 100;
        int firstB = e.inputIds()[sepA + 1] / 100;
        assertTrue(firstB == lastA + 1 || firstB == lastA, "B continues A within the document: " + lastA + " → " + firstB);
      }
    }
  }

  @Test
  void randomNextsPutTheUnusedSentencesBack() {
    Params p = new Params(40, 0.0, 1.0); // every chunk gets a random next
    List<int[]> doc = document(4, 5, 6, 4, 5, 6, 4, 5, 6, 4, 5, 6);
    List<Pending> out = NextSentencePrediction.createInstancesFromDocument(doc, 3, 10, p, new SplittableRandom(11));
    List<Integer> sentencesInA = new ArrayList<>();
    for (Pending x : out) {
      assertTrue(x.isRandomNext());
      assertTrue(x.randomDoc() != 3);
      for (int t : x.tokensA()) if (t % 100 == 0) sentencesInA.add(t / 100);
    }
    assertEquals(IntStream.rangeClosed(1, 12).boxed().toList(), sentencesInA, "A segments partition the document in order");
  }

  @Test
  void twoDocumentsDrawEachOther() {
    Params p = new Params(64, 0.0, 1.0);
    for (long doc = 0; doc < 2; doc++) {
      for (Pending x : NextSentencePrediction.createInstancesFromDocument(document(3, 3, 3), doc, 2, p, Seeds.random(5, "t", doc))) {
        assertEquals(1 - doc, x.randomDoc());
      }
    }
  }

  @Test
  void truncateSeqPairShortensTheLongerSegment() {
    int[][] t = NextSentencePrediction.truncateSeqPair(new int[] {1, 2, 3, 4, 5, 6, 7}, new int[] {8, 9}, 5, new SplittableRandom(0));
    assertEquals(3, t[0].length);
    assertArrayEquals(new int[] {8, 9}, t[1]);
    int[][] u = NextSentencePrediction.truncateSeqPair(new int[] {1, 2}, new int[] {3, 4}, 3, new SplittableRandom(0));
    assertEquals(3, u[0].length + u[1].length);
  }

  /**
   * The seeds force a random next for a one-sentence chunk (a document's last, or any chunk under a short target),
   * which lifts the overall label-1 share above nsp_prob by design; where the coin decides it is nsp_prob.
   */
  @Test
  void statisticsOverALargeCorpus() {
    Params p = new Params(64, 0.1, 0.5);
    SplittableRandom lengths = new SplittableRandom(99);
    long examples = 0;
    long random = 0;
    long forced = 0;
    long shortDocs = 0;
    int docs = 3000;
    for (long d = 0; d < docs; d++) {
      List<int[]> doc = new ArrayList<>();
      int n = 30 + lengths.nextInt(30);
      for (int s = 0; s < n; s++) doc.add(IntStream.range(0, 3 + lengths.nextInt(12)).map(i -> 1000 + i).toArray());
      List<Pending> out = NextSentencePrediction.createInstancesFromDocument(doc, d, docs, p, Seeds.random(42, "nsp", 0, d));
      if (!out.isEmpty() && out.get(0).shortTarget()) shortDocs++;
      for (Pending x : out) {
        Example e = finish(x, doc, p, d * 31 + x.index());
        assertTrue(e.inputIds().length <= 64);
        examples++;
        random += e.nextSentenceLabel();
        if (x.forcedRandom()) forced++;
      }
    }
    double coinShare = (double) (random - forced) / (examples - forced);
    double shortShare = (double) shortDocs / docs;
    System.out.printf("nsp statistics: %d examples, random next %.4f overall, %.4f where the coin decides (%d forced), short targets %.4f of documents%n",
        examples, (double) random / examples, coinShare, forced, shortShare);
    assertEquals(0.5, coinShare, 0.02);
    assertEquals(0.1, shortShare, 0.02);
  }

  @Test
  void staticMaskingFollowsGoogleBert() {
    int[] ids = new int[100];
    ids[0] = CLS;
    for (int i = 1; i < 99; i++) ids[i] = 10 + i;
    ids[99] = SEP;
    long masked = 0;
    long kept = 0;
    long total = 0;
    for (int r = 0; r < 2000; r++) {
      MaskedLm.Masked m = MaskedLm.createMaskedLmPredictions(ids, CLS, SEP, 4, 1000, new MaskedLm.Params(0.15, 20), new SplittableRandom(r));
      assertEquals(15, m.positions().length);
      for (int k = 0; k < m.positions().length; k++) {
        int pos = m.positions()[k];
        assertTrue(pos > 0 && pos < 99 && (k == 0 || pos > m.positions()[k - 1]));
        assertEquals(ids[pos], m.labels()[k]);
        if (m.inputIds()[pos] == 4) masked++;
        else if (m.inputIds()[pos] == ids[pos]) kept++;
        total++;
      }
    }
    assertEquals(0.8, (double) masked / total, 0.01);
    assertEquals(0.1, (double) kept / total, 0.01);
  }

  private static int indexOf(int[] a, int v) {
    for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
    return -1;
  }
}
