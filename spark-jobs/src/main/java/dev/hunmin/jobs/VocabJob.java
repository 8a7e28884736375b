package dev.hunmin.jobs;

import dev.hunmin.tokenize.BertNormalizer;
import dev.hunmin.tokenize.CandidateCounter;
import dev.hunmin.tokenize.FastWordPiece;
import dev.hunmin.tokenize.MorphemeSplitter;
import dev.hunmin.tokenize.WordPieceLearner;
import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.util.HunminException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaPairRDD;
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
    String input = StageOutput.requireComplete(jsc.hadoopConfiguration(), s.requiredString("input"), "hunmin clean").toString();
    WordPieceLearner.Params p = new WordPieceLearner.Params(s.integer("vocab-size"), s.integer("min-frequency"),
        s.integer("limit-alphabet"), s.integer("max-token-length"), s.integer("iterations"));
    if (p.vocabSize() <= WordPieceTokenizer.SPECIAL_TOKENS.size()) throw new HunminException("--vocab-size must be above " + WordPieceTokenizer.SPECIAL_TOKENS.size());
    BertNormalizer normalizer = new BertNormalizer(true, true, s.bool("strip-accents"), s.bool("lowercase"));
    WordPieceTokenizer.PreTokenization pre = preTokenization(s.string("pretokenizer"));
    MorphemeSplitter morphemes = pre == WordPieceTokenizer.PreTokenization.MORPHEME ? new MorphemeSplitter() : null;

    try (StageOutput out = StageOutput.begin(jsc.hadoopConfiguration(), s.requiredString("output"), s.bool("overwrite"))) {
      // partitions already sum their words and candidates: a second, map-side combine would only spill
      org.apache.spark.Partitioner partitioner = new org.apache.spark.HashPartitioner(jsc.defaultParallelism());
      JavaRDD<String> sentences = spark.read().parquet(input + "/docs").select("sentences").javaRDD()
          .flatMap(row -> row.<String>getList(0).iterator());
      JavaPairRDD<String, Long> words = sentences.mapPartitionsToPair(it -> {
        Map<String, Long> local = new HashMap<>();
        it.forEachRemaining(sentence -> WordPieceTokenizer.words(sentence, normalizer, morphemes, w -> local.merge(w, 1L, Long::sum)));
        return local.entrySet().stream().map(e -> new Tuple2<>(e.getKey(), e.getValue())).iterator();
      }).combineByKey(n -> n, Long::sum, Long::sum, partitioner, false, null).persist(StorageLevel.MEMORY_AND_DISK());
      long corpusWords = words.values().fold(0L, Long::sum);
      if (corpusWords == 0) throw new HunminException("no words in " + input + ": the clean output is empty");
      long distinctWords = words.count();
      LOG.info("counted {} words ({} distinct) in {} s", corpusWords, distinctWords, (System.nanoTime() - started) / 1_000_000_000);

      Map<Integer, Long> chars = words.flatMapToPair(w -> w._1().codePoints()
          .mapToObj(cp -> new Tuple2<>(cp, w._2())).iterator()).reduceByKey(Long::sum).collectAsMap();
      List<String> alphabet = WordPieceLearner.alphabet(chars, p.limitAlphabet());
      Set<String> continuing = new HashSet<>(words.flatMap(w -> {
        List<String> c = new ArrayList<>();
        WordPieceLearner.continuingChars(w._1(), c::add);
        return c.iterator();
      }).distinct().collect());
      List<String> fixed = WordPieceLearner.fixedTokens(alphabet, continuing);
      Set<String> fixedSet = Set.copyOf(fixed);
      Broadcast<Set<String>> alphabetB = jsc.broadcast(Set.copyOf(alphabet));

      List<String> vocab = fixed;
      List<Map<String, Object>> rounds = new ArrayList<>();
      for (int round = 0; round < p.iterations(); round++) {
        Broadcast<List<String>> vocabB = jsc.broadcast(round == 0 ? null : vocab);
        int maxLength = p.maxTokenLength();
        JavaPairRDD<String, Long> candidates = words.mapPartitionsToPair(it -> {
          List<String> current = vocabB.value();
          FastWordPiece model = current == null ? null : WordPieceLearner.model(current);
          CandidateCounter local = new CandidateCounter();
          it.forEachRemaining(w -> {
            String word = w._1();
            if (word.length() <= WordPieceTokenizer.MAX_INPUT_CHARS_PER_WORD && WordPieceLearner.coveredBy(word, alphabetB.value())) {
              WordPieceLearner.countCandidates(word, w._2(), model, current, maxLength, local);
            }
          });
          List<Tuple2<String, Long>> pairs = new ArrayList<>(local.size());
          local.forEach((c, n) -> pairs.add(new Tuple2<>(c, n)));
          return pairs.iterator();
        }).combineByKey(n -> n, Long::sum, Long::sum, partitioner, false, null)
            .persist(StorageLevel.MEMORY_AND_DISK());
        long roundStarted = System.nanoTime();
        long distinct = candidates.count();
        long floor = candidateFloor(candidates, (long) CANDIDATES_PER_SLOT * p.vocabSize(), p.minFrequency());
        Map<String, Long> kept = new HashMap<>(candidates.filter(c -> c._2() >= floor).collectAsMap());
        candidates.unpersist();
        List<String> selected = WordPieceLearner.selectForSize(new WordPieceLearner.Candidates(kept, maxLength), p.vocabSize(), fixedSet, p.minFrequency());
        vocab = WordPieceLearner.vocabulary(fixed, selected, kept);
        vocabB.unpersist();
        long ms = (System.nanoTime() - roundStarted) / 1_000_000;
        LOG.info("round {}: {} distinct candidates, {} from count {} to the driver, {} tokens, {} ms", round + 1, distinct,
            kept.size(), floor, vocab.size(), ms);
        rounds.add(Map.of("distinct_candidates", distinct, "candidates", kept.size(), "floor", floor, "tokens", vocab.size(), "ms", ms));
      }

      WordPieceTokenizer tokenizer = new WordPieceTokenizer(vocab, normalizer, pre);
      Broadcast<WordPieceTokenizer> tokB = jsc.broadcast(tokenizer);
      long covered = words.filter(w -> {
        int[] ids = tokB.value().encode(w._1());
        return !(ids.length == 1 && ids[0] == tokB.value().unkId());
      }).values().fold(0L, Long::sum);
      words.unpersist();

      Tokenizers.write(jsc.hadoopConfiguration(), out.dir(), tokenizer);
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("stage", "vocab");
      report.put("input", input);
      report.put("vocab_size", vocab.size());
      report.put("corpus_words", corpusWords);
      report.put("distinct_words", distinctWords);
      report.put("alphabet", alphabet.size());
      report.put("characters_seen", chars.size());
      report.put("coverage", (double) covered / corpusWords);
      report.put("rounds", rounds);
      report.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
      report.put("config", s.section());
      report.put("summary", String.format(Locale.ROOT, "%d tokens from %d words (%d distinct), coverage %.4f",
          vocab.size(), corpusWords, distinctWords, (double) covered / corpusWords));
      out.commit(report);
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
   * The lowest count worth collecting: the count above which at most {@code limit} candidates lie, from a
   * histogram computed on the executors (exact below 1024, by powers of two above), never below minFrequency.
   */
  static long candidateFloor(JavaPairRDD<String, Long> candidates, long limit, long minFrequency) {
    Map<Long, Long> histogram = new TreeMap<>(candidates.values().map(c -> c < 1024 ? c : 1024L << (63 - Long.numberOfLeadingZeros(c / 1024))).countByValue());
    long above = 0;
    long floor = Long.MAX_VALUE;
    for (Map.Entry<Long, Long> bucket : ((TreeMap<Long, Long>) histogram).descendingMap().entrySet()) {
      if (above + bucket.getValue() > limit) break;
      above += bucket.getValue();
      floor = bucket.getKey();
    }
    return Math.max(Math.max(1, minFrequency), floor == Long.MAX_VALUE ? 1 : floor);
  }
}
