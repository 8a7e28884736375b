import dev.hunmin.tokenize.BertNormalizer;
import dev.hunmin.tokenize.WordPieceTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Vocabulary quality on held-out text: tokens per word and the [UNK] rate, for each vocabulary directory given
 * (a vocab.txt is enough; Hugging Face's trainer output from tools/hf-tokenizers/train.js works too).
 *   java -cp model-core/target/classes:LIBS bench/VocabQuality.java HELDOUT_FILE VOCAB_DIR...
 */
public class VocabQuality {
  public static void main(String[] args) throws Exception {
    List<String> lines = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
    BertNormalizer normalizer = new BertNormalizer(true, true, false, false);
    long words = 0;
    for (String line : lines) {
      long[] n = {0};
      WordPieceTokenizer.words(line, normalizer, null, w -> n[0]++);
      words += n[0];
    }
    System.out.println("vocabulary\tsize\ttokens_per_word\tunk_per_token\tunk_words_share");
    for (int i = 1; i < args.length; i++) {
      List<String> vocab = new ArrayList<>(Files.readAllLines(Path.of(args[i], "vocab.txt"), StandardCharsets.UTF_8));
      vocab.removeIf(String::isEmpty);
      WordPieceTokenizer t = new WordPieceTokenizer(vocab, normalizer, WordPieceTokenizer.PreTokenization.WHITESPACE);
      long tokens = 0;
      long unk = 0;
      for (String line : lines) {
        for (int id : t.encode(line)) {
          tokens++;
          if (id == t.unkId()) unk++;
        }
      }
      System.out.printf("%s\t%d\t%.4f\t%.5f\t%.5f%n", args[i], vocab.size(), (double) tokens / words, (double) unk / tokens, (double) unk / words);
    }
  }
}
