package dev.hunmin.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hunmin.model.SafeTensors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** finetune and evaluate through the CLI, on the sample pipeline's tiny model and small seeded task subsets. */
class FinetuneJobTest {
  @TempDir static Path tmp;
  static Path model;
  static String data;

  @BeforeAll
  static void pretrained() {
    Path eval = Path.of(System.getProperty("hunmin.shared", "../shared")).resolve("data/eval").toAbsolutePath().normalize();
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(eval), "shared evaluation sets not found: " + eval);
    data = eval.toUri().toString(); // a file: URI: task files are read through Hadoop, as from s3a://
    Hunmin.Result r = Hunmin.run("pipeline", "--work", tmp.resolve("work").toString(), "--set", "pipeline.pretrain-steps=4");
    assertEquals(0, r.exit(), r.err());
    model = tmp.resolve("work/pretrain/final");
  }

  @Test
  void rowsWithoutTextOrWithAnUnknownLabelAreSkippedAndCounted() throws IOException {
    Path nsmc = Files.createDirectories(tmp.resolve("crafted/nsmc"));
    java.util.List<String> train = new java.util.ArrayList<>(java.util.List.of("id\tdocument\tlabel"));
    for (int i = 0; i < 32; i++) train.add(i + "\t" + (i % 2 == 0 ? "정말 재미있는 영화 " : "시간 아까운 영화 ") + i + "\t" + i % 2);
    train.add("100\t\t1");            // no text
    train.add("101\t좋은 영화\t5");    // a label NSMC does not have
    train.add("102\t짧은 줄");         // no label column at all
    Files.write(nsmc.resolve("ratings_train.tsv"), train);
    Files.write(nsmc.resolve("ratings_test.tsv"), train.subList(0, 9));
    Path out = tmp.resolve("crafted-out");
    Hunmin.Result r = Hunmin.run("finetune", "--model", model.toString(), "--task", "nsmc", "--data", tmp.resolve("crafted").toString(),
        "--output", out.toString(), "--epochs", "1", "--batch-size", "16");
    assertEquals(0, r.exit(), r.err());
    JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    assertEquals(32, results.at("/train_examples").asInt());
    assertEquals(3, results.at("/skipped_rows/train").asInt(), results.toString());
    assertEquals(0, results.at("/skipped_rows/test").asInt());
  }

  @Test
  void finetuneScoresATaskAndSavesAClassifierInHuggingFaceLayout() throws IOException {
    Path out = tmp.resolve("nsmc");
    Hunmin.Result r = Hunmin.run("finetune", "--model", model.toString(), "--task", "nsmc", "--data", data, "--output", out.toString(),
        "--max-train", "96", "--max-test", "64", "--epochs", "1", "--batch-size", "16");
    assertEquals(0, r.exit(), r.err());
    JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    double accuracy = results.at("/scores/accuracy").asDouble(-1);
    assertTrue(accuracy >= 0 && accuracy <= 1, results.toString());
    assertEquals(96, results.at("/train_examples").asInt());
    assertEquals(6, results.at("/steps").asInt());
    assertTrue(Files.exists(out.resolve("_SUCCESS")));
    JsonNode config = new ObjectMapper().readTree(out.resolve("model/config.json").toFile());
    assertEquals("BertForSequenceClassification", config.at("/architectures/0").asText());
    assertEquals("1", config.at("/id2label/1").asText());
    try (InputStream in = Files.newInputStream(out.resolve("model/model.safetensors"))) {
      Map<String, SafeTensors.Tensor> tensors = SafeTensors.read(in);
      assertTrue(tensors.containsKey("classifier.weight") && tensors.containsKey("bert.pooler.dense.weight"));
      assertTrue(tensors.keySet().stream().noneMatch(k -> k.startsWith("cls.")), "no pretraining heads");
    }
    assertTrue(Files.exists(out.resolve("model/vocab.txt")));

    // batch inference with the fine-tuned model across two partitions, one predictor per executor
    Path reviews = tmp.resolve("reviews.txt");
    Files.writeString(reviews, "정말 재미있는 영화\n시간 아까운 영화였다\n배우들 연기가 좋았다\n최악\n\n");
    Path scored = tmp.resolve("scored");
    Hunmin.Result p = Hunmin.run("predict", "--model", out.resolve("model").toString(), "--input", reviews.toString(),
        "--output", scored.toString(), "--master", "local[2]");
    assertEquals(0, p.exit(), p.err());
    assertEquals(5, Hunmin.report(scored).at("/rows").asInt());
    org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().master("local[1]").getOrCreate();
    try {
      var rows = spark.read().parquet(scored.resolve("predictions").toString()).collectAsList();
      assertEquals(5, rows.size());
      assertEquals(1, rows.stream().filter(row -> row.<String>getAs("text").isBlank() && row.isNullAt(row.fieldIndex("label"))).count(),
          "the empty line keeps a null label");
      for (var row : rows) {
        if (row.<String>getAs("text").isBlank()) continue;
        assertTrue(java.util.List.of("0", "1").contains(row.<String>getAs("label")), row.toString());
        float score = row.<Float>getAs("score");
        assertTrue(score >= 0.5f && score <= 1f, "the chosen label's probability: " + row);
      }
    } finally {
      spark.stop();
    }
  }

  @Test
  void evaluateWritesTheModelByTaskTableWithRandomInitBeside() throws IOException {
    Path out = tmp.resolve("eval");
    Hunmin.Result r = Hunmin.run("evaluate", "--models", model.toString(), "--tasks", "korsts,question_pair", "--output", out.toString(),
        "--set", "finetune.data=" + data, "--set", "finetune.max-train=48", "--set", "finetune.max-test=48",
        "--set", "finetune.epochs=1", "--set", "finetune.batch-size=16");
    assertEquals(0, r.exit(), r.err());
    String table = Files.readString(out.resolve("results.md"));
    assertTrue(table.startsWith("| model | init | korsts | question_pair |"), table);
    assertTrue(table.contains("| pretrained |") && table.contains("| random |"), table);
    assertTrue(table.contains("pearson") && table.contains("spearman") && table.contains("macro_f1"), table);
    assertEquals(4, new ObjectMapper().readTree(out.resolve("results.json").toFile()).at("/results").size());
  }

  @Test
  void badSettingsAndModelsAreClearErrors() {
    Hunmin.Result batch = Hunmin.run("finetune", "--model", model.toString(), "--task", "nsmc", "--data", data,
        "--output", tmp.resolve("x").toString(), "--batch-size", "0");
    assertEquals("hunmin finetune: error: --batch-size (hunmin.finetune.batch-size) must be at least 1, not 0", batch.errorLine());
    Hunmin.Result length = Hunmin.run("finetune", "--model", model.toString(), "--task", "nsmc", "--data", data,
        "--output", tmp.resolve("x").toString(), "--max-length", "1000");
    assertTrue(length.errorLine().startsWith("hunmin finetune: error: --max-length 1000 is above the "), length.err());
    Hunmin.Result missing = Hunmin.run("evaluate", "--models", model + "," + tmp.resolve("no-such-model"), "--tasks", "nsmc",
        "--output", tmp.resolve("y").toString());
    assertEquals("hunmin evaluate: error: model not found: " + tmp.resolve("no-such-model"), missing.errorLine());
    Hunmin.Result none = Hunmin.run("evaluate", "--tasks", "nsmc", "--output", tmp.resolve("y").toString());
    assertEquals("hunmin evaluate: error: evaluate needs --models (model directories, comma-separated)", none.errorLine());
    Hunmin.Result notClassifier = Hunmin.run("predict", "--model", model.toString(), "--input", tmp.resolve("reviews.txt").toString(),
        "--output", tmp.resolve("z").toString());
    assertEquals("hunmin predict: error: " + model + " is no fine-tuned classifier (predict takes a finetune output's model/ directory)",
        notClassifier.errorLine());
    assertTrue(notClassifier.err().lines().count() <= 2, "refused on the driver, before any task: " + notClassifier.err());
  }

  @Test
  void aPairTasksClassifierNeedsTheSecondText() throws IOException {
    Path out = tmp.resolve("pairs");
    Hunmin.Result r = Hunmin.run("finetune", "--model", model.toString(), "--task", "question_pair", "--data", data, "--output", out.toString(),
        "--max-train", "16", "--max-test", "16", "--epochs", "1", "--batch-size", "16");
    assertEquals(0, r.exit(), r.err());
    Path questions = Files.writeString(tmp.resolve("questions.txt"), "비 오는 날 뭐 하지?\n");
    Hunmin.Result p = Hunmin.run("predict", "--model", out.resolve("model").toString(), "--input", questions.toString(),
        "--output", tmp.resolve("pairs-scored").toString());
    assertEquals(2, p.exit());
    assertEquals("hunmin predict: error: " + out.resolve("model") + " was fine-tuned on sentence pairs (question_pair): "
        + "name the second text with --text-b-column", p.errorLine());
  }

  @Test
  void taskFilesWithoutUsableRowsAndRepeatedNamesAreRefused() throws IOException {
    Path nsmc = Files.createDirectories(tmp.resolve("headers/nsmc"));
    Files.write(nsmc.resolve("ratings_train.tsv"), java.util.List.of("id\tdocument\tlabel", "1\t좋은 영화\t1"));
    Files.write(nsmc.resolve("ratings_test.tsv"), java.util.List.of("id\tdocument\tlabel", "2\t\t1"));
    Hunmin.Result r = Hunmin.run("finetune", "--model", model.toString(), "--task", "nsmc", "--data", tmp.resolve("headers").toString(),
        "--output", tmp.resolve("headers-out").toString());
    assertEquals(2, r.exit());
    assertEquals("hunmin finetune: error: task nsmc: " + nsmc.resolve("ratings_test.tsv")
        + " has no usable rows (1 skipped: no text, or a label the task does not know)", r.errorLine());
    // evaluate reads every task's files before the first fine-tuning run
    Files.delete(nsmc.resolve("ratings_train.tsv"));
    Files.createDirectories(nsmc.resolve("ratings_train.tsv"));
    Hunmin.Result e = Hunmin.run("evaluate", "--models", model.toString(), "--tasks", "nsmc", "--output", tmp.resolve("headers-eval").toString(),
        "--set", "finetune.data=" + tmp.resolve("headers"));
    assertEquals("hunmin evaluate: error: task nsmc: " + nsmc.resolve("ratings_train.tsv")
        + " is a directory, not the task's file (one TSV, as published)", e.errorLine());
    Files.delete(nsmc.resolve("ratings_train.tsv"));
    Files.write(nsmc.resolve("ratings_train.tsv"), "id\tdocument\tlabel\n1\t좋은 영화\t1\n".getBytes(java.nio.charset.Charset.forName("EUC-KR")));
    Hunmin.Result cp949 = Hunmin.run("finetune", "--model", model.toString(), "--task", "nsmc", "--data", tmp.resolve("headers").toString(),
        "--output", tmp.resolve("headers-out").toString());
    assertEquals("hunmin finetune: error: task nsmc: " + nsmc.resolve("ratings_train.tsv")
        + " is not UTF-8 text (the evaluation sets are read as UTF-8)", cp949.errorLine());
    Hunmin.Result twice = Hunmin.run("evaluate", "--models", model.toString(), "--tasks", "nsmc,korsts,nsmc", "--output", tmp.resolve("twice").toString());
    assertEquals("hunmin evaluate: error: --tasks: nsmc is given twice", twice.errorLine());
    Hunmin.Result repeats = Hunmin.run("audit", "--repeats", "1,4,1", "--output", tmp.resolve("audit-twice").toString());
    assertEquals("hunmin audit: error: --repeats: 1 is given twice", repeats.errorLine());
  }

  @Test
  void anUnknownTaskIsAClearError() {
    Hunmin.Result r = Hunmin.run("finetune", "--model", model.toString(), "--task", "squad", "--output", tmp.resolve("x").toString());
    assertEquals(2, r.exit());
    assertTrue(r.errorLine().contains("unknown task 'squad'"), r.errorLine());
  }
}
