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

  private static Path nsmc;

  /** The nsmc fine-tuning output, trained once for this class's finetune and predict tests. */
  static synchronized Path nsmc() {
    if (nsmc != null) return nsmc;
    Path out = tmp.resolve("nsmc");
    Hunmin.Result r = Hunmin.run("finetune", "--model", model.toString(), "--task", "nsmc", "--data", data, "--output", out.toString(),
        "--max-train", "96", "--max-test", "64", "--epochs", "1", "--batch-size", "16");
    assertEquals(0, r.exit(), r.err());
    return nsmc = out;
  }

  @Test
  void finetuneScoresATaskAndSavesAClassifierInHuggingFaceLayout() throws IOException {
    Path out = nsmc();
    JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    double accuracy = results.at("/scores/accuracy").asDouble(-1);
    assertTrue(accuracy >= 0 && accuracy <= 1, results.toString());
    assertEquals(96, results.at("/train_examples").asInt());
    assertEquals(6, results.at("/steps").asInt());
    // the recipe actually used, beside the scores
    assertEquals(5e-5, results.at("/learning_rate").asDouble(), 1e-12, results.toString());
    assertEquals(16, results.at("/batch_size").asInt(), results.toString());
    assertEquals(128, results.at("/max_length").asInt(), results.toString());
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
    assertEquals(4, Hunmin.report(scored).at("/scored").asInt());
    org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().master("local[1]").getOrCreate();
    try {
      var rows = spark.read().parquet(scored.resolve("predictions").toString()).collectAsList();
      assertEquals(5, rows.size());
      assertEquals(java.util.List.of("source", "line", "text", "label", "score"), java.util.List.of(rows.get(0).schema().fieldNames()));
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
        "--data", data, "--set", "finetune.max-train=48", "--set", "finetune.max-test=48",
        "--set", "finetune.epochs=1", "--set", "finetune.batch-size=16");
    assertEquals(0, r.exit(), r.err());
    JsonNode recipe = new ObjectMapper().readTree(out.resolve("results.json").toFile()).at("/finetune");
    assertEquals(data, recipe.at("/data").asText(), "--data is finetune's data");
    assertEquals(16, recipe.at("/batch-size").asInt(), recipe.toString());
    for (String inapplicable : java.util.List.of("model", "init", "task", "output", "overwrite")) {
      assertTrue(recipe.path(inapplicable).isMissingNode(), inapplicable + " is evaluate's own: " + recipe);
    }
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

  @Test
  void evaluateChecksEveryModelWholeBeforeTheFirstFineTuning() throws IOException {
    Path noWeights = copy(model, tmp.resolve("copies/no-weights"));
    Files.delete(noWeights.resolve("model.safetensors"));
    Path noConfig = copy(model, tmp.resolve("copies/no-config"));
    Files.delete(noConfig.resolve("config.json"));
    // an unknown device fails the first fine-tuning run as it starts: the model's error shows the models came first
    for (Path broken : java.util.List.of(noWeights, noConfig)) {
      Hunmin.Result r = Hunmin.run("evaluate", "--models", model + "," + broken, "--tasks", "nsmc", "--data", data,
          "--output", tmp.resolve("eval-broken").toString(), "--set", "finetune.device=tpu");
      assertEquals(2, r.exit(), r.err());
      assertEquals("hunmin evaluate: error: " + (broken == noWeights
          ? "no model.safetensors in " + noWeights + " (pickle checkpoints such as pytorch_model.bin are not read)"
          : "no config.json in " + noConfig + " (a Hugging Face BERT directory is needed)"), r.errorLine());
    }
    assertTrue(Files.notExists(tmp.resolve("eval-broken")));
  }

  /** The whole pretrain output given for its model: the error names final/, where the model is. */
  @Test
  void aPretrainOutputGivenAsTheModelNamesItsFinal() {
    Path output = model.getParent();
    Hunmin.Result r = Hunmin.run("finetune", "--model", output.toString(), "--task", "nsmc", "--data", data,
        "--output", tmp.resolve("of-output").toString());
    assertEquals(2, r.exit(), r.err());
    assertEquals("hunmin finetune: error: no config.json in " + output + " (a pretrain output: its model is " + model + ")", r.errorLine());
    assertTrue(Files.notExists(tmp.resolve("of-output")));
  }

  @Test
  void evaluateRefusesAModelNamedTwiceInAnySpellingAndAnEmptyEntry() {
    String[] quick = {"--tasks", "nsmc", "--data", data, "--output", tmp.resolve("eval-twice").toString(),
        "--set", "finetune.max-train=16", "--set", "finetune.max-test=16", "--set", "finetune.epochs=1"};
    Hunmin.Result slash = Hunmin.run(concat(new String[] {"evaluate", "--models", model + "," + model + "/"}, quick));
    assertEquals(2, slash.exit(), slash.err());
    assertEquals("hunmin evaluate: error: --models: " + model + " and " + model + "/ name the same directory", slash.errorLine());
    Hunmin.Result dot = Hunmin.run(concat(new String[] {"evaluate", "--models", model + "," + model.getParent() + "/./final"}, quick));
    assertEquals("hunmin evaluate: error: --models: " + model + " and " + model.getParent() + "/./final name the same directory", dot.errorLine());
    Hunmin.Result empty = Hunmin.run(concat(new String[] {"evaluate", "--models", model + ",," + model.getParent()}, quick));
    assertEquals(2, empty.exit(), empty.err());
    assertEquals("hunmin evaluate: error: --models (hunmin.evaluate.models): entry 2 of '" + model + ",," + model.getParent() + "' is empty",
        empty.errorLine());
    assertTrue(Files.notExists(tmp.resolve("eval-twice")));
  }

  /** A pretrain output, and a finetune output, whose run stopped before _SUCCESS: their model is not read. */
  @Test
  void modelsOfUnfinishedRunsAreRefusedByFinetuneEvaluateAndPredict() throws IOException {
    Path pretrain = Files.createDirectories(tmp.resolve("unfinished-pretrain"));
    copy(model, pretrain.resolve("final"));
    Files.writeString(pretrain.resolve("_REPORT.json"), "{}");
    String incomplete = "model is incomplete: file:" + pretrain + " has no _SUCCESS (its run did not finish)";
    Hunmin.Result f = Hunmin.run("finetune", "--model", pretrain.resolve("final").toString(), "--task", "nsmc", "--data", data,
        "--output", tmp.resolve("of-unfinished").toString(), "--max-train", "16", "--max-test", "16", "--epochs", "1");
    assertEquals(2, f.exit(), f.err());
    assertEquals("hunmin finetune: error: " + incomplete, f.errorLine());
    Hunmin.Result e = Hunmin.run("evaluate", "--models", model + "," + pretrain.resolve("final"), "--tasks", "nsmc", "--data", data,
        "--output", tmp.resolve("eval-unfinished").toString());
    assertEquals("hunmin evaluate: error: " + incomplete, e.errorLine());

    Path finetune = Files.createDirectories(tmp.resolve("unfinished-finetune"));
    copy(nsmc().resolve("model"), finetune.resolve("model"));
    Files.copy(nsmc().resolve("_REPORT.json"), finetune.resolve("_REPORT.json"));
    Path reviews = Files.writeString(tmp.resolve("unfinished.txt"), "좋은 영화\n");
    Hunmin.Result p = predict(finetune.resolve("model"), reviews.toString());
    assertEquals(2, p.exit(), p.err());
    assertTrue(p.errorLine().startsWith("hunmin predict: error: model is incomplete: file:/")
        && p.errorLine().endsWith("/unfinished-finetune has no _SUCCESS (its run did not finish)"), p.err());
    // the hidden directory a finetune run writes before it renames it into place
    Path staging = copy(nsmc().resolve("model"), tmp.resolve(".staged.tmp-0123456789ab/model"));
    Hunmin.Result staged = predict(staging, reviews.toString());
    assertEquals("hunmin predict: error: model is incomplete: file:" + staging.getParent() + " is the staging directory of an unfinished run",
        staged.errorLine());
    assertTrue(Files.notExists(tmp.resolve("of-unfinished")));
  }

  /** A diverged run's weights hold NaN: its scores would be NaN (KorSTS) or argmax's pick among NaN (classes). */
  @Test
  void aDivergedModelIsRefusedNotScored() throws IOException {
    Path nan = withNaN(copy(model, tmp.resolve("copies/nan-pretrained")), "bert.embeddings.LayerNorm.weight");
    for (String task : java.util.List.of("korsts", "nsmc")) {
      Path out = tmp.resolve("nan-" + task);
      Hunmin.Result r = Hunmin.run("finetune", "--model", nan.toString(), "--task", task, "--data", data, "--output", out.toString(),
          "--max-train", "32", "--max-test", "16", "--epochs", "1", "--batch-size", "16");
      assertEquals(2, r.exit(), r.err());
      assertEquals("hunmin finetune: error: " + nan + " (init pretrained) diverged fine-tuning on " + task
          + ": the loss was NaN from step 1 to the last, 2", r.errorLine());
      assertTrue(Files.notExists(out), "nothing written");
    }

    Path classifier = withNaN(classifierCopy("nan"), "classifier.bias");
    Path reviews = Files.writeString(tmp.resolve("nan.txt"), "\n좋은 영화\n");
    Path out = tmp.resolve("nan-scored");
    Hunmin.Result p = Hunmin.run("predict", "--model", classifier.toString(), "--input", reviews.toString(), "--output", out.toString());
    assertEquals(2, p.exit(), p.err());
    assertEquals("hunmin predict: error: " + classifier + " diverged: its score for row 2 of the input is NaN (NaN weights or outputs); "
        + "nothing written", p.errorLine());
    assertTrue(Files.notExists(out.resolve("_SUCCESS")));
  }

  /** A model directory's files, without Hadoop's .crc files (which would refuse a changed copy as corrupt). */
  private static Path copy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path f : files.filter(f -> Files.isRegularFile(f) && !f.getFileName().toString().endsWith(".crc")).toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    return to;
  }

  /** The model with every value of one tensor NaN. */
  private static Path withNaN(Path dir, String tensor) throws IOException {
    Path weights = dir.resolve("model.safetensors");
    Map<String, SafeTensors.Tensor> tensors;
    try (InputStream in = Files.newInputStream(weights)) {
      tensors = new java.util.LinkedHashMap<>(SafeTensors.read(in));
    }
    SafeTensors.Tensor t = tensors.get(tensor);
    float[] nan = new float[t.values().length];
    java.util.Arrays.fill(nan, Float.NaN);
    tensors.put(tensor, new SafeTensors.Tensor(t.shape(), nan));
    try (var out = Files.newOutputStream(weights)) {
      SafeTensors.write(tensors, Map.of("format", "pt"), out);
    }
    return dir;
  }

  /** A copy of the nsmc classifier to damage. */
  private static Path classifierCopy(String name) throws IOException {
    return copy(nsmc().resolve("model"), tmp.resolve("copies/" + name));
  }

  private static Hunmin.Result predict(Path classifier, String input, String... more) {
    java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("predict", "--model", classifier.toString(), "--input", input,
        "--output", tmp.resolve("predicted-" + System.nanoTime()).toString(), "--master", "local[1]"));
    args.addAll(java.util.List.of(more));
    return Hunmin.run(args.toArray(String[]::new));
  }

  /** Rows as (text, id) parts written by a local session that is stopped before the CLI starts its own. */
  private static void writeParquet(java.util.Map<Path, java.util.List<String>> tables, String textColumn) {
    org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().master("local[1]").getOrCreate();
    try {
      var schema = new org.apache.spark.sql.types.StructType().add(textColumn, "string").add("id", "int");
      int id = 0;
      for (var table : tables.entrySet()) {
        java.util.List<org.apache.spark.sql.Row> rows = new java.util.ArrayList<>();
        for (String text : table.getValue()) rows.add(org.apache.spark.sql.RowFactory.create(text, id++));
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(table.getKey().toString());
      }
    } finally {
      spark.stop();
    }
  }

  private static java.util.List<org.apache.spark.sql.Row> predictions(Path stage) {
    org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().master("local[1]").getOrCreate();
    try {
      return spark.read().parquet(stage.resolve("predictions").toString()).collectAsList();
    } finally {
      spark.stop();
    }
  }

  @Test
  void predictRefusesBrokenModelsAndInputsOnTheDriver() throws IOException {
    Path classifier = nsmc().resolve("model");
    Path reviews = Files.writeString(tmp.resolve("refused.txt"), "좋은 영화\n");

    Hunmin.Result length = predict(classifier, reviews.toString(), "--max-length", "1000");
    assertEquals(2, length.exit(), length.err());
    assertTrue(length.errorLine().matches("hunmin predict: error: --max-length 1000 is above the \\d+ positions of " + java.util.regex.Pattern.quote(classifier.toString())),
        length.err());

    Path config = classifierCopy("config");
    Files.writeString(config.resolve("config.json"), "{\"id2label\": {\"0\": ");
    Hunmin.Result json = predict(config, reviews.toString());
    assertEquals(2, json.exit(), json.err());
    assertTrue(json.errorLine().startsWith("hunmin predict: error: " + config.resolve("config.json") + " is not JSON: "), json.err());

    Path weights = classifierCopy("truncated");
    byte[] full = Files.readAllBytes(weights.resolve("model.safetensors"));
    Files.write(weights.resolve("model.safetensors"), java.util.Arrays.copyOf(full, full.length / 2));
    Hunmin.Result truncated = predict(weights, reviews.toString());
    assertEquals(2, truncated.exit(), truncated.err());
    assertTrue(truncated.errorLine().startsWith("hunmin predict: error: " + weights.resolve("model.safetensors") + " is damaged: "), truncated.err());
    assertTrue(truncated.err().lines().count() <= 2, "refused on the driver, before any task: " + truncated.err());

    Path tokenizer = classifierCopy("tokenizer");
    Files.writeString(tokenizer.resolve("tokenizer.json"), "{\"model\": {\"vocab\": ");
    Hunmin.Result broken = predict(tokenizer, reviews.toString());
    assertEquals(2, broken.exit(), broken.err());
    assertTrue(broken.errorLine().startsWith("hunmin predict: error: " + tokenizer.resolve("tokenizer.json") + " is not JSON: "), broken.err());
    assertTrue(broken.err().lines().count() <= 2, broken.err());

    Path pickle = classifierCopy("pickle");
    Files.move(pickle.resolve("model.safetensors"), pickle.resolve("pytorch_model.bin"));
    Hunmin.Result bin = predict(pickle, reviews.toString());
    assertEquals(2, bin.exit(), bin.err());
    assertEquals("hunmin predict: error: no model.safetensors in " + pickle + " (pickle checkpoints such as pytorch_model.bin are not read)",
        bin.errorLine());

    Hunmin.Result single = predict(classifier, reviews.toString(), "--text-b-column", "text2");
    assertEquals(2, single.exit(), single.err());
    assertEquals("hunmin predict: error: " + classifier + " was fine-tuned on single texts (nsmc): --text-b-column text2 does not apply",
        single.errorLine());

    Path labelled = tmp.resolve("labelled");
    writeParquet(java.util.Map.of(labelled, java.util.List.of("좋은 영화")), "text");
    Path cased = tmp.resolve("cased");
    org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().master("local[1]").getOrCreate();
    try {
      spark.read().parquet(labelled.toString()).withColumnRenamed("id", "Label").write().parquet(cased.toString());
    } finally {
      spark.stop();
    }
    Hunmin.Result clash = predict(classifier, cased.toString());
    assertEquals(2, clash.exit(), clash.err());
    assertEquals("hunmin predict: error: input already has a column Label, which predict adds as label: rename it", clash.errorLine());

    Path mixed = Files.createDirectories(tmp.resolve("mixed"));
    Files.writeString(mixed.resolve("a.txt"), "좋은 영화\n");
    try (var parts = Files.list(labelled)) {
      Path part = parts.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
      Files.copy(part, mixed.resolve("b.parquet"));
    }
    Hunmin.Result kinds = predict(classifier, mixed.toString());
    assertEquals(2, kinds.exit(), kinds.err());
    assertTrue(kinds.errorLine().startsWith("hunmin predict: error: input mixes text files (") && kinds.errorLine().contains("b.parquet"),
        kinds.err());

    // two tables: Spark would read the second's rows through the first's columns
    Path tables = Files.createDirectories(tmp.resolve("tables"));
    for (Path dir : java.util.List.of(labelled, cased)) {
      try (var parts = Files.list(dir)) {
        Path part = parts.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
        Files.copy(part, tables.resolve(dir.getFileName() + ".parquet"));
      }
    }
    Hunmin.Result two = predict(classifier, tables.toString());
    assertEquals(2, two.exit(), two.err());
    assertEquals("hunmin predict: error: the input's Parquet files differ in their columns: file:" + tables.resolve("labelled.parquet")
        + " lacks Label (int), adds id (int) against file:" + tables.resolve("cased.parquet") + " (predict reads one table at a time)",
        two.errorLine());
  }

  /** Spark reads every file through one file's schema: each file's columns are checked, whichever comes first. */
  @Test
  void predictChecksTheColumnsOfEveryParquetFile() throws IOException {
    Path classifier = nsmc().resolve("model");
    Path written = tmp.resolve("schemas");
    org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().master("local[1]").getOrCreate();
    try {
      for (String[] t : new String[][] {{"both", "'좋은 영화' AS text, 1 AS id"}, {"text-only", "'별로' AS text"},
          {"id-as-string", "'최악' AS text, 'x' AS id"}, {"metadata", "'좋은 영화' AS text, 'x' AS _metadata"}}) {
        spark.sql("SELECT " + t[1]).coalesce(1).write().parquet(written.resolve(t[0]).toString());
      }
    } finally {
      spark.stop();
    }
    // the first file (by path) has every column the second has, and one more; or the same columns, one typed otherwise
    for (String[] t : new String[][] {{"superset", "text-only", "lacks id (int)"}, {"types", "id-as-string", "has id as string, not int"}}) {
      Path dir = Files.createDirectories(tmp.resolve(t[0]));
      copyPart(written.resolve("both"), dir.resolve("a.parquet"));
      copyPart(written.resolve(t[1]), dir.resolve("b.parquet"));
      Hunmin.Result r = predict(classifier, dir.toString());
      assertEquals(2, r.exit(), r.err());
      assertEquals("hunmin predict: error: the input's Parquet files differ in their columns: file:" + dir.resolve("b.parquet")
          + " " + t[2] + " against file:" + dir.resolve("a.parquet") + " (predict reads one table at a time)", r.errorLine());
    }

    Hunmin.Result metadata = predict(classifier, written.resolve("metadata").toString());
    assertEquals(2, metadata.exit(), metadata.err());
    assertEquals("hunmin predict: error: input has a column _metadata, a name Spark reserves for file metadata: rename it",
        metadata.errorLine());
    assertEquals(1, metadata.err().lines().count(), metadata.err());
  }

  private static void copyPart(Path table, Path to) throws IOException {
    try (var parts = Files.list(table)) {
      Files.copy(parts.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow(), to);
    }
  }

  @Test
  void predictNumbersTextLinesAndWritesRowsInInputOrderWhateverTheCores() throws IOException {
    Path classifier = nsmc().resolve("model");
    Path texts = Files.createDirectories(tmp.resolve("texts"));
    // b is the larger file: Spark reads the larger first, the output must not; small splits cut files into blocks
    Path a = Files.writeString(texts.resolve("a.txt"), "\uFEFF정말 재미있는 영화\n\n최악\n");
    java.util.List<String> bLines = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) bLines.add(i % 3 == 0 ? "" : "배우들 연기가 좋았다 " + i);
    Path b = Files.write(texts.resolve("b.txt"), bLines);
    // batches of 32: whole, they hold other rows than batches cut at the small splits' ends would
    String[] splits = {"--set", "spark.conf.\"spark.sql.files.maxPartitionBytes\"=64", "--batch-size", "32"};
    Path listed = tmp.resolve("listed");
    Hunmin.Result r = Hunmin.run(concat(new String[] {"predict", "--model", classifier.toString(), "--input", b + "," + a,
        "--output", listed.toString(), "--master", "local[2]"}, splits));
    assertEquals(0, r.exit(), r.err());
    var rows = predictions(listed);
    assertEquals(43, rows.size());
    for (int i = 0; i < rows.size(); i++) {
      boolean inA = i < 3;
      assertTrue(rows.get(i).<String>getAs("source").endsWith(inA ? "/a.txt" : "/b.txt"), rows.get(i).toString());
      assertEquals(inA ? i + 1 : i - 2, rows.get(i).<Long>getAs("line"), rows.get(i).toString());
      String text = inA ? java.util.List.of("정말 재미있는 영화", "", "최악").get(i) : bLines.get(i - 3);
      assertEquals(text, rows.get(i).getAs("text"));
      assertEquals(text.isBlank(), rows.get(i).isNullAt(rows.get(i).fieldIndex("label")), rows.get(i).toString());
    }
    JsonNode report = Hunmin.report(listed);
    long blank = 1 + bLines.stream().filter(String::isBlank).count();
    assertEquals(43 - blank, report.at("/scored").asLong());
    assertEquals(blank, report.at("/without_text").asLong());

    // the folder holding the two files: read as text, the same rows and scores, split as Spark likes on one core
    Path folder = tmp.resolve("folder");
    assertEquals(0, Hunmin.run("predict", "--model", classifier.toString(), "--input", texts.toString(), "--output", folder.toString(),
        "--batch-size", "32", "--master", "local[1]").exit());
    assertEquals(rows.toString(), predictions(folder).toString());

    Path blanks = Files.writeString(tmp.resolve("blanks.txt"), "\n  \n\n\t\n");
    Path none = tmp.resolve("none");
    // a batch size far above the rows allocates nothing for it
    assertEquals(0, Hunmin.run("predict", "--model", classifier.toString(), "--input", blanks.toString(), "--output", none.toString(),
        "--batch-size", "2000000000").exit());
    assertEquals(0, Hunmin.report(none).at("/scored").asInt());
    assertTrue(Hunmin.report(none).at("/summary").asText().startsWith("4 rows, 0 scored (4 without text) → "), Hunmin.report(none).toString());

    // Parquet: files in path order, rows in file order, the same bytes on one core and three
    Path table = tmp.resolve("table");
    java.util.List<String> larger = new java.util.ArrayList<>();
    for (int i = 0; i < 30; i++) larger.add("시간 아까운 영화였다 " + i);
    writeParquet(new java.util.LinkedHashMap<>(java.util.Map.of(table.resolve("a"), java.util.List.of("좋은 영화", "별로"))), "text");
    writeParquet(java.util.Map.of(table.resolve("b"), larger), "text");
    byte[] first = null;
    for (String master : java.util.List.of("local[1]", "local[3]")) {
      Path out = tmp.resolve("table-" + master.replaceAll("\\W", ""));
      // one core reads each file whole; three read them in small splits
      String[] more = master.equals("local[1]") ? new String[] {"--batch-size", "32"} : splits;
      Hunmin.Result p = Hunmin.run(concat(new String[] {"predict", "--model", classifier.toString(), "--input", table.toString(),
          "--output", out.toString(), "--master", master}, more));
      assertEquals(0, p.exit(), p.err());
      var scored = predictions(out);
      assertEquals(java.util.List.of("text", "id", "label", "score"), java.util.List.of(scored.get(0).schema().fieldNames()));
      java.util.List<Integer> ids = scored.stream().map(row -> row.<Integer>getAs("id")).toList();
      java.util.List<Integer> expected = new java.util.ArrayList<>(java.util.List.of(0, 1));
      for (int i = 0; i < 30; i++) expected.add(i);
      assertEquals(expected, ids, "a's rows, then b's (whose ids restart at 0)");
      byte[] bytes = Files.readAllBytes(out.resolve("predictions/part-00000.parquet"));
      if (first == null) first = bytes;
      else assertTrue(java.util.Arrays.equals(first, bytes), "byte-identical on one core and three");
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
