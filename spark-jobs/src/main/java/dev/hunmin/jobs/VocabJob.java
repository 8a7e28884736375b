package dev.hunmin.jobs;

import dev.hunmin.tokenize.BertNormalizer;
import dev.hunmin.tokenize.CandidateCounter;
import dev.hunmin.tokenize.CandidateTrie;
import dev.hunmin.tokenize.Counts;
import dev.hunmin.tokenize.MorphemeSplitter;
import dev.hunmin.tokenize.WordPieceLearner;
import dev.hunmin.tokenize.WordPieceRefiner;
import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.util.HunminException;
import dev.hunmin.tokenize.WordTable;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * {@code hunmin vocab}: clean docs → a WordPiece vocabulary in Hugging Face's files. Words are counted on the
 * executors; each round, executors count candidate subwords over the word table and only candidates frequent
 * enough to matter reach the driver, which selects tokens (model-core's WordPieceLearner).
 */
final class VocabJob {
  private static final Logger LOG = LoggerFactory.getLogger(VocabJob.class);
  /** The driver keeps at most this many candidates per vocabulary slot; enough for the threshold search. */
  private static final int CANDIDATES_PER_SLOT = 20;

  private VocabJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws Exception {
    long started = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    String input = StageOutput.requireComplete(jsc.hadoopConfiguration(), s.requiredString("input"), "clean").toString();
    WordPieceLearner.Params p = new WordPieceLearner.Params(s.integer("vocab-size", WordPieceTokenizer.SPECIAL_TOKENS.size() + 1),
        s.integer("min-frequency", 1), s.integer("limit-alphabet", 0), s.integer("max-token-length", 1),
        s.integer("iterations", 1), s.integer("refinements", 0), s.number("count-exponent"), s.integer("seed-min-count", 1));
    if (!(p.countExponent() > 0 && p.countExponent() <= 1)) throw new HunminException("--count-exponent must be in (0, 1], not " + p.countExponent());
    BertNormalizer normalizer = new BertNormalizer(true, true, s.bool("strip-accents"), s.bool("lowercase"));
    WordPieceTokenizer.PreTokenization pre = preTokenization(s.string("pretokenizer"));
    MorphemeSplitter morphemes = pre == WordPieceTokenizer.PreTokenization.MORPHEME ? new MorphemeSplitter() : null;

    try (StageOutput out = StageOutput.begin(jsc.hadoopConfiguration(), s)) {
      int parts = jsc.defaultParallelism();
      // clean's text/ holds the sentences of docs/ one a line (blank lines between documents, which have no words):
      // plain lines read in a third of the time Parquet rows of sentence arrays take to convert
      Path text = new Path(input, "text");
      if (!text.getFileSystem(jsc.hadoopConfiguration()).exists(text)) {
        throw new HunminException("no text/ in " + input + ": vocab reads the sentences a clean output writes there");
      }
      JavaRDD<String> sentences = jsc.textFile(text.toString());
      // the word table, counted once and kept on the executors: one WordTable per partition, each word in one
      JavaRDD<WordTable> words = merged(sentences.mapPartitions(it -> {
        CandidateCounter local = new CandidateCounter();
        it.forEachRemaining(sentence -> WordPieceTokenizer.words(sentence, normalizer, morphemes, w -> local.add(w, 1)));
        return List.of(local).iterator();
      }), parts, CandidateCounter::new).map(WordTable::of).persist(StorageLevel.MEMORY_AND_DISK());
      Summary summary = words.map(Summary::of).reduce(Summary::plus);
      long corpusWords = summary.words();
      if (corpusWords == 0) throw new HunminException("no words in " + input + ": the clean output is empty");
      long distinctWords = summary.distinct();
      LOG.info("counted {} words ({} distinct) in {} ms", corpusWords, distinctWords, (System.nanoTime() - started) / 1_000_000);

      List<String> alphabet = WordPieceLearner.alphabet(summary.chars(), p.limitAlphabet());
      List<String> fixed = WordPieceLearner.fixedTokens(alphabet, summary.continuing());
      if (fixed.size() > p.vocabSize()) {
        throw new HunminException("--vocab-size " + p.vocabSize() + " is below the " + fixed.size() + " tokens the alphabet of "
            + input + " needs (special tokens, " + alphabet.size() + " characters and their ## forms): raise it or lower --limit-alphabet");
      }
      Set<String> fixedSet = Set.copyOf(fixed);
      Broadcast<Set<String>> alphabetB = jsc.broadcast(Set.copyOf(alphabet));
      JavaRDD<WordTable> learnable = words.map(t -> t.learnable(alphabetB.value())).persist(StorageLevel.MEMORY_AND_DISK());

      List<String> vocab = fixed;
      List<Map<String, Object>> rounds = new ArrayList<>();
      for (int round = 0; round < p.iterations(); round++) {
        long roundStarted = System.nanoTime();
        Broadcast<List<String>> vocabB = jsc.broadcast(round == 0 ? null : vocab);
        int maxLength = p.maxTokenLength();
        double exponent = p.countExponent();
        long seedMin = round == 0 ? p.seedMinCount() : 1;
        JavaRDD<CandidateTrie> candidates = merged(learnable.map(t -> t.atLeast(seedMin).candidates(vocabB.value(), maxLength, exponent)), parts,
            CandidateTrie::new).persist(StorageLevel.MEMORY_AND_DISK());
        long[] histogram = candidates.map(CandidateTrie::histogram).reduce(VocabJob::sum);
        long distinct = Arrays.stream(histogram).sum();
        long floor = Counts.floor(histogram, (long) CANDIDATES_PER_SLOT * p.vocabSize(), p.minFrequency());
        WordPieceLearner.Candidates kept = new WordPieceLearner.Candidates(collect(candidates, floor, new CandidateTrie()), maxLength);
        candidates.unpersist();
        vocabB.unpersist();
        vocab = WordPieceLearner.vocabulary(fixed, WordPieceLearner.selectForSize(kept, p.vocabSize(), fixedSet, p.minFrequency()));
        long ms = (System.nanoTime() - roundStarted) / 1_000_000;
        LOG.info("round {}: {} distinct candidates, {} from count {} to the driver, {} tokens, {} ms", round + 1, distinct,
            kept.size(), floor, vocab.size(), ms);
        rounds.add(StageOutput.ordered("distinct_candidates", distinct, "candidates", kept.size(), "floor", floor, "tokens", vocab.size(), "ms", ms));
      }
      List<Map<String, Object>> refinements = new ArrayList<>();
      for (int round = 0; round < p.refinements(); round++) {
        long roundStarted = System.nanoTime();
        Broadcast<WordPieceRefiner> refinerB = jsc.broadcast(new WordPieceRefiner(vocab, p.maxTokenLength()));
        int size = vocab.size();
        JavaRDD<WordPieceRefiner.Estimates> estimates = learnable.map(t -> t.refinement(refinerB.value(), size))
            .persist(StorageLevel.MEMORY_AND_DISK());
        long[] losses = estimates.map(e -> e.losses).reduce(VocabJob::sum);
        JavaRDD<CandidateCounter> gains = merged(estimates.map(e -> e.gains), parts, CandidateCounter::new)
            .persist(StorageLevel.MEMORY_AND_DISK());
        int maxSwaps = WordPieceRefiner.maxSwaps(round, p.vocabSize());
        long floor = Counts.floor(gains.map(CandidateCounter::histogram).reduce(VocabJob::sum),
            (long) CANDIDATES_PER_SLOT * maxSwaps, p.minFrequency());
        Map<String, Long> best = new HashMap<>();
        collect(gains, floor, new CandidateCounter()).forEach(best::put);
        gains.unpersist();
        estimates.unpersist();
        refinerB.unpersist();
        // how often the candidates occur (their gains are tokens saved): one more pass over the word table
        Broadcast<CandidateCounter> wantedB = jsc.broadcast(WordPieceRefiner.keysOf(best.keySet()));
        Map<String, Long> occurrences = learnable.map(t -> t.occurrences(wantedB.value(), p.maxTokenLength())).reduce(VocabJob::sum);
        wantedB.unpersist();
        Set<String> before = Set.copyOf(vocab);
        vocab = WordPieceRefiner.refined(fixed, vocab, best, losses, maxSwaps, occurrences, p.minFrequency());
        long swapped = vocab.stream().filter(t -> !before.contains(t)).count();
        long ms = (System.nanoTime() - roundStarted) / 1_000_000;
        LOG.info("refinement {}: {} tokens swapped (at most {}), {} ms", round + 1, swapped, maxSwaps, ms);
        refinements.add(StageOutput.ordered("swapped", swapped, "at_most", maxSwaps, "ms", ms));
      }
      learnable.unpersist();

      WordPieceTokenizer tokenizer = new WordPieceTokenizer(vocab, normalizer, pre);
      Broadcast<WordPieceTokenizer> tokB = jsc.broadcast(tokenizer);
      long covered = words.map(t -> t.covered(tokB.value())).reduce(Long::sum);
      words.unpersist();

      Tokenizers.write(jsc.hadoopConfiguration(), out.dir(), tokenizer);
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("stage", "vocab");
      report.put("input", input);
      report.put("vocab_size", vocab.size());
      report.put("corpus_words", corpusWords);
      report.put("distinct_words", distinctWords);
      report.put("alphabet", alphabet.size());
      report.put("characters_seen", summary.chars().size());
      report.put("coverage", (double) covered / corpusWords);
      report.put("rounds", rounds);
      report.put("refinements", refinements);
      report.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
      report.put("config", s.section());
      // a small corpus may hold fewer strings of --min-frequency than --vocab-size asks for: say so, not only the size
      String shortOf = vocab.size() < p.vocabSize()
          ? String.format(Locale.ROOT, " (of %d asked: the corpus has no more of --min-frequency %d)", p.vocabSize(), p.minFrequency()) : "";
      report.put("summary", String.format(Locale.ROOT, "%d tokens%s from %d words (%d distinct), coverage %.4f",
          vocab.size(), shortOf, corpusWords, distinctWords, (double) covered / corpusWords));
      out.commit(report, s);
      return report;
    }
  }

  static WordPieceTokenizer.PreTokenization preTokenization(String name) {
    try {
      return WordPieceTokenizer.PreTokenization.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new HunminException("--pretokenizer must be whitespace or morpheme, not '" + name + "'");
    }
  }

  /**
   * Per-partition counters summed by key across partitions: each is cut into one byte array per target partition
   * and the arrays are shuffled, so a shuffle moves a few arrays per task rather than a record per key.
   */
  static <C extends Counts> JavaRDD<C> merged(JavaRDD<C> counters, int parts, SerializableSupplier<C> empty) {
    return counters.flatMapToPair(c -> {
      byte[][] encoded = c.encode(parts, 1);
      List<Tuple2<Integer, byte[]>> out = new ArrayList<>(parts);
      for (int i = 0; i < parts; i++) out.add(new Tuple2<>(i, encoded[i]));
      return out.iterator();
    }).partitionBy(new HashPartitioner(parts)).mapPartitions(it -> {
      C sum = empty.get();
      it.forEachRemaining(part -> sum.merge(part._2()));
      return List.of(sum).iterator();
    });
  }

  /** The keys counted at least floor times, collected to the driver into {@code into} (one array per partition). */
  private static <C extends Counts> C collect(JavaRDD<C> counters, long floor, C into) {
    counters.map(c -> c.encode(1, floor)[0]).collect().forEach(into::merge);
    return into;
  }

  interface SerializableSupplier<T> extends java.util.function.Supplier<T>, Serializable {}

  /** Element-wise sum of two counters, for reduce (nsp's report uses it too). */
  static Map<String, Long> sum(Map<String, Long> a, Map<String, Long> b) {
    Map<String, Long> out = new HashMap<>(a);
    b.forEach((k, v) -> out.merge(k, v, Long::sum));
    return out;
  }

  static long[] sum(long[] a, long[] b) {
    long[] out = a.clone();
    for (int i = 0; i < b.length; i++) out[i] += b[i];
    return out;
  }

  /** What the word table's partitions tell the driver: totals and the characters, never the words. */
  record Summary(long words, long distinct, Map<Integer, Long> chars, Set<String> continuing) implements Serializable {
    static Summary of(WordTable t) {
      return new Summary(t.total(), t.size(), t.characters(), t.continuingChars());
    }

    Summary plus(Summary o) {
      Map<Integer, Long> c = new HashMap<>(chars);
      o.chars.forEach((k, v) -> c.merge(k, v, Long::sum));
      Set<String> cont = new TreeSet<>(continuing);
      cont.addAll(o.continuing);
      return new Summary(words + o.words, distinct + o.distinct, c, cont);
    }
  }
}
