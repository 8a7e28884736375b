package dev.hunmin.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * BERT's hyper-parameters with the fields and meaning of Hugging Face's BertConfig, read from and written as its
 * config.json. Named sizes follow Google's BERT release (tiny 2×128, mini 4×256, small 4×512, base 12×768).
 */
public record BertConfig(int vocabSize, int hiddenSize, int numHiddenLayers, int numAttentionHeads,
    int intermediateSize, String hiddenAct, double hiddenDropoutProb, double attentionProbsDropoutProb,
    int maxPositionEmbeddings, int typeVocabSize, double layerNormEps, double initializerRange, int padTokenId)
    implements Serializable {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public BertConfig {
    if (hiddenSize % numAttentionHeads != 0) {
      throw new HunminException("hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numAttentionHeads);
    }
  }

  /** A named size for a vocabulary: tiny, mini, small, base. */
  public static BertConfig named(String size, int vocabSize, int maxPositionEmbeddings) {
    int[] shape = switch (size.toLowerCase(Locale.ROOT)) {
      case "tiny" -> new int[] {2, 128, 2};
      case "mini" -> new int[] {4, 256, 4};
      case "small" -> new int[] {4, 512, 8};
      case "base" -> new int[] {12, 768, 12};
      default -> throw new HunminException("unknown model size '" + size + "' (tiny, mini, small, base)");
    };
    return new BertConfig(vocabSize, shape[1], shape[0], shape[2], 4 * shape[1], "gelu", 0.1, 0.1,
        maxPositionEmbeddings, 2, 1e-12, 0.02, 0);
  }

  public int headSize() {
    return hiddenSize / numAttentionHeads;
  }

  /** Hugging Face's config.json for BertForPreTraining. */
  public String toJson() {
    ObjectNode c = JSON.createObjectNode();
    c.putArray("architectures").add("BertForPreTraining");
    c.put("model_type", "bert");
    c.put("vocab_size", vocabSize);
    c.put("hidden_size", hiddenSize);
    c.put("num_hidden_layers", numHiddenLayers);
    c.put("num_attention_heads", numAttentionHeads);
    c.put("intermediate_size", intermediateSize);
    c.put("hidden_act", hiddenAct);
    c.put("hidden_dropout_prob", hiddenDropoutProb);
    c.put("attention_probs_dropout_prob", attentionProbsDropoutProb);
    c.put("max_position_embeddings", maxPositionEmbeddings);
    c.put("type_vocab_size", typeVocabSize);
    c.put("layer_norm_eps", layerNormEps);
    c.put("initializer_range", initializerRange);
    c.put("pad_token_id", padTokenId);
    c.put("position_embedding_type", "absolute");
    c.put("torch_dtype", "float32");
    try {
      return JSON.writeValueAsString(c) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads a Hugging Face BERT config.json (also klue/bert-base's); fields it lacks take BertConfig's defaults. */
  public static BertConfig fromJson(String json) {
    JsonNode c;
    try {
      c = JSON.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new HunminException("config.json is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new HunminException("config.json is not JSON: " + e.getMessage());
    }
    if (!c.path("model_type").asText("bert").equals("bert")) {
      throw new HunminException("config.json describes a " + c.path("model_type").asText() + " model, not bert");
    }
    String act = c.path("hidden_act").asText("gelu");
    if (!act.equals("gelu")) throw new HunminException("hidden_act " + act + " is not supported (gelu)");
    if (!c.path("position_embedding_type").asText("absolute").equals("absolute")) {
      throw new HunminException("position_embedding_type " + c.path("position_embedding_type").asText() + " is not supported (absolute)");
    }
    if (!c.has("vocab_size")) throw new HunminException("config.json has no vocab_size");
    return new BertConfig(integer(c, "vocab_size", 0), integer(c, "hidden_size", 768), integer(c, "num_hidden_layers", 12),
        integer(c, "num_attention_heads", 12), integer(c, "intermediate_size", 3072), act,
        number(c, "hidden_dropout_prob", 0.1), number(c, "attention_probs_dropout_prob", 0.1),
        integer(c, "max_position_embeddings", 512), integer(c, "type_vocab_size", 2),
        number(c, "layer_norm_eps", 1e-12), number(c, "initializer_range", 0.02), integer(c, "pad_token_id", 0));
  }

  /** A field's integer, or the default when it is absent; a value of another type is an error, not the default. */
  private static int integer(JsonNode c, String field, int absent) {
    JsonNode v = c.get(field);
    if (v == null || v.isNull()) return absent;
    if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new HunminException("config.json: " + field + " must be an integer, not " + v);
    return v.asInt();
  }

  private static double number(JsonNode c, String field, double absent) {
    JsonNode v = c.get(field);
    if (v == null || v.isNull()) return absent;
    if (!v.isNumber()) throw new HunminException("config.json: " + field + " must be a number, not " + v);
    return v.asDouble();
  }
}
