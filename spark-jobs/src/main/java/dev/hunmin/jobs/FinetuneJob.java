package dev.hunmin.jobs;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hunmin.downstream.Scores;
import dev.hunmin.downstream.Task;
import dev.hunmin.model.Bert;
import dev.hunmin.model.BertConfig;
import dev.hunmin.model.SafeTensors;
import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.train.Finetuner;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code hunmin finetune --model DIR --task NAME}: fine-tunes a Hunmin or Hugging Face BERT directory (or, with
 * --init random, the same architecture from random weights) on one of the seeds' downstream tasks, scores it on
 * the task's test file, and writes results.json and the fine-tuned model (BertForSequenceClassification tensors).
 */
final class FinetuneJob {
  private static final Logger LOG = LoggerFactory.getLogger(FinetuneJob.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private FinetuneJob() {}

  static Map<String, Object> run(SparkSession spark, Settings s) throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Task task = Task.named(s.requiredString("task"));
    ModelFiles.requireModel(conf, s.requiredString("model"), s.string("init").equals("pretrained"));
    try (StageOutput out = StageOutput.begin(conf, s)) {
      Map<String, Object> result = finetune(conf, s, s.requiredString("model"), s.string("init"), task, TaskFiles.read(conf, s, task),
          new org.apache.hadoop.fs.Path(out.dir()));
      out.writeJson("results.json", result);
      result.put("summary", s.string("task") + " " + result.get("scores") + " (" + result.get("train_examples") + " training examples, "
          + result.get("steps") + " steps, " + result.get("seconds") + " s)");
      out.commit(result, s);
      return result;
    }
  }

  /** A task file's usable rows, and how many rows it skipped (no text, or a label the task does not know). */
  record Rows(List<Task.Item> items, int skipped) {}

  /** A task's training and test rows, read once however many models and inits are fine-tuned on them. */
  record TaskFiles(Rows train, Rows test) {
    static TaskFiles read(Configuration conf, Settings s, Task task) throws IOException {
      org.apache.hadoop.fs.Path data = new org.apache.hadoop.fs.Path(s.requiredString("data"));
      return new TaskFiles(items(conf, data, task, task.trainFile()), items(conf, data, task, task.testFile()));
    }
  }

  /** One of a task's files under --data, on any Hadoop file system (a local folder, s3a://…). */
  private static Rows items(Configuration conf, org.apache.hadoop.fs.Path data, Task task, String file) throws IOException {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(data, file);
    org.apache.hadoop.fs.FileSystem fs = p.getFileSystem(conf);
    if (!fs.exists(p)) throw new HunminException("task " + task.name() + ": " + p + " not found (--data is the folder of the evaluation sets)");
    if (fs.getFileStatus(p).isDirectory()) {
      throw new HunminException("task " + task.name() + ": " + p + " is a directory, not the task's file (one TSV, as published)");
    }
    List<String> lines = utf8(fs, p, task).lines().toList();
    List<Task.Item> items = task.parse(lines, p.toString());
    int skipped = Math.max(0, lines.size() - 1 - items.size());
    // scores over no examples (or a classifier trained on none) would read as results
    if (items.isEmpty()) {
      throw new HunminException("task " + task.name() + ": " + p + " has no usable rows (" + skipped + " skipped: no text, or a label the task does not know)");
    }
    return new Rows(items, skipped);
  }

  /** A task file's text; bytes that are no UTF-8 (a file saved as CP949, say) are refused rather than replaced. */
  private static String utf8(org.apache.hadoop.fs.FileSystem fs, org.apache.hadoop.fs.Path p, Task task) throws IOException {
    byte[] bytes;
    try (java.io.InputStream in = fs.open(p)) {
      bytes = in.readAllBytes();
    }
    try {
      return java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new HunminException("task " + task.name() + ": " + p + " is not UTF-8 text (the evaluation sets are read as UTF-8)");
    }
  }

  /** Fine-tunes one model on one task; scores on the test file. The model goes under output/model when output is set. */
  static Map<String, Object> finetune(Configuration conf, Settings s, String modelDir, String init, Task task, TaskFiles files,
      org.apache.hadoop.fs.Path output) throws IOException {
    long started = System.nanoTime();
    WordPieceTokenizer tokenizer = Tokenizers.ofModel(conf, modelDir);
    BertConfig config = ModelFiles.readConfig(conf, new org.apache.hadoop.fs.Path(modelDir));
    int maxLength = maxLength(s, config, modelDir);
    Finetuner.Settings settings = new Finetuner.Settings(s.integer("batch-size", 1), s.integer("epochs", 1),
        s.positive("learning-rate", 1e3), s.number("warmup-ratio", 0, 1), s.number("weight-decay", 0, 1e3),
        s.number("max-grad-norm", 0, 1e9), s.seed());
    int logEvery = s.integer("log-every", 1);
    Rows trainRows = files.train();
    Rows testRows = files.test();
    List<Finetuner.Example> train = encode(tokenizer, sample(trainRows.items(), s.integer("max-train", 0), s.seed()), maxLength);
    List<Task.Item> testItems = sample(testRows.items(), s.integer("max-test", 0), s.seed());
    List<Finetuner.Example> test = encode(tokenizer, testItems, maxLength);
    try (NDManager manager = NDManager.newBaseManager(PretrainJob.device(s.string("device")))) {
      Bert bert = switch (init) {
        case "pretrained" -> ModelFiles.readHf(conf, new org.apache.hadoop.fs.Path(modelDir), manager, s.seed());
        case "random" -> Bert.initialize(config, manager, s.seed());
        default -> throw new HunminException("--init must be pretrained or random, not '" + init + "'");
      };
      Finetuner finetuner = new Finetuner(bert, task.numLabels(), tokenizer.id("[PAD]"), s.seed());
      String run = modelDir + " (init " + init + ") diverged fine-tuning on " + task.name();
      Losses losses = new Losses(run, task.name(), logEvery);
      long steps = finetuner.train(train, settings, losses);
      float[] predicted = finetuner.predict(test, settings.batchSize());
      losses.requireConverged(steps, predicted);
      float[] gold = new float[testItems.size()];
      for (int i = 0; i < gold.length; i++) gold[i] = testItems.get(i).label();

      Map<String, Object> r = new LinkedHashMap<>();
      r.put("task", task.name());
      r.put("model", modelDir);
      r.put("init", init);
      r.put("scores", Scores.of(task, gold, predicted));
      r.put("train_examples", train.size());
      r.put("test_examples", test.size());
      r.put("skipped_rows", StageOutput.ordered("train", trainRows.skipped(), "test", testRows.skipped()));
      r.put("epochs", settings.epochs());
      r.put("learning_rate", settings.learningRate());
      r.put("batch_size", settings.batchSize());
      r.put("max_length", maxLength);
      r.put("steps", steps);
      r.put("seed", s.seed());
      r.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
      if (output != null) writeModel(conf, new org.apache.hadoop.fs.Path(output, "model"), config, task, finetuner, modelDir);
      return r;
    }
  }

  /**
   * The training loss step by step (logged every logEvery): as many non-finite losses in a row as make pretrain
   * stop end the run, and a run that ends with one, or whose test predictions are not finite, diverged (its scores
   * would be NaN, or a class that argmax picks from NaN).
   */
  private static final class Losses implements java.util.function.Consumer<double[]> {
    private final String run;
    private final String task;
    private final int logEvery;
    private long firstOfRow;
    private int inARow;
    private double last;

    Losses(String run, String task, int logEvery) {
      this.run = run;
      this.task = task;
      this.logEvery = logEvery;
    }

    @Override
    public void accept(double[] m) {
      long step = (long) m[0];
      if (step % logEvery == 0) LOG.info("{} step {}: loss {}", task, step, String.format("%.4f", m[1]));
      if (Double.isFinite(m[1])) {
        inARow = 0;
        return;
      }
      if (inARow++ == 0) firstOfRow = step;
      last = m[1];
      if (inARow >= dev.hunmin.train.Pretrainer.MAX_NON_FINITE_IN_A_ROW) {
        throw new HunminException(run + ": the loss was " + m[1] + " at steps " + firstOfRow + "–" + step + " (" + inARow + " in a row)");
      }
    }

    void requireConverged(long steps, float[] predicted) {
      if (inARow > 0) throw new HunminException(run + ": the loss was " + last + " from step " + firstOfRow + " to the last, " + steps);
      int bad = 0;
      for (float p : predicted) if (!Float.isFinite(p)) bad++;
      if (bad > 0) throw new HunminException(run + ": " + bad + " of its " + predicted.length + " test predictions are NaN");
    }
  }

  /** --max-length: [CLS] text [SEP] at the least, and no more positions than the model has (predict checks the same). */
  static int maxLength(Settings s, BertConfig config, String modelDir) {
    int maxLength = s.integer("max-length", 3);
    if (maxLength > config.maxPositionEmbeddings()) {
      throw new HunminException("--max-length " + maxLength + " is above the " + config.maxPositionEmbeddings() + " positions of " + modelDir);
    }
    return maxLength;
  }

  /** A seeded subset (all when limit is 0), so a quick run and a full one use the same recipe. */
  private static List<Task.Item> sample(List<Task.Item> items, int limit, long seed) {
    if (limit <= 0 || items.size() <= limit) return items;
    List<Task.Item> copy = new ArrayList<>(items);
    java.util.Collections.shuffle(copy, new Random(seed));
    return copy.subList(0, limit);
  }

  private static List<Finetuner.Example> encode(WordPieceTokenizer t, List<Task.Item> items, int maxLength) {
    List<Finetuner.Example> out = new ArrayList<>(items.size());
    for (Task.Item i : items) out.add(Finetuner.encode(t, i.textA(), i.textB(), i.label(), maxLength));
    return out;
  }

  /** config.json (BertForSequenceClassification, num_labels via id2label), model.safetensors, the tokenizer files. */
  private static void writeModel(Configuration conf, org.apache.hadoop.fs.Path dir, BertConfig config, Task task,
      Finetuner finetuner, String modelDir) throws IOException {
    FileSystem fs = dir.getFileSystem(conf);
    fs.mkdirs(dir);
    ObjectNode c = (ObjectNode) JSON.readTree(config.toJson());
    c.putArray("architectures").add("BertForSequenceClassification");
    ObjectNode id2label = c.putObject("id2label");
    ObjectNode label2id = c.putObject("label2id");
    for (int i = 0; i < task.numLabels(); i++) {
      String name = task.regression() ? "score" : task.labels().get(i);
      id2label.put(Integer.toString(i), name);
      label2id.put(name, i);
    }
    if (task.regression()) c.put("problem_type", "regression");
    // Hunmin's own keys (transformers keeps unknown ones): predict needs to know a pair task's second text
    c.put("hunmin_task", task.name());
    c.put("hunmin_text_pair", task.textB() != null);
    ModelFiles.writeText(fs, new org.apache.hadoop.fs.Path(dir, "config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c));
    Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
    finetuner.parameters().forEach((name, a) -> tensors.put(name, new SafeTensors.Tensor(a.getShape().getShape(), a.toFloatArray())));
    try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(dir, "model.safetensors"), true)) {
      SafeTensors.write(tensors, Map.of("format", "pt"), out);
    }
    for (Map.Entry<String, String> f : ModelFiles.tokenizerFiles(conf, new org.apache.hadoop.fs.Path(modelDir)).entrySet()) {
      ModelFiles.writeText(fs, new org.apache.hadoop.fs.Path(dir, f.getKey()), f.getValue());
    }
  }
}
