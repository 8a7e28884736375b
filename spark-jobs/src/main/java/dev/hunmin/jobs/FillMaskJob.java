package dev.hunmin.jobs;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hunmin.audit.MaskedLmScorer;
import dev.hunmin.model.Bert;
import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.util.HunminException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * {@code hunmin fill-mask --model DIR --text "이순신은 [MASK] 중기의 무신이다." --top-k 5} (or --input FILE, a text a
 * line): one JSON line per text, shaped like Hugging Face's fill-mask pipeline output: a list of {score, token,
 * token_str, sequence} for one [MASK], a list of such lists for several. Written to --output or standard output.
 */
final class FillMaskJob {
  private static final ObjectMapper JSON = new ObjectMapper();

  private FillMaskJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path modelDir = new Path(s.requiredString("model"));
    ModelFiles.requireFinished(conf, modelDir);
    WordPieceTokenizer tokenizer = Tokenizers.ofModel(conf, modelDir.toString());
    List<String> texts = texts(conf, s);
    if (!s.string("output").isBlank()) {
      Path out = new Path(s.string("output"));
      FileSystem fs = out.getFileSystem(conf);
      if (fs.exists(out) && fs.getFileStatus(out).isDirectory()) throw new HunminException("--output is a directory, not a file: " + out);
      if (!s.string("input").isBlank()
          && StageOutput.real(fs.makeQualified(out)).equals(StageOutput.real(fs.makeQualified(new Path(s.string("input")))))) {
        throw new HunminException("--output is the input " + out + ": choose another file");
      }
    }
    int topK = s.integer("top-k", 1);
    List<String> lines = new ArrayList<>();
    try (NDManager manager = NDManager.newBaseManager(PretrainJob.device(s.string("device")))) {
      Bert bert = ModelFiles.readHf(conf, modelDir, manager);
      MaskedLmScorer scorer = new MaskedLmScorer(bert, tokenizer, manager, 64);
      for (String text : texts) lines.add(JSON.writeValueAsString(fill(scorer, bert.config().maxPositionEmbeddings(), text, topK)));
    }
    String output = s.string("output");
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("summary", lines.size() + " texts filled" + (output.isBlank() ? "" : " → " + output));
    // without --output the JSON lines are all the command prints, so they can be piped
    if (output.isBlank()) report.put("print", String.join("\n", lines));
    else ModelFiles.writeText(new Path(output).getFileSystem(conf), new Path(output), String.join("\n", lines) + "\n");
    return report;
  }

  private static List<String> texts(Configuration conf, Settings s) throws java.io.IOException {
    String text = s.string("text");
    String input = s.string("input");
    if (!text.isBlank() && !input.isBlank()) throw new HunminException("fill-mask takes --text or --input, not both");
    if (!text.isBlank()) return List.of(text);
    if (input.isBlank()) throw new HunminException("fill-mask needs --text or --input");
    Path p = new Path(input);
    FileSystem fs = p.getFileSystem(conf);
    if (!fs.exists(p)) throw new HunminException("input not found: " + input);
    if (fs.getFileStatus(p).isDirectory()) throw new HunminException("input is a directory, not a text file: " + input);
    // read as tokenize reads: a NUL byte or invalid UTF-8 is refused with its line, not dropped
    List<String> texts = new ArrayList<>();
    TextLines.read(fs, p, "fill-mask", line -> {
      if (!line.isBlank() && !line.contains("[MASK]")) throw new HunminException("no [MASK] in " + input + " line " + (texts.size() + 1));
      texts.add(line);
    });
    return texts.stream().filter(l -> !l.isBlank()).toList();
  }

  /** The pipeline's answer for one text: candidates per [MASK], best first. */
  static Object fill(MaskedLmScorer scorer, int maxLength, String text, int topK) {
    WordPieceTokenizer tokenizer = scorer.tokenizer();
    int[] ids = tokenizer.encodeWithSpecialTokens(text);
    int mask = tokenizer.id("[MASK]");
    List<Integer> positions = new ArrayList<>();
    for (int i = 0; i < ids.length; i++) if (ids[i] == mask) positions.add(i);
    if (positions.isEmpty()) throw new HunminException("no [MASK] in: " + text);
    if (ids.length > maxLength) {
      throw new HunminException("text has " + ids.length + " tokens, the model at most " + maxLength + ": " + text);
    }
    // the whole text with all its masks in place, asked once per [MASK]
    float[][] logProbabilities = scorer.logProbabilities(java.util.Collections.nCopies(positions.size(), ids), positions);
    List<List<Map<String, Object>>> all = new ArrayList<>();
    for (int q = 0; q < positions.size(); q++) {
      float[] lp = logProbabilities[q];
      List<Map<String, Object>> candidates = new ArrayList<>();
      for (int id : MaskedLmScorer.topK(lp, topK)) {
        int[] filled = ids.clone();
        filled[positions.get(q)] = id;
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("score", (float) Math.exp(lp[id]));
        c.put("token", id);
        c.put("token_str", tokenizer.decode(new int[] {id}, false));
        c.put("sequence", tokenizer.decode(filled, positions.size() == 1));
        candidates.add(c);
      }
      all.add(candidates);
    }
    return all.size() == 1 ? all.get(0) : all;
  }
}
