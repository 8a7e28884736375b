package dev.hunmin.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Trains the bundled sentence-boundary classifier ({@link SentenceBoundaryModel}) on two kinds of sentences: the
 * shared pretraining corpus (../shared/data/corpus: petitions, news comments, every 4th movie review), whose only
 * boundaries are its punctuation, and the gold single sentences of the evaluation sets' training splits ({@link
 * #GOLD_TRAINING}: KorSTS train, question-pair train). {@code SentenceBoundaryEvalTest} scores the other splits
 * (and KorNLI, never trained on), leaving out any item that is also a training sentence.
 *
 * <p>Corpus sentences are the pieces that punctuation alone ends (split without morphology). Most lose their
 * terminal punctuation, so that their ends become boundaries only an ending marks. Gold sentences stay as they are
 * (the evaluation joins them so); a tenth of them is held out, and the rest is shuffled into paragraphs
 * {@value #GOLD_REPEATS} times, since their labels are exact where the corpus's are noisy. Paragraphs of 2–5
 * sentences from one source are joined by a space or by nothing, and every candidate the splitter offers there is
 * labelled by whether a sentence ends at it. Logistic regression, AdaGrad, fixed seed: the same data gives the same
 * weights. The decision threshold is the one with the best F1 on the held-out gold paragraphs.
 *
 * <pre>
 *   mvn -q -o -pl model-core test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 *   java -Xmx8g -cp model-core/target/classes:model-core/target/test-classes:$(cat model-core/target/cp.txt) \
 *     dev.hunmin.text.SentenceBoundaryTrainer ../shared/data \
 *     model-core/src/main/resources/dev/hunmin/text/sentence-boundary.tsv.gz
 * </pre>
 */
public final class SentenceBoundaryTrainer {
  private static final long SEED = 20240917L;
  private static final int MAX_SENTENCES = 250_000;
  private static final int REVIEW_STRIDE = 4;
  /** Share of gold sentences whose terminal punctuation is removed. */
  private static final double STRIP = 0.75;
  private static final int MIN_FEATURE_COUNT = 3;
  private static final int EPOCHS = 8;
  private static final double LEARNING_RATE = 0.2;
  private static final double L2 = 1e-3;
  /** Weights smaller than this are left out of the shipped file. */
  private static final double MIN_WEIGHT = 0.01;
  /** The evaluation sets' training splits, whose single gold sentences the classifier learns from. */
  static final List<String> GOLD_TRAINING = List.of("korsts/sts-train.tsv", "question_pair/train.txt");
  /** How many times the gold sentences are shuffled into training paragraphs. */
  private static final int GOLD_REPEATS = 8;

  private static final Pattern TERMINAL_END = Pattern.compile(".*[.?!…]+[\"'”’)]*$");
  private static final Pattern INTERNAL_BOUNDARY = Pattern.compile("[.?!…]+[\"'”’)]*\\s+\\S");
  /**
   * A gold item that itself holds a boundary is not a single sentence: punctuation and a space inside it ("정말. 정말
   * 쉽지가 않네."), or punctuation glued between two Hangul words ("마주 보고 앉아 있다.한 사람이 가리키고 있다.").
   */
  static final Pattern GOLD_INTERNAL_BOUNDARY = Pattern.compile("[.?!…]+[\"'”’)]*\\s+\\S|[가-힣][.?!…]+[가-힣]");
  /** Laughter or crying followed by more words: in informal text, usually an unmarked sentence end. */
  private static final Pattern RUN_ON_LAUGHTER = Pattern.compile("[ㅋㅎㅠㅜ~^]{2,}\\s+\\S");
  private static final Pattern STRIPPABLE = Pattern.compile("[.?!…~]+$");

  record Example(int[] features, boolean boundary) {}

  record Paragraph(String text, Set<Integer> gold) {}

  /** A gold sentence and the corpus it comes from: a paragraph keeps to one source, so to one register. */
  record Sentence(String text, int source) {}

  public static void main(String[] args) throws IOException {
    Path data = Path.of(args.length > 0 ? args[0] : "../shared/data");
    Path out = Path.of(args.length > 1 ? args[1]
        : "model-core/src/main/resources/dev/hunmin/text/" + SentenceBoundaryModel.RESOURCE);
    long t0 = System.nanoTime();
    List<Sentence> sentences = corpusSentences(data.resolve("corpus"));
    Random random = new Random(SEED);
    Collections.shuffle(sentences, random);
    if (sentences.size() > MAX_SENTENCES) sentences = sentences.subList(0, MAX_SENTENCES);
    List<Paragraph> train = new ArrayList<>(paragraphs(sentences, random));
    List<Paragraph> dev = new ArrayList<>();
    for (List<String> gold : goldTrainingSentences(data.resolve("eval"))) {
      List<String> pool = new ArrayList<>(gold);
      Collections.shuffle(pool, random);
      int held = pool.size() / 10;
      dev.addAll(joined(pool.subList(0, held), random));
      for (int r = 0; r < GOLD_REPEATS; r++) {
        List<String> repeat = new ArrayList<>(pool.subList(held, pool.size()));
        Collections.shuffle(repeat, random);
        train.addAll(joined(repeat, random));
      }
    }
    System.out.printf("%d corpus sentences: %d training paragraphs, %d held out%n", sentences.size(), train.size(),
        dev.size());

    KoreanSentenceSplitter analyzer = new KoreanSentenceSplitter(true, true);
    Map<String, Integer> counts = new HashMap<>();
    List<List<KoreanSentenceSplitter.Candidate>> trainCandidates = new ArrayList<>();
    for (Paragraph p : train) {
      List<KoreanSentenceSplitter.Candidate> candidates = analyzer.analyze(p.text()).candidates();
      for (KoreanSentenceSplitter.Candidate c : candidates) {
        for (String f : c.features()) counts.merge(f, 1, Integer::sum);
      }
      trainCandidates.add(candidates);
    }
    List<String> names = new ArrayList<>();
    Map<String, Integer> index = new HashMap<>();
    counts.entrySet().stream().filter(e -> e.getValue() >= MIN_FEATURE_COUNT).map(Map.Entry::getKey).sorted()
        .forEach(f -> {
          index.put(f, names.size());
          names.add(f);
        });
    List<Example> examples = new ArrayList<>();
    for (int i = 0; i < train.size(); i++) {
      for (KoreanSentenceSplitter.Candidate c : trainCandidates.get(i)) {
        examples.add(new Example(indices(c.features(), index), train.get(i).gold().contains(c.cut())));
      }
    }
    trainCandidates = null;
    long positives = examples.stream().filter(Example::boundary).count();
    System.out.printf("%d candidates (%d boundaries), %d features; %.0f s%n", examples.size(), positives, names.size(),
        (System.nanoTime() - t0) / 1e9);

    double[] w = logisticRegression(examples, names.size(), new Random(SEED));
    Map<String, Float> weights = new HashMap<>();
    for (int i = 0; i < w.length; i++) {
      if (Math.abs(w[i]) >= MIN_WEIGHT) weights.put(names.get(i), (float) w[i]);
    }
    SentenceBoundaryModel unthresholded = new SentenceBoundaryModel(weights, 0);
    double threshold = bestThreshold(dev, analyzer, unthresholded);
    if (out.getParent() != null) Files.createDirectories(out.getParent());
    try (Writer writer = new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(out)), StandardCharsets.UTF_8)) {
      SentenceBoundaryModel.write(weights, threshold, writer);
    }
    System.out.printf("wrote %s: %d weights, threshold %.2f, %d bytes; %.0f s%n", out, weights.size(), threshold,
        Files.size(out), (System.nanoTime() - t0) / 1e9);
  }

  /**
   * Corpus pieces that terminal punctuation ends, each once, in corpus order. Informal writers often run several
   * sentences together before one full stop ("재밌다ㅋㅋ 또 볼래요."), which would teach the model that those ends
   * are no boundaries: from comments and reviews, pieces that the hand-written rules or trailing laughter
   * divide (or would, but for a closing -다) are left out. The last piece of a comment or review ends a sentence even without punctuation (the
   * informal register, where -어/-아 ends sentences, is mostly written so). Petitions (careful prose) are kept whole; they teach where the rules cut wrongly.
   */
  static List<Sentence> corpusSentences(Path corpus) throws IOException {
    KoreanSentenceSplitter punctuation = new KoreanSentenceSplitter(false);
    KoreanSentenceSplitter rules = new KoreanSentenceSplitter(true, false);
    Set<String> seen = new HashSet<>();
    List<Sentence> out = new ArrayList<>();
    for (String petition : petitions(corpus)) {
      for (String piece : punctuation.split(petition)) addIfSentence(out, seen, piece, false, 0);
    }
    List<List<String>> informal = informalTexts(corpus);
    for (int source = 0; source < informal.size(); source++) {
      for (String text : informal.get(source)) {
        List<String> pieces = punctuation.split(text);
        for (int i = 0; i < pieces.size(); i++) {
          String piece = pieces.get(i);
          boolean last = i == pieces.size() - 1; // a comment or review ends its last sentence, punctuated or not
          if (!RUN_ON_LAUGHTER.matcher(piece).find() && !rulesSeeAnEnd(rules, piece)) {
            addIfSentence(out, seen, piece, last, 1 + source);
          }
        }
      }
    }
    return out;
  }

  /**
   * Whether the hand-written rules find a sentence-final ending inside the piece, even one they would then take
   * for a connective because the piece closes with -다 (in comments, "아쉬워 정리가 됐다" is mostly two sentences).
   */
  private static boolean rulesSeeAnEnd(KoreanSentenceSplitter rules, String piece) {
    for (KoreanSentenceSplitter.Candidate c : rules.analyze(piece).candidates()) {
      if (c.features().contains("rule=1c") || c.features().contains("rule=2c")) return true;
    }
    return false;
  }

  private static void addIfSentence(List<Sentence> out, Set<String> seen, String piece, boolean endsText, int source) {
    String s = piece.replaceAll("\\s+", " ");
    if (s.length() >= 4 && s.length() <= 200 && (endsText || TERMINAL_END.matcher(s).matches())
        && !INTERNAL_BOUNDARY.matcher(s).find() && s.chars().anyMatch(c -> c >= '가' && c <= '힣') && seen.add(s)) {
      out.add(new Sentence(s, source));
    }
  }

  /** The gold single sentences of each training split ({@link #GOLD_TRAINING}), each file its own source. */
  static List<List<String>> goldTrainingSentences(Path eval) throws IOException {
    List<List<String>> out = new ArrayList<>();
    for (String file : GOLD_TRAINING) out.add(goldSentences(eval.resolve(file)));
    return out;
  }

  /**
   * The single sentences of an evaluation file (KorSTS: columns 5 and 6; KorNLI and question pairs: 0 and 1), white
   * space folded, each once; items that themselves hold a boundary are no single sentence and are left out.
   */
  static List<String> goldSentences(Path file) throws IOException {
    int[] columns = file.getFileName().toString().startsWith("sts-") ? new int[] {5, 6} : new int[] {0, 1};
    Set<String> out = new LinkedHashSet<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t", -1);
      for (int c : columns) {
        if (c >= f.length) continue;
        String s = f[c].strip().replaceAll("\\s+", " ");
        if (!s.isEmpty() && !GOLD_INTERNAL_BOUNDARY.matcher(s).find()) out.add(s);
      }
    }
    return new ArrayList<>(out);
  }

  private static List<String> petitions(Path corpus) throws IOException {
    List<String> out = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(corpus.resolve("petitions_2017-08.jsonl"), StandardCharsets.UTF_8)) {
      out.add(json.readTree(line).path("content").asText());
    }
    return out;
  }

  /** News comments, then every {@value #REVIEW_STRIDE}th movie review. */
  private static List<List<String>> informalTexts(Path corpus) throws IOException {
    List<String> comments = Files.readAllLines(corpus.resolve("news_comments.txt"), StandardCharsets.UTF_8);
    List<String> reviews = new ArrayList<>();
    try (Stream<String> lines = Files.lines(corpus.resolve("movie_reviews.tsv"), StandardCharsets.UTF_8)) {
      int[] row = {0};
      lines.skip(1).forEach(line -> {
        String[] f = line.split("\t", -1);
        if (row[0]++ % REVIEW_STRIDE == 0 && f.length > 4) reviews.add(f[4]);
      });
    }
    return List.of(comments, reviews);
  }

  /**
   * Paragraphs of 2–5 sentences from one source, most without their terminal punctuation, joined by a space or by
   * nothing.
   */
  static List<Paragraph> paragraphs(List<Sentence> mixed, Random random) {
    List<Paragraph> out = new ArrayList<>();
    for (int source = 0; source < 3; source++) {
      int from = source;
      out.addAll(paragraphsOf(mixed.stream().filter(x -> x.source() == from).map(Sentence::text).toList(), random));
    }
    return out;
  }

  private static List<Paragraph> paragraphsOf(List<String> sentences, Random random) {
    return paragraphsOf(sentences, STRIP, random);
  }

  /** Paragraphs of 2–5 gold sentences as they are, joined by a space or by nothing. */
  private static List<Paragraph> joined(List<String> sentences, Random random) {
    return paragraphsOf(sentences, 0, random);
  }

  private static List<Paragraph> paragraphsOf(List<String> sentences, double strip, Random random) {
    List<Paragraph> out = new ArrayList<>();
    for (int i = 0; i < sentences.size(); ) {
      int k = Math.min(2 + random.nextInt(4), sentences.size() - i);
      String joiner = random.nextBoolean() ? " " : "";
      StringBuilder text = new StringBuilder();
      Set<Integer> gold = new HashSet<>();
      for (int j = 0; j < k; j++) {
        String s = sentences.get(i + j);
        if (strip > 0 && random.nextDouble() < strip) {
          String stripped = STRIPPABLE.matcher(s).replaceFirst("").strip();
          if (!stripped.isEmpty()) s = stripped;
        }
        if (j > 0) {
          gold.add(text.length());
          text.append(joiner);
        }
        text.append(s);
      }
      i += k;
      out.add(new Paragraph(text.toString(), gold));
    }
    return out;
  }

  private static int[] indices(List<String> features, Map<String, Integer> index) {
    return features.stream().map(index::get).filter(i -> i != null).mapToInt(Integer::intValue).toArray();
  }

  /** Logistic regression by stochastic gradient descent with AdaGrad step sizes and a light L2 penalty. */
  static double[] logisticRegression(List<Example> examples, int features, Random random) {
    double[] w = new double[features];
    double[] squares = new double[features];
    List<Example> order = new ArrayList<>(examples);
    for (int epoch = 0; epoch < EPOCHS; epoch++) {
      Collections.shuffle(order, random);
      double loss = 0;
      for (Example x : order) {
        double z = 0;
        for (int f : x.features()) z += w[f];
        double p = 1 / (1 + Math.exp(-z));
        double y = x.boundary() ? 1 : 0;
        loss -= Math.log(Math.max(1e-12, x.boundary() ? p : 1 - p));
        double g = p - y;
        for (int f : x.features()) {
          double grad = g + L2 * w[f];
          squares[f] += grad * grad;
          w[f] -= LEARNING_RATE * grad / (1e-8 + Math.sqrt(squares[f]));
        }
      }
      System.out.printf(Locale.ROOT, "epoch %d: log loss %.4f%n", epoch + 1, loss / order.size());
    }
    return w;
  }

  /** The threshold with the best boundary F1 on the held-out paragraphs (punctuation boundaries included). */
  static double bestThreshold(List<Paragraph> dev, KoreanSentenceSplitter analyzer, SentenceBoundaryModel model) {
    List<KoreanSentenceSplitter.Analysis> analyses = dev.stream().map(p -> analyzer.analyze(p.text())).toList();
    double best = 0;
    double bestF1 = -1;
    for (int step = -40; step <= 40; step++) {
      double t = step / 20.0;
      long gold = 0, predicted = 0, correct = 0;
      for (int i = 0; i < dev.size(); i++) {
        Set<Integer> cuts = new HashSet<>(analyses.get(i).punctuationCuts());
        for (KoreanSentenceSplitter.Candidate c : analyses.get(i).candidates()) {
          if (model.score(c.features()) > t) cuts.add(c.cut());
        }
        Set<Integer> goldCuts = dev.get(i).gold();
        gold += goldCuts.size();
        predicted += cuts.size();
        cuts.retainAll(goldCuts);
        correct += cuts.size();
      }
      double p = (double) correct / Math.max(1, predicted);
      double r = (double) correct / Math.max(1, gold);
      double f1 = 2 * p * r / Math.max(1e-12, p + r);
      if (step % 5 == 0) System.out.printf(Locale.ROOT, "held out, threshold %+.2f: P=%.4f R=%.4f F1=%.4f%n", t, p, r, f1);
      if (f1 > bestF1) {
        bestF1 = f1;
        best = t;
      }
    }
    return best;
  }
}
