package dev.hunmin.text;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hunmin.testing.SharedData;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.ko.KoreanTokenizer;
import org.apache.lucene.analysis.ko.POS;
import org.apache.lucene.analysis.ko.tokenattributes.PartOfSpeechAttribute;
import org.junit.jupiter.api.Test;

/**
 * Sentence-boundary F1 on paragraphs made by concatenating single gold sentences from the shared evaluation sets
 * (KorSTS, KorNLI, question pairs), joined with a space and without one. Target: F1 ≥ 0.98 over all. The
 * classifier learns from the training splits ({@link SentenceBoundaryTrainer#GOLD_TRAINING}), so only the other
 * splits are scored, without any item that is also a training sentence; KorNLI is never trained on.
 */
class SentenceBoundaryEvalTest {

  record Score(long gold, long predicted, long correct) {
    double precision() { return predicted == 0 ? 1 : (double) correct / predicted; }
    double recall() { return gold == 0 ? 1 : (double) correct / gold; }
    double f1() { double p = precision(), r = recall(); return p + r == 0 ? 0 : 2 * p * r / (p + r); }
    Score plus(Score o) { return new Score(gold + o.gold, predicted + o.predicted, correct + o.correct); }
    @Override public String toString() {
      return String.format("P=%.4f R=%.4f F1=%.4f (gold %d, predicted %d)", precision(), recall(), f1(), gold, predicted);
    }
  }

  @Test
  void boundaryF1OnConcatenatedGoldSentences() throws IOException {
    Set<String> trained = new HashSet<>();
    for (String file : SentenceBoundaryTrainer.GOLD_TRAINING) {
      trained.addAll(SentenceBoundaryTrainer.goldSentences(SharedData.require("eval/" + file)));
    }
    Map<String, List<String>> sources = new LinkedHashMap<>();
    sources.put("korsts", heldOut(trained, "korsts/sts-dev.tsv", "korsts/sts-test.tsv"));
    sources.put("kornli", heldOut(trained, "kornli/xnli.dev.ko.tsv", "kornli/xnli.test.ko.tsv"));
    sources.put("question_pair", heldOut(trained, "question_pair/validation.txt", "question_pair/test.txt"));

    KoreanSentenceSplitter splitter = new KoreanSentenceSplitter(true);
    Score sentenceForm = new Score(0, 0, 0);
    Score all = new Score(0, 0, 0);
    for (Map.Entry<String, List<String>> source : sources.entrySet()) {
      List<String> sentences = source.getValue().stream().filter(SentenceBoundaryEvalTest::inSentenceForm).toList();
      for (String joiner : List.of(" ", "")) {
        String how = joiner.isEmpty() ? "nothing" : "space";
        Score score = evaluate(splitter, sentences, joiner, new Random(42));
        Score withFragments = evaluate(splitter, source.getValue(), joiner, new Random(42));
        System.out.printf("sentence split %-14s joined by %-7s sentences  %s%n", source.getKey(), how, score);
        System.out.printf("sentence split %-14s joined by %-7s +fragments %s%n", source.getKey(), how, withFragments);
        sentenceForm = sentenceForm.plus(score);
        all = all.plus(withFragments);
      }
    }
    System.out.println("sentence split overall, sentences            " + sentenceForm);
    System.out.println("sentence split overall, with fragments       " + all);
    // The target: F1 ≥ 0.98 on gold sentences (README, "Sentence splitting"); unpunctuated informal sentences glued
    // together (question pairs, about 0.94–0.95) are what holds it down.
    assertTrue(sentenceForm.f1() >= 0.98, "boundary F1 on gold sentences below 0.98: " + sentenceForm);
    // fragments (headlines such as "시리아에서 인터넷 서비스 재개") carry no boundary signal; a floor at today's figure
    assertTrue(all.f1() >= 0.95, "boundary F1 with fragments below 0.95: " + all);
  }

  /**
   * A gold item in sentence form ends in terminal punctuation or in a verbal ending (Nori's E). Headlines and
   * noun-phrase fragments end in neither: two of them glued together have no boundary any reader could see.
   */
  static boolean inSentenceForm(String item) {
    if (item.matches(".*[.?!…]+[\"'”’)]*$")) return true;
    try (KoreanTokenizer tokenizer = new KoreanTokenizer(TokenStream.DEFAULT_TOKEN_ATTRIBUTE_FACTORY, null,
        KoreanTokenizer.DecompoundMode.NONE, false, true)) {
      PartOfSpeechAttribute pos = tokenizer.addAttribute(PartOfSpeechAttribute.class);
      tokenizer.setReader(new StringReader(item));
      tokenizer.reset();
      POS.Tag last = null;
      while (tokenizer.incrementToken()) last = pos.getRightPOS();
      tokenizer.end();
      return last == POS.Tag.E;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The gold sentences of the files, each once, without those the classifier was trained on. */
  private static List<String> heldOut(Set<String> trained, String... files) throws IOException {
    Set<String> out = new LinkedHashSet<>();
    for (String file : files) out.addAll(SentenceBoundaryTrainer.goldSentences(SharedData.require("eval/" + file)));
    out.removeAll(trained);
    return new ArrayList<>(out);
  }

  /** Paragraphs of 2–5 shuffled sentences; a boundary is the character offset where a gold sentence ends. */
  static Score evaluate(KoreanSentenceSplitter splitter, List<String> sentences, String joiner, Random random) {
    List<String> pool = new ArrayList<>(sentences);
    Collections.shuffle(pool, random);
    long gold = 0, predicted = 0, correct = 0;
    for (int i = 0; i < pool.size(); ) {
      int k = Math.min(2 + random.nextInt(4), pool.size() - i);
      List<String> group = pool.subList(i, i + k);
      i += k;
      String paragraph = String.join(joiner, group);
      Set<Integer> goldCuts = new LinkedHashSet<>();
      int at = 0;
      for (int j = 0; j < group.size() - 1; j++) {
        at += group.get(j).length();
        goldCuts.add(at);
        at += joiner.length();
      }
      Set<Integer> predictedCuts = new LinkedHashSet<>();
      int from = 0;
      List<String> pieces = splitter.split(paragraph);
      for (int j = 0; j < pieces.size() - 1; j++) {
        int start = paragraph.indexOf(pieces.get(j), from);
        from = start + pieces.get(j).length();
        predictedCuts.add(from);
      }
      if (Boolean.getBoolean("hunmin.debugSplit") && !predictedCuts.equals(goldCuts) && random.nextInt(8) == 0) {
        System.out.println("GOLD " + group + "\nGOT  " + pieces);
      }
      gold += goldCuts.size();
      predicted += predictedCuts.size();
      predictedCuts.retainAll(goldCuts);
      correct += predictedCuts.size();
    }
    return new Score(gold, predicted, correct);
  }
}
