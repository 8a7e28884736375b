import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hunmin.text.KoreanSentenceSplitter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Sentence-splitter throughput on one core: the first MEGABYTES (default 5) of the shared corpora, petition
 * contents, then news comments, then movie reviews, one paragraph a document; one warm-up pass over the first
 * megabyte, then the timed pass (wall and CPU time of the one thread).
 *   java -cp model-core/target/classes:LIBS bench/SplitSpeed.java ../shared/data [MEGABYTES] [learned|rules|punctuation]
 */
public class SplitSpeed {
  public static void main(String[] args) throws Exception {
    Path data = Path.of(args[0]);
    long budget = (long) (Double.parseDouble(args.length > 1 ? args[1] : "5") * 1_000_000);
    String mode = args.length > 2 ? args[2] : "learned"; // learned, rules or punctuation
    boolean morphology = !mode.equals("punctuation");
    List<String> paragraphs = paragraphs(data, budget);
    long bytes = paragraphs.stream().mapToLong(p -> p.getBytes(StandardCharsets.UTF_8).length).sum();
    KoreanSentenceSplitter splitter = new KoreanSentenceSplitter(morphology, mode.equals("learned"));
    long warm = 0;
    for (String p : paragraphs) {
      splitter.split(p);
      if ((warm += p.length()) > 400_000) break;
    }
    long sentences = 0;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long t0 = System.nanoTime();
    long cpu0 = threads.getCurrentThreadCpuTime();
    for (String p : paragraphs) sentences += splitter.split(p).size();
    double seconds = (System.nanoTime() - t0) / 1e9;
    double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9; // less sensitive than wall time to other load
    System.out.printf("%d paragraphs, %.2f MB, %d sentences, %.2f s (%.2f s CPU), %.3f MB/s (%.3f per CPU second)"
        + " (%s)%n", paragraphs.size(), bytes / 1e6, sentences, seconds, cpu, bytes / 1e6 / seconds,
        bytes / 1e6 / cpu, mode);
  }

  private static List<String> paragraphs(Path data, long budget) throws Exception {
    List<String> out = new ArrayList<>();
    long[] left = {budget};
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(data.resolve("corpus/petitions_2017-08.jsonl"), StandardCharsets.UTF_8)) {
      if (!take(out, left, json.readTree(line).path("content").asText())) return out;
    }
    for (String line : Files.readAllLines(data.resolve("corpus/news_comments.txt"), StandardCharsets.UTF_8)) {
      if (!take(out, left, line)) return out;
    }
    try (var lines = Files.lines(data.resolve("corpus/movie_reviews.tsv"), StandardCharsets.UTF_8)) {
      for (String line : (Iterable<String>) lines.skip(1)::iterator) {
        String[] f = line.split("\t", -1);
        if (f.length > 4 && !take(out, left, f[4])) return out;
      }
    }
    return out;
  }

  private static boolean take(List<String> out, long[] left, String paragraph) {
    if (left[0] <= 0) return false;
    out.add(paragraph);
    left[0] -= paragraph.getBytes(StandardCharsets.UTF_8).length;
    return true;
  }
}
