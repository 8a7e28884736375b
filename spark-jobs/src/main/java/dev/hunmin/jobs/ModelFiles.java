package dev.hunmin.jobs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hunmin.model.Bert;
import dev.hunmin.model.BertConfig;
import dev.hunmin.model.SafeTensors;
import dev.hunmin.train.AdamW;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Model directories in Hugging Face's layout (config.json, model.safetensors, tokenizer files) and pretrain's
 * checkpoints (checkpoints/step-N: the same plus optimizer.safetensors and trainer_state.json), on any Hadoop file
 * system. A checkpoint is written to a hidden directory and renamed into place, its trainer_state.json last, so an
 * interruption never leaves a half-written one among the complete, also where a rename is a copy (S3A); pretrain's
 * final/ is staged the same way.
 */
final class ModelFiles {
  private static final Logger LOG = LoggerFactory.getLogger(ModelFiles.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A checkpoint's state; its presence marks the checkpoint complete. */
  private static final String STATE = "trainer_state.json";

  private ModelFiles() {}

  /** Writes config.json, model.safetensors and the tokenizer files (from a vocab or model directory). */
  static void writeHf(Configuration conf, Path dir, Bert bert, Map<String, String> tokenizerFiles) throws IOException {
    FileSystem fs = dir.getFileSystem(conf);
    fs.mkdirs(dir);
    writeText(fs, new Path(dir, "config.json"), bert.config().toJson());
    try (OutputStream out = fs.create(new Path(dir, "model.safetensors"), true)) {
      SafeTensors.write(bert.toTensors(), Map.of("format", "pt"), out);
    }
    for (Map.Entry<String, String> f : tokenizerFiles.entrySet()) writeText(fs, new Path(dir, f.getKey()), f.getValue());
  }

  /** A model from a Hugging Face BERT directory (ours, or one a user has on disk such as klue/bert-base). */
  static Bert readHf(Configuration conf, Path dir, NDManager manager) {
    return readHf(conf, dir, manager, null);
  }

  /**
   * As {@link #readHf(Configuration, Path, NDManager)}, for a model that trains on (finetune, pretrain --init):
   * pretraining heads the directory lacks start from random weights drawn from {@code headSeed}.
   */
  static Bert readHf(Configuration conf, Path dir, NDManager manager, Long headSeed) {
    try {
      FileSystem fs = dir.getFileSystem(conf);
      Path config = new Path(dir, "config.json");
      if (!fs.exists(config)) {
        // a whole pretrain output holds its model in final/: say so rather than only what is missing
        Path fin = new Path(dir, "final/config.json");
        throw new HunminException("no config.json in " + dir + (fs.exists(fin) ? " (a pretrain output: its model is " + fin.getParent() + ")"
            : " (a Hugging Face BERT directory is needed)"));
      }
      Path weights = weights(fs, dir);
      BertConfig c = config(fs, config);
      try (InputStream in = fs.open(weights)) {
        Bert bert = Bert.fromTensors(c, manager, SafeTensors.read(in), headSeed);
        if (!bert.initializedHeads().isEmpty()) LOG.warn("{} has no {}: newly initialized", dir, bert.initializedHeads());
        return bert;
      } catch (HunminException e) {
        throw new HunminException(weights + ": " + e.getMessage(), e);
      }
    } catch (IOException e) {
      throw new HunminException("cannot read the model in " + dir + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  /** A model directory's model.safetensors; pickle checkpoints are refused (unpickling can run code). */
  static Path weights(FileSystem fs, Path dir) throws IOException {
    Path weights = new Path(dir, "model.safetensors");
    if (!fs.exists(weights)) {
      throw new HunminException("no model.safetensors in " + dir + " (pickle checkpoints such as pytorch_model.bin are not read)");
    }
    return weights;
  }

  /** The safetensors header against the file's length: a truncated copy is found without reading the weights. */
  static void requireWhole(FileSystem fs, Path weights) throws IOException {
    long length = fs.getFileStatus(weights).getLen();
    long described;
    try (InputStream in = fs.open(weights)) {
      described = SafeTensors.describedLength(in);
    } catch (HunminException e) {
      throw new HunminException(weights + ": " + e.getMessage());
    }
    if (described != length) {
      throw new HunminException(weights + " is damaged: its header describes " + described + " bytes, the file has " + length
          + " (a truncated copy?)");
    }
  }

  /**
   * Refuses, before any work, a model directory fine-tuning cannot use: missing, of an unfinished run, without a
   * BERT config.json, without a whole model.safetensors (where its weights are read), or whose tokenizer does not
   * load; the error names the directory or the file. Returns its configuration.
   */
  static BertConfig requireModel(Configuration conf, String dir, boolean weights) {
    Path path = new Path(dir);
    try {
      FileSystem fs = path.getFileSystem(conf);
      if (!fs.exists(path)) throw new HunminException("model not found: " + dir);
      requireFinished(conf, path);
      BertConfig config = readConfig(conf, path);
      if (weights) requireWhole(fs, weights(fs, path));
      Tokenizers.ofModel(conf, dir);
      return config;
    } catch (IOException e) {
      throw new HunminException("cannot read the model in " + dir + ": " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  /** The config.json of a Hugging Face BERT directory. */
  static BertConfig readConfig(Configuration conf, Path dir) {
    try {
      FileSystem fs = dir.getFileSystem(conf);
      Path config = new Path(dir, "config.json");
      if (!fs.exists(config)) {
        // a whole pretrain output holds its model in final/: say so rather than only what is missing
        Path fin = new Path(dir, "final/config.json");
        throw new HunminException("no config.json in " + dir + (fs.exists(fin) ? " (a pretrain output: its model is " + fin.getParent() + ")"
            : " (a Hugging Face BERT directory is needed)"));
      }
      return config(fs, config);
    } catch (IOException e) {
      throw new HunminException("cannot read " + dir + "/config.json: " + e.getMessage(), HunminException.EXTERNAL, e);
    }
  }

  /** config.json's model configuration; its errors name the file. */
  private static BertConfig config(FileSystem fs, Path config) throws IOException {
    try {
      return BertConfig.fromJson(readText(fs, config));
    } catch (HunminException e) {
      throw new HunminException(e.getMessage().replaceFirst("^config\\.json", config.toString()), e);
    }
  }

  /**
   * Refuses the model of an unfinished run: a Hunmin output (its _REPORT.json, or a pretrain output's checkpoints/)
   * without _SUCCESS, named itself or by its final/ (pretrain) or model/ (finetune), or a run's hidden staging
   * directory. A checkpoint (listed only once complete) and a plain Hugging Face directory carry neither marker and
   * pass.
   */
  static void requireFinished(Configuration conf, Path model) throws IOException {
    FileSystem fs = model.getFileSystem(conf);
    Path qualified = fs.makeQualified(model);
    Path parent = qualified.getParent();
    boolean inside = List.of("final", "model").contains(qualified.getName()) && parent != null;
    if (StageOutput.isStaging(qualified) || inside && StageOutput.isStaging(parent)) {
      throw new HunminException("model is incomplete: " + (inside ? parent : qualified) + " is the staging directory of an unfinished run");
    }
    Path output = inside && isRunOutput(fs, parent) ? parent : qualified;
    if (!isRunOutput(fs, output) || fs.exists(new Path(output, StageOutput.SUCCESS))) return;
    Path newest = latestCheckpoint(conf, output);
    throw new HunminException("model is incomplete: " + output + " has no _SUCCESS (its run did not finish)"
        + (newest == null ? "" : "; its newest complete checkpoint is " + newest));
  }

  private static boolean isRunOutput(FileSystem fs, Path dir) throws IOException {
    return fs.exists(new Path(dir, StageOutput.REPORT)) || fs.exists(new Path(dir, "checkpoints"));
  }

  /** Tokenizer files of a vocab or model directory, by name (those that exist). */
  static Map<String, String> tokenizerFiles(Configuration conf, Path dir) throws IOException {
    FileSystem fs = dir.getFileSystem(conf);
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : List.of("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
      Path p = new Path(dir, name);
      if (fs.exists(p)) out.put(name, readText(fs, p));
    }
    return out;
  }

  /**
   * pretrain's final/ model under output, staged and renamed as a checkpoint is, so that a run killed while writing
   * it leaves no half-written final/ (on S3A, where the rename copies file by file, the output's _SUCCESS, which
   * comes after, is what marks final/ complete).
   */
  static void writeFinal(Configuration conf, Path output, Bert bert, Map<String, String> tokenizerFiles) throws IOException {
    Path dir = new Path(output, "final");
    writeStaged(dir.getFileSystem(conf), dir, staging -> writeHf(conf, staging, bert, tokenizerFiles));
  }

  /** Fills a staging directory. */
  interface Staged {
    void write(Path staging) throws IOException;
  }

  /**
   * Writes dir through its hidden sibling .NAME.tmp (left over from an interrupted write, it is first removed),
   * then replaces dir with it: dir is either the old one, absent, or complete.
   */
  private static void writeStaged(FileSystem fs, Path dir, Staged staged) throws IOException {
    Path staging = new Path(dir.getParent(), "." + dir.getName() + ".tmp");
    fs.delete(staging, true);
    staged.write(staging);
    deleteCheckpoint(fs, dir); // an old checkpoint's state file first; a final/ has none
    if (!fs.rename(staging, dir)) throw new IOException("cannot rename " + staging + " to " + dir);
  }

  // ---- checkpoints ----------------------------------------------------------------------------------------------

  static void writeCheckpoint(Configuration conf, Path output, long step, Bert bert, AdamW optimizer,
      Map<String, String> textFiles, Map<String, Object> stateValues, int keep) throws IOException {
    Path checkpoints = new Path(output, "checkpoints");
    FileSystem fs = checkpoints.getFileSystem(conf);
    Path done = new Path(checkpoints, "step-" + step);
    writeStaged(fs, done, staging -> {
      writeHf(conf, staging, bert, textFiles);
      Map<String, SafeTensors.Tensor> moments = new LinkedHashMap<>();
      optimizer.moments().forEach((name, mv) -> {
        moments.put("m." + name, new SafeTensors.Tensor(mv[0].getShape().getShape(), mv[0].toFloatArray()));
        moments.put("v." + name, new SafeTensors.Tensor(mv[1].getShape().getShape(), mv[1].toFloatArray()));
      });
      try (OutputStream out = fs.create(new Path(staging, "optimizer.safetensors"), true)) {
        SafeTensors.write(moments, Map.of("optimizer_step", Long.toString(optimizer.step())), out);
      }
    });
    // trainer_state.json marks a checkpoint complete, so it comes after the rename: on S3A a directory rename copies
    // file by file, in parallel, and the state file must not appear before the weights. It is itself written under a
    // hidden name and renamed, so it never appears half-written (HDFS and local files are visible while written).
    Path state = new Path(done, ".trainer_state.json.tmp");
    writeText(fs, state, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(stateValues));
    if (!fs.rename(state, new Path(done, STATE))) throw new IOException("cannot rename " + state);
    List<Long> steps = steps(fs, checkpoints);
    for (int i = 0; i < steps.size() - keep; i++) deleteCheckpoint(fs, new Path(checkpoints, "step-" + steps.get(i)));
  }

  /** The state file first, so that a checkpoint half deleted (bulk deletes on S3) no longer counts as complete. */
  private static void deleteCheckpoint(FileSystem fs, Path dir) throws IOException {
    fs.delete(new Path(dir, STATE), false);
    fs.delete(dir, true);
  }

  /** The highest complete checkpoint under output, or null. */
  static Path latestCheckpoint(Configuration conf, Path output) throws IOException {
    Path checkpoints = new Path(output, "checkpoints");
    FileSystem fs = checkpoints.getFileSystem(conf);
    if (!fs.exists(checkpoints)) return null;
    List<Long> steps = steps(fs, checkpoints);
    return steps.isEmpty() ? null : new Path(checkpoints, "step-" + steps.get(steps.size() - 1));
  }

  /** Restores the optimizer of a checkpoint; returns its trainer_state.json. */
  static JsonNode restoreOptimizer(Configuration conf, Path checkpoint, AdamW optimizer, NDManager manager) throws IOException {
    FileSystem fs = checkpoint.getFileSystem(conf);
    JsonNode state = JSON.readTree(readText(fs, new Path(checkpoint, "trainer_state.json")));
    Map<String, NDArray[]> moments = new LinkedHashMap<>();
    try (InputStream in = fs.open(new Path(checkpoint, "optimizer.safetensors"))) {
      for (Map.Entry<String, SafeTensors.Tensor> e : SafeTensors.read(in).entrySet()) {
        String name = e.getKey().substring(2);
        NDArray[] mv = moments.computeIfAbsent(name, k -> new NDArray[2]);
        mv[e.getKey().startsWith("m.") ? 0 : 1] = manager.create(e.getValue().values(), new Shape(e.getValue().shape()));
      }
    }
    optimizer.restore(state.path("optimizer_step").asLong(), moments);
    return state;
  }

  private static List<Long> steps(FileSystem fs, Path checkpoints) throws IOException {
    List<Long> steps = new ArrayList<>();
    for (FileStatus s : fs.listStatus(checkpoints)) {
      String name = s.getPath().getName();
      if (name.matches("step-\\d+") && fs.exists(new Path(s.getPath(), STATE))) {
        steps.add(Long.parseLong(name.substring(5)));
      }
    }
    steps.sort(Long::compare);
    return steps;
  }

  static String readText(FileSystem fs, Path p) throws IOException {
    try (InputStream in = fs.open(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static void writeText(FileSystem fs, Path p, String text) throws IOException {
    try (OutputStream out = fs.create(p, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
