package dev.hunmin.downstream;

import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The seeds' downstream tasks (seed 004's table) in their published formats under an eval directory: which files,
 * which columns, what is predicted and how it is scored. Labels are class indices, or the score for regression.
 */
public record Task(String name, String trainFile, String testFile, String textA, String textB, String labelColumn,
    List<String> labels, Metric metric) {

  /** How a task is scored: accuracy, accuracy with macro F1, or correlations for a regression. */
  public enum Metric { ACCURACY, ACCURACY_AND_MACRO_F1, CORRELATION }

  /** One labelled item: one or two texts and a label (class index, or the value for regression). */
  public record Item(String textA, String textB, float label) {}

  public static final List<Task> ALL = List.of(
      new Task("nsmc", "nsmc/ratings_train.tsv", "nsmc/ratings_test.tsv", "document", null, "label",
          List.of("0", "1"), Metric.ACCURACY),
      new Task("hate_speech", "hate_speech/train.tsv", "hate_speech/dev.tsv", "comments", null, "hate",
          List.of("none", "offensive", "hate"), Metric.ACCURACY_AND_MACRO_F1),
      new Task("question_pair", "question_pair/train.txt", "question_pair/test.txt", "question1", "question2", "is_duplicate",
          List.of("0", "1"), Metric.ACCURACY_AND_MACRO_F1),
      // only XNLI's Korean dev and test exist here: train on dev, test on test
      new Task("kornli", "kornli/xnli.dev.ko.tsv", "kornli/xnli.test.ko.tsv", "sentence1", "sentence2", "gold_label",
          List.of("entailment", "neutral", "contradiction"), Metric.ACCURACY),
      new Task("korsts", "korsts/sts-train.tsv", "korsts/sts-test.tsv", "sentence1", "sentence2", "score",
          List.of(), Metric.CORRELATION));

  /** The one regression task, KorSTS, scores on STS-B's scale: 0 (unrelated) to 5 (same meaning). */
  static final float MIN_SCORE = 0;
  static final float MAX_SCORE = 5;

  public static Task named(String name) {
    return ALL.stream().filter(t -> t.name.equals(name)).findFirst().orElseThrow(() -> new HunminException(
        "unknown task '" + name + "' (" + String.join(", ", ALL.stream().map(Task::name).toList()) + ")"));
  }

  public boolean regression() {
    return metric == Metric.CORRELATION;
  }

  /** Outputs of the head: one per class, or one value. */
  public int numLabels() {
    return regression() ? 1 : labels.size();
  }

  public List<Item> train(Path evalDir) {
    return read(evalDir.resolve(trainFile));
  }

  public List<Item> test(Path evalDir) {
    return read(evalDir.resolve(testFile));
  }

  List<Item> read(Path file) {
    try {
      return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
    } catch (IOException e) {
      throw new HunminException("cannot read " + file + " for task " + name + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  /**
   * The lines of one of the task's TSV files (with its header; source names it in errors). Rows whose text is empty
   * or whose label is unknown (or no number from 0 to 5, for a score) are skipped (NSMC has empty reviews).
   */
  public List<Item> parse(List<String> lines, String source) {
    if (lines.isEmpty()) throw new HunminException(source + " is empty");
    // a byte-order mark (files saved by Excel or Notepad) would become part of the first column's name
    List<String> header = Arrays.asList(lines.get(0).replaceFirst("^\uFEFF", "").split("\t", -1));
    int a = column(header, textA, source);
    int b = textB == null ? -1 : column(header, textB, source);
    int y = column(header, labelColumn, source);
    List<Item> items = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t", -1);
      if (f.length <= Math.max(a, Math.max(b, y)) || f[a].isBlank() || (b >= 0 && f[b].isBlank())) continue;
      float label;
      if (regression()) {
        try {
          label = Float.parseFloat(f[y].trim());
        } catch (NumberFormatException e) {
          continue; // as an unknown class label
        }
        // "NaN" and "Infinity" parse, but are no scores; nor is a value off the STS scale (a typo, another column)
        if (!(label >= MIN_SCORE && label <= MAX_SCORE)) continue;
      } else {
        int index = labels.indexOf(f[y].trim());
        if (index < 0) continue;
        label = index;
      }
      items.add(new Item(f[a], b >= 0 ? f[b] : null, label));
    }
    return items;
  }

  private int column(List<String> header, String name, String source) {
    int i = header.indexOf(name);
    if (i < 0) throw new HunminException(source + " has no column " + name + " (columns: " + header + ")");
    return i;
  }
}
