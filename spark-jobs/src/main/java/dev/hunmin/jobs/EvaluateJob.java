package dev.hunmin.jobs;

import dev.hunmin.downstream.Task;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * {@code hunmin evaluate --models A,B --tasks nsmc,korsts}: seed 004's table — every model fine-tuned on every
 * task with the finetune settings, and with --random-init the same architecture from random weights beside each,
 * which is what pretraining is worth. Writes results.json and results.md (model × task) atomically, _SUCCESS last.
 */
final class EvaluateJob {
  private EvaluateJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<Task> tasks = s.distinctList("tasks").stream().map(Task::named).toList();
    List<String> models = s.distinctList("models");
    if (models.isEmpty()) throw new HunminException("evaluate needs --models (model directories, comma-separated)");
    if (tasks.isEmpty()) throw new HunminException("evaluate needs --tasks (" + String.join(", ", Task.ALL.stream().map(Task::name).toList()) + ")");
    requireDistinct(conf, models);
    // every model is checked whole before the first of many fine-tuning runs starts
    for (String model : models) ModelFiles.requireModel(conf, model, true);
    Settings finetune = s.forStage("finetune", s.string("data").isBlank() ? Map.of() : Map.of("data", s.string("data")));
    // and every task's files are read, once: a bad one fails now, not after hours of the others' fine-tuning
    Map<Task, FinetuneJob.TaskFiles> files = new LinkedHashMap<>();
    for (Task task : tasks) files.put(task, FinetuneJob.TaskFiles.read(conf, finetune, task));
    List<Map<String, Object>> rows = new ArrayList<>();
    for (String model : models) {
      for (String init : s.bool("random-init") ? List.of("pretrained", "random") : List.of("pretrained")) {
        for (Task task : tasks) rows.add(FinetuneJob.finetune(conf, finetune, model, init, task, files.get(task), null));
      }
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("stage", "evaluate");
    report.put("results", rows);
    report.put("finetune", recipe(finetune));
    String table = markdown(tasks, rows);
    try (StageOutput out = StageOutput.begin(conf, s)) {
      out.writeJson("results.json", report);
      Path md = new Path(out.dir(), "results.md");
      ModelFiles.writeText(md.getFileSystem(conf), md, table);
      report.put("summary", "\n" + table);
      out.commit(report, s);
    }
    return report;
  }

  /** The finetune settings evaluate applies: without those it sets itself (model, init, task) or ignores (output, overwrite). */
  private static Map<String, Object> recipe(Settings finetune) {
    Map<String, Object> section = new LinkedHashMap<>(finetune.section());
    section.keySet().removeAll(List.of("model", "init", "task", "output", "overwrite"));
    return section;
  }

  /** M, M/ and ./M name one directory, qualified as the job reads it: it would be fine-tuned twice, its rows alike. */
  private static void requireDistinct(Configuration conf, List<String> models) throws IOException {
    Map<Path, String> seen = new LinkedHashMap<>();
    for (String model : models) {
      Path path = new Path(model);
      String before = seen.putIfAbsent(path.getFileSystem(conf).makeQualified(path), model);
      if (before != null) throw new HunminException("--models: " + before + " and " + model + " name the same directory");
    }
  }

  /** Rows: model (init); columns: tasks; cells: the task's metrics. */
  @SuppressWarnings("unchecked")
  static String markdown(List<Task> tasks, List<Map<String, Object>> rows) {
    StringBuilder b = new StringBuilder("| model | init |");
    for (Task t : tasks) b.append(' ').append(t.name()).append(" |");
    b.append("\n|---|---|").append("---|".repeat(tasks.size())).append('\n');
    Map<String, Map<String, String>> cells = new LinkedHashMap<>();
    for (Map<String, Object> r : rows) {
      Map<String, Double> scores = (Map<String, Double>) r.get("scores");
      StringBuilder cell = new StringBuilder();
      scores.forEach((k, v) -> cell.append(cell.length() == 0 ? "" : ", ").append(k).append(' ').append(String.format("%.4f", v)));
      cells.computeIfAbsent(r.get("model") + " | " + r.get("init"), k -> new LinkedHashMap<>()).put((String) r.get("task"), cell.toString());
    }
    cells.forEach((row, byTask) -> {
      b.append("| ").append(row).append(" |");
      for (Task t : tasks) b.append(' ').append(byTask.getOrDefault(t.name(), "")).append(" |");
      b.append('\n');
    });
    return b.toString();
  }
}
