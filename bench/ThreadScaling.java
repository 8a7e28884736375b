import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.hunmin.tokenize.BertNormalizer;
import dev.hunmin.tokenize.CandidateCounter;
import dev.hunmin.tokenize.WordPieceRefiner;
import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.tokenize.WordTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Whether this machine's cores scale for the work vocab's executors do, without Spark: the word table of a clean
 * output cut in two by hash (the job's two partitions), then, REPS times, a learner round's candidate counting and a
 * refinement's measurements over both halves, on one thread (the halves in turn) or on two (one half each). The
 * same work either way, so on two free cores two threads should take half the time. The settings are vocab's
 * defaults (conf/reference.conf, read from the working directory: run it from the project's root).
 *   taskset -c 0 java -cp model-core/target/classes:LIBS bench/ThreadScaling.java 1 CLEAN/text VOCAB/vocab.txt
 *   taskset -c 0-1 java -cp … bench/ThreadScaling.java 2 CLEAN/text VOCAB/vocab.txt
 */
public class ThreadScaling {
  public static void main(String[] args) throws Exception {
    int threads = Integer.parseInt(args[0]);
    List<String> vocab = Files.readAllLines(Path.of(args[2]));
    int reps = args.length > 3 ? Integer.parseInt(args[3]) : 6;
    Config conf = ConfigFactory.parseFile(new java.io.File("conf/reference.conf")).resolve().getConfig("hunmin.vocab");
    int maxLength = conf.getInt("max-token-length");
    double exponent = conf.getDouble("count-exponent");
    BertNormalizer normalizer = new BertNormalizer(true, true, conf.getBoolean("strip-accents"), conf.getBoolean("lowercase"));
    WordTable[] halves = wordTable(Path.of(args[1]), normalizer);
    WordPieceRefiner refiner = new WordPieceRefiner(vocab, maxLength);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    for (int rep = 1; rep <= reps; rep++) {
      double candidates = time(pool, halves, t -> t.candidates(vocab, maxLength, exponent));
      double refinement = time(pool, halves, t -> t.refinement(refiner, vocab.size()));
      System.out.printf("%d threads\trep %d\tcandidates %.3f s\trefinement %.3f s%n", threads, rep, candidates, refinement);
    }
    pool.shutdown();
  }

  /** The words of every .txt file under dir, counted into two tables by the word's hash. */
  static WordTable[] wordTable(Path dir, BertNormalizer normalizer) throws Exception {
    CandidateCounter[] counts = {new CandidateCounter(), new CandidateCounter()};
    try (var files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".txt")).sorted().toList()) {
        for (String line : Files.readAllLines(file)) {
          WordPieceTokenizer.words(line, normalizer, null, w -> counts[w.hashCode() & 1].add(w, 1));
        }
      }
    }
    return new WordTable[] {WordTable.of(counts[0]), WordTable.of(counts[1])};
  }

  /** Seconds for work over both halves, spread over the pool's threads. */
  static double time(ExecutorService pool, WordTable[] halves, java.util.function.Function<WordTable, Object> work) throws Exception {
    long started = System.nanoTime();
    List<Future<Object>> running = new ArrayList<>();
    for (WordTable t : halves) running.add(pool.submit(() -> work.apply(t)));
    for (Future<Object> f : running) f.get();
    return (System.nanoTime() - started) / 1e9;
  }
}
