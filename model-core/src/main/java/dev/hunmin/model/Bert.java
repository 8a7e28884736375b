package dev.hunmin.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import dev.hunmin.util.HunminException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * BertForPreTraining, written out as functions over one map of parameters named exactly as Hugging Face names them
 * ({@code bert.embeddings.word_embeddings.weight} … {@code cls.seq_relationship.bias}), so a checkpoint maps 1:1.
 * The MLM decoder is tied to the word embeddings (and its bias is {@code cls.predictions.bias}), as in Hugging Face.
 * Linear weights are [out, in], as PyTorch stores them.
 */
public final class Bert {
  /** Labels at positions that carry no MLM loss, as Hugging Face's DataCollatorForLanguageModeling writes. */
  public static final int IGNORE_INDEX = -100;

  private final BertConfig config;
  private final Map<String, NDArray> params;
  private List<String> initializedHeads = List.of();

  private Bert(BertConfig config, Map<String, NDArray> params) {
    this.config = config;
    this.params = params;
  }

  public BertConfig config() {
    return config;
  }

  /** The parameters by Hugging Face name, in a fixed order (for optimizers and checkpoints). */
  public Map<String, NDArray> parameters() {
    return params;
  }

  /** The same architecture over other tensors of the same names and shapes (mixed precision's float16 copies). */
  public Bert withParameters(Map<String, NDArray> other) {
    return new Bert(config, other);
  }

  // ---- parameters -------------------------------------------------------------------------------------------

  /** Every parameter's name and shape, in Hugging Face's order. */
  public static Map<String, Shape> shapes(BertConfig c) {
    Map<String, Shape> s = new LinkedHashMap<>();
    long h = c.hiddenSize();
    s.put("bert.embeddings.word_embeddings.weight", new Shape(c.vocabSize(), h));
    s.put("bert.embeddings.position_embeddings.weight", new Shape(c.maxPositionEmbeddings(), h));
    s.put("bert.embeddings.token_type_embeddings.weight", new Shape(c.typeVocabSize(), h));
    layerNorm(s, "bert.embeddings.LayerNorm", h);
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      String l = "bert.encoder.layer." + i + ".";
      linear(s, l + "attention.self.query", h, h);
      linear(s, l + "attention.self.key", h, h);
      linear(s, l + "attention.self.value", h, h);
      linear(s, l + "attention.output.dense", h, h);
      layerNorm(s, l + "attention.output.LayerNorm", h);
      linear(s, l + "intermediate.dense", c.intermediateSize(), h);
      linear(s, l + "output.dense", h, c.intermediateSize());
      layerNorm(s, l + "output.LayerNorm", h);
    }
    linear(s, "bert.pooler.dense", h, h);
    s.put("cls.predictions.bias", new Shape(c.vocabSize()));
    linear(s, "cls.predictions.transform.dense", h, h);
    layerNorm(s, "cls.predictions.transform.LayerNorm", h);
    linear(s, "cls.seq_relationship", 2, h);
    return s;
  }

  private static void linear(Map<String, Shape> s, String name, long out, long in) {
    s.put(name + ".weight", new Shape(out, in));
    s.put(name + ".bias", new Shape(out));
  }

  private static void layerNorm(Map<String, Shape> s, String name, long h) {
    s.put(name + ".weight", new Shape(h));
    s.put(name + ".bias", new Shape(h));
  }

  /**
   * Hugging Face's initialization: weights and embeddings normal(0, initializer_range), biases 0, LayerNorm 1 and
   * 0, the padding row of the word embeddings 0. Drawn in Java from the seed, so the engine's RNG plays no part.
   */
  public static Bert initialize(BertConfig c, NDManager manager, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : shapes(c).entrySet()) {
      params.put(e.getKey(), manager.create(initialValues(c, e.getKey(), e.getValue(), rng), e.getValue()));
    }
    return new Bert(c, params);
  }

  private static float[] initialValues(BertConfig c, String name, Shape shape, SplittableRandom rng) {
    float[] values = new float[(int) shape.size()];
    if (name.endsWith("LayerNorm.weight")) {
      java.util.Arrays.fill(values, 1f);
    } else if (name.endsWith(".weight")) {
      for (int i = 0; i < values.length; i++) values[i] = (float) (rng.nextGaussian() * c.initializerRange());
      if (name.equals("bert.embeddings.word_embeddings.weight")) {
        java.util.Arrays.fill(values, c.padTokenId() * c.hiddenSize(), (c.padTokenId() + 1) * c.hiddenSize(), 0f);
      }
    }
    return values;
  }

  /**
   * A model from Hugging Face tensors (our export, or a BertForPreTraining checkpoint on disk; names without the
   * "bert." prefix, as a BertModel writes them, are read too). Missing or unexpected tensors are named in the
   * error; tied copies (cls.predictions.decoder.*) and position_ids buffers are accepted and ignored.
   */
  public static Bert fromTensors(BertConfig c, NDManager manager, Map<String, SafeTensors.Tensor> tensors) {
    return fromTensors(c, manager, tensors, null);
  }

  /**
   * As {@link #fromTensors(BertConfig, NDManager, Map)}, for a model that goes on training (fine-tuning, or
   * pretraining from it): pretraining heads the checkpoint lacks (a BertModel has none, a masked-LM checkpoint no
   * NSP head) start from Hugging Face's initialization drawn from {@code headSeed}, as from_pretrained does, and
   * a fine-tuned classifier's own head (classifier.*) is left out. {@link #initializedHeads()} names them.
   */
  public static Bert fromTensors(BertConfig c, NDManager manager, Map<String, SafeTensors.Tensor> tensors, Long headSeed) {
    Map<String, Shape> shapes = shapes(c);
    Map<String, NDArray> params = new LinkedHashMap<>();
    TreeSet<String> unexpected = new TreeSet<>();
    Map<String, SafeTensors.Tensor> byName = new LinkedHashMap<>();
    for (Map.Entry<String, SafeTensors.Tensor> e : tensors.entrySet()) {
      String name = e.getKey().startsWith("embeddings.") || e.getKey().startsWith("encoder.") || e.getKey().startsWith("pooler.")
          ? "bert." + e.getKey() : e.getKey();
      if (shapes.containsKey(name)) byName.put(name, e.getValue());
      else if (headSeed != null && name.startsWith("classifier.")) continue;
      else if (!name.startsWith("cls.predictions.decoder.") && !name.endsWith("position_ids")) unexpected.add(e.getKey());
    }
    List<String> missing = new ArrayList<>();
    List<String> initialized = new ArrayList<>();
    SplittableRandom heads = headSeed == null ? null : new SplittableRandom(headSeed);
    for (Map.Entry<String, Shape> e : shapes.entrySet()) {
      SafeTensors.Tensor t = byName.get(e.getKey());
      if (t == null && heads != null && e.getKey().startsWith("cls.")) {
        params.put(e.getKey(), manager.create(initialValues(c, e.getKey(), e.getValue(), heads), e.getValue()));
        initialized.add(e.getKey());
        continue;
      }
      if (t == null) {
        missing.add(e.getKey());
        continue;
      }
      if (!new Shape(t.shape()).equals(e.getValue())) {
        throw new HunminException("tensor " + e.getKey() + " has shape " + new Shape(t.shape()) + ", the config needs " + e.getValue());
      }
      params.put(e.getKey(), manager.create(t.values(), e.getValue()));
    }
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      throw new HunminException("checkpoint does not match the config: missing " + missing + ", unexpected " + unexpected);
    }
    Bert bert = new Bert(c, params);
    bert.initializedHeads = List.copyOf(initialized);
    return bert;
  }

  /** The head tensors {@link #fromTensors(BertConfig, NDManager, Map, Long)} initialized, as the checkpoint lacked them. */
  public List<String> initializedHeads() {
    return initializedHeads;
  }

  /** The parameters as Hugging Face tensors (what model.safetensors holds). */
  public Map<String, SafeTensors.Tensor> toTensors() {
    Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
    params.forEach((name, a) -> out.put(name, new SafeTensors.Tensor(a.getShape().getShape(), a.toFloatArray())));
    return out;
  }

  private NDArray p(String name) {
    return params.get(name);
  }

  // ---- forward ------------------------------------------------------------------------------------------------

  /** The encoder's last hidden states [B, L, H] for input ids, token types and attention mask, all [B, L]. */
  public NDArray encode(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, boolean training) {
    long length = inputIds.getShape().get(1);
    NDArray positions = inputIds.getManager().arange(length).toType(DataType.INT64, false);
    NDArray x = embed(inputIds, "bert.embeddings.word_embeddings.weight")
        .add(embed(positions, "bert.embeddings.position_embeddings.weight").expandDims(0))
        .add(embed(tokenTypeIds, "bert.embeddings.token_type_embeddings.weight"));
    x = dropout(layerNorm(x, "bert.embeddings.LayerNorm"), config.hiddenDropoutProb(), training);
    // 0 where attended, a large negative number where padded: added to the attention scores
    // (in the weights' type: float16 scores plus a float32 bias would turn float32, and float16 matmuls refuse that)
    NDArray bias = attentionMask.toType(x.getDataType(), false).neg().add(1f).mul(-1e4f).expandDims(1).expandDims(1);
    for (int i = 0; i < config.numHiddenLayers(); i++) x = layer(x, bias, "bert.encoder.layer." + i + ".", training);
    return x;
  }

  private NDArray layer(NDArray x, NDArray bias, String l, boolean training) {
    NDArray attended = dropout(linear(selfAttention(x, bias, l + "attention.self.", training), l + "attention.output.dense"),
        config.hiddenDropoutProb(), training);
    x = layerNorm(attended.add(x), l + "attention.output.LayerNorm");
    NDArray hidden = Activation.gelu(linear(x, l + "intermediate.dense"));
    NDArray out = dropout(linear(hidden, l + "output.dense"), config.hiddenDropoutProb(), training);
    return layerNorm(out.add(x), l + "output.LayerNorm");
  }

  private NDArray selfAttention(NDArray x, NDArray bias, String a, boolean training) {
    Shape s = x.getShape();
    long batch = s.get(0);
    long length = s.get(1);
    NDArray q = heads(linear(x, a + "query"), batch, length);
    NDArray k = heads(linear(x, a + "key"), batch, length);
    NDArray v = heads(linear(x, a + "value"), batch, length);
    NDArray products = q.matMul(k.transpose(0, 1, 3, 2));
    NDArray scores = products.div(scalar(products, (float) Math.sqrt(config.headSize()))).add(bias);
    NDArray probs = dropout(scores.softmax(-1), config.attentionProbsDropoutProb(), training);
    return probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, length, config.hiddenSize());
  }

  /** [B, L, H] → [B, heads, L, head size]. */
  private NDArray heads(NDArray x, long batch, long length) {
    return x.reshape(batch, length, config.numAttentionHeads(), config.headSize()).transpose(0, 2, 1, 3);
  }

  /** The MLM head on hidden states [..., H]: transform, then the decoder tied to the word embeddings. */
  public NDArray mlmLogits(NDArray hidden) {
    NDArray t = layerNorm(Activation.gelu(linear(hidden, "cls.predictions.transform.dense")), "cls.predictions.transform.LayerNorm");
    return t.matMul(p("bert.embeddings.word_embeddings.weight").transpose()).add(p("cls.predictions.bias"));
  }

  /** The NSP head on the pooled [CLS] state: [B, 2]. */
  public NDArray nspLogits(NDArray sequenceOutput) {
    return linear(pooled(sequenceOutput), "cls.seq_relationship");
  }

  /** The pooler: tanh(dense([CLS] state)), [B, H], what NSP and sequence classification heads read. */
  public NDArray pooled(NDArray sequenceOutput) {
    return linear(sequenceOutput.get(":, 0, :"), "bert.pooler.dense").tanh();
  }

  /** Mean cross entropy over the rows whose label is not IGNORE_INDEX: logits [N, C], labels [N]. */
  public static NDArray crossEntropy(NDArray logits, NDArray labels) {
    NDArray keep = labels.neq(IGNORE_INDEX);
    NDArray safe = labels.mul(keep.toType(labels.getDataType(), false)).toType(DataType.INT64, false);
    NDArray picked = logits.logSoftmax(-1).gather(safe.expandDims(-1), -1).squeeze(-1);
    NDArray weights = keep.toType(DataType.FLOAT32, false);
    return picked.mul(weights).sum().neg().div(weights.sum().maximum(1f));
  }

  /**
   * BertForPreTraining's loss: MLM cross entropy at labelled positions (mlmLabels [B, L], IGNORE_INDEX elsewhere;
   * the decoder runs only there) plus NSP cross entropy. Returns {total, mlm, nsp, mlmLogits at labelled positions}.
   */
  public NDArray[] preTrainingLoss(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, NDArray mlmLabels,
      NDArray nspLabels, boolean training) {
    NDArray sequence = encode(inputIds, tokenTypeIds, attentionMask, training);
    NDArray flatLabels = mlmLabels.reshape(-1);
    NDIndex labelled = new NDIndex("{}", flatLabels.neq(IGNORE_INDEX).nonzero().squeeze(1));
    NDArray hidden = sequence.reshape(-1, config.hiddenSize()).get(labelled);
    NDArray mlmLogits = mlmLogits(hidden);
    NDArray mlm = crossEntropy(mlmLogits, flatLabels.get(labelled));
    NDArray nsp = crossEntropy(nspLogits(sequence), nspLabels);
    return new NDArray[] {mlm.add(nsp), mlm, nsp, mlmLogits};
  }

  /**
   * A number as a 0-dimensional tensor that PyTorch owns, for arithmetic inside the autograd graph. DJL's
   * {@code x.div(number)} (mul, add …) wraps the number around a direct buffer without copying it and closes it
   * after the call, but the graph keeps the operand for the backward pass (a / b needs b): once the garbage
   * collector frees that buffer, backward reads freed memory, and now and then a step's gradients come out as
   * 1e25 or inf from finite inputs. {@code full} allocates in PyTorch, so the graph's reference keeps it alive.
   */
  public static NDArray scalar(NDArray like, float value) {
    return like.getManager().full(new Shape(), value, like.getDataType());
  }

  private NDArray linear(NDArray x, String name) {
    return x.matMul(p(name + ".weight").transpose()).add(p(name + ".bias"));
  }

  private NDArray embed(NDArray ids, String table) {
    return Embedding.embedding(ids, p(table), SparseFormat.DENSE).singletonOrThrow();
  }

  private NDArray layerNorm(NDArray x, String name) {
    return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), p(name + ".weight"), p(name + ".bias"),
        (float) config.layerNormEps()).singletonOrThrow();
  }

  /** Dropout as the model applies it (the classifier head applies it to the pooled output). */
  public static NDArray dropout(NDArray x, double rate, boolean training) {
    return training && rate > 0 ? Dropout.dropout(x, (float) rate, true).singletonOrThrow() : x;
  }
}
