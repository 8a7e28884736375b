package dev.hunmin.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * A BERT WordPiece tokenizer that gives Hugging Face's ids: special tokens written in the text ("[MASK]") are
 * split off first, then each remaining segment goes Normalizer → (morphemes) → PreTokenizer → WordPiece.
 * Saved and loaded as Hugging Face's files: vocab.txt, tokenizer.json, tokenizer_config.json,
 * special_tokens_map.json.
 */
public final class WordPieceTokenizer implements Serializable {
  private static final long serialVersionUID = 1L;
  /** In the seeds' order; they take ids 0–4 in a vocabulary Hunmin learns. */
  public static final List<String> SPECIAL_TOKENS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
  public static final String PREFIX = "##";
  public static final int MAX_INPUT_CHARS_PER_WORD = 100;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** How eojeols are split before WordPiece: by white space and punctuation only, or also into morphemes. */
  public enum PreTokenization { WHITESPACE, MORPHEME }

  private final List<String> vocab;
  private final Map<String, Integer> ids;
  private final BertNormalizer normalizer;
  private final BertPreTokenizer preTokenizer = new BertPreTokenizer();
  private final MorphemeSplitter morphemes; // null unless MORPHEME
  private final FastWordPiece model;
  private final String[] specials;          // the special tokens present in the vocabulary
  private final int[] specialIds;

  public WordPieceTokenizer(List<String> vocab, BertNormalizer normalizer, PreTokenization preTokenization) {
    this.vocab = List.copyOf(vocab);
    this.ids = new HashMap<>();
    for (int i = 0; i < vocab.size(); i++) ids.putIfAbsent(vocab.get(i), i);
    this.normalizer = normalizer;
    this.morphemes = preTokenization == PreTokenization.MORPHEME ? new MorphemeSplitter() : null;
    this.model = new FastWordPiece(vocab, "[UNK]", PREFIX, MAX_INPUT_CHARS_PER_WORD);
    this.specials = SPECIAL_TOKENS.stream().filter(ids::containsKey).toArray(String[]::new);
    this.specialIds = Arrays.stream(specials).mapToInt(ids::get).toArray();
  }

  public PreTokenization preTokenization() {
    return morphemes == null ? PreTokenization.WHITESPACE : PreTokenization.MORPHEME;
  }

  public int vocabSize() {
    return vocab.size();
  }

  public List<String> vocab() {
    return vocab;
  }

  public String token(int id) {
    return vocab.get(id);
  }

  /** The id of a token, or -1. */
  public int id(String token) {
    return ids.getOrDefault(token, -1);
  }

  public int unkId() {
    return model.unkId();
  }

  /** The ids of a text, no [CLS]/[SEP] added (as Hugging Face's encode with add_special_tokens=False). */
  public int[] encode(String text) {
    IntBuffer out = new IntBuffer(text.length() + 2);
    int segment = 0;
    for (int i = text.indexOf('['); i >= 0; i = text.indexOf('[', i + 1)) {
      int special = specialAt(text, i);
      if (special < 0) continue;
      encodeSegment(text.substring(segment, i), out);
      out.ensure(1);
      out.data[out.size++] = specialIds[special];
      segment = i + specials[special].length();
      i = segment - 1;
    }
    encodeSegment(segment == 0 ? text : text.substring(segment), out);
    return Arrays.copyOf(out.data, out.size);
  }

  /** [CLS] ids [SEP], as Hugging Face's encode with add_special_tokens=True. */
  public int[] encodeWithSpecialTokens(String text) {
    int[] body = encode(text);
    int[] out = new int[body.length + 2];
    out[0] = ids.get("[CLS]");
    System.arraycopy(body, 0, out, 1, body.length);
    out[out.length - 1] = ids.get("[SEP]");
    return out;
  }

  /**
   * Hugging Face's decode for WordPiece: ## pieces join the token before, other tokens are separated by a space,
   * then clean_up_tokenization removes the space before punctuation and English contractions.
   */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    StringBuilder out = new StringBuilder();
    boolean first = true;
    for (int id : ids) {
      String token = vocab.get(id);
      if (skipSpecialTokens && SPECIAL_TOKENS.contains(token)) continue;
      if (first) out.append(token);
      else if (token.startsWith(PREFIX)) out.append(token, PREFIX.length(), token.length());
      else out.append(' ').append(token);
      first = false;
    }
    String s = out.toString();
    for (String[] r : new String[][] {{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
        {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}}) {
      s = s.replace(r[0], r[1]);
    }
    return s;
  }

  /** Leftmost-longest: the longest special token starting at i, as an index into specials; -1 if none. */
  private int specialAt(String text, int i) {
    int best = -1;
    for (int s = 0; s < specials.length; s++) {
      if (text.startsWith(specials[s], i) && (best < 0 || specials[s].length() > specials[best].length())) best = s;
    }
    return best;
  }

  private void encodeSegment(String segment, IntBuffer out) {
    if (segment.isEmpty()) return;
    String text = normalizer.normalize(morphemes == null ? segment : morphemes.split(segment));
    out.ensure(text.length() + 1); // a token covers at least one char; [UNK] a whole word
    preTokenizer.split(text, (start, end) -> out.size = model.encodeWord(text, start, end, out.data, out.size));
  }

  private static final class IntBuffer {
    int[] data;
    int size;

    IntBuffer(int capacity) {
      data = new int[capacity];
    }

    void ensure(int more) {
      if (size + more > data.length) data = Arrays.copyOf(data, Math.max(size + more, data.length * 2));
    }
  }

  /** The words a text is pre-tokenized into, for vocabulary learning (no special tokens, no WordPiece). */
  public static void words(String text, BertNormalizer normalizer, MorphemeSplitter morphemes, java.util.function.Consumer<String> sink) {
    String normalized = normalizer.normalize(morphemes == null ? text : morphemes.split(text));
    new BertPreTokenizer().split(normalized, (start, end) -> sink.accept(normalized.substring(start, end)));
  }

  // ---- Hugging Face files -------------------------------------------------------------------------------------

  /** The four files Hugging Face's BertTokenizerFast loads, by name. */
  public Map<String, String> files() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("vocab.txt", String.join("\n", vocab) + "\n");
    files.put("tokenizer.json", json(tokenizerJson()));
    files.put("tokenizer_config.json", json(tokenizerConfig()));
    files.put("special_tokens_map.json", json(specialTokensMap()));
    return files;
  }

  private ObjectNode tokenizerJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int s = 0; s < specials.length; s++) {
      added.addObject().put("id", specialIds[s]).put("content", specials[s]).put("single_word", false)
          .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
    }
    root.putObject("normalizer").put("type", "BertNormalizer").put("clean_text", true)
        .put("handle_chinese_chars", true).put("strip_accents", normalizer.stripAccents())
        .put("lowercase", normalizer.lowercase());
    root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
    if (id("[CLS]") >= 0 && id("[SEP]") >= 0) {
      ObjectNode post = root.putObject("post_processor").put("type", "BertProcessing");
      post.putArray("sep").add("[SEP]").add(id("[SEP]"));
      post.putArray("cls").add("[CLS]").add(id("[CLS]"));
    } else {
      root.putNull("post_processor");
    }
    root.putObject("decoder").put("type", "WordPiece").put("prefix", PREFIX).put("cleanup", true);
    ObjectNode model = root.putObject("model").put("type", "WordPiece").put("unk_token", "[UNK]")
        .put("continuing_subword_prefix", PREFIX).put("max_input_chars_per_word", MAX_INPUT_CHARS_PER_WORD);
    ObjectNode v = model.putObject("vocab");
    for (int i = 0; i < vocab.size(); i++) if (ids.get(vocab.get(i)) == i) v.put(vocab.get(i), i);
    return root;
  }

  private ObjectNode tokenizerConfig() {
    ObjectNode c = JSON.createObjectNode();
    c.put("tokenizer_class", "BertTokenizer");
    c.put("do_lower_case", normalizer.lowercase());
    c.put("strip_accents", normalizer.stripAccents());
    c.put("tokenize_chinese_chars", true);
    c.put("model_max_length", 512);
    c.put("clean_up_tokenization_spaces", true);
    c.setAll(specialTokensMap());
    // Hunmin's own key: with "morpheme", text must be split into morphemes before Hugging Face tokenizes it
    c.put("hunmin_pretokenizer", preTokenization().name().toLowerCase(Locale.ROOT));
    return c;
  }

  private static ObjectNode specialTokensMap() {
    ObjectNode m = JSON.createObjectNode();
    m.put("unk_token", "[UNK]").put("sep_token", "[SEP]").put("pad_token", "[PAD]").put("cls_token", "[CLS]")
        .put("mask_token", "[MASK]");
    return m;
  }

  private static String json(JsonNode node) {
    try {
      return JSON.writeValueAsString(node) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Loads a tokenizer directory by file name: tokenizer.json when present (vocabulary and normalizer options),
   * else vocab.txt with tokenizer_config.json's do_lower_case/strip_accents (a Hugging Face BERT directory).
   *
   * @param read the content of a file of the directory, or null when it does not exist
   */
  public static WordPieceTokenizer load(Function<String, String> read) throws IOException {
    String config = read.apply("tokenizer_config.json");
    JsonNode cfg = config == null ? JSON.createObjectNode() : JSON.readTree(config);
    PreTokenization pre = PreTokenization.valueOf(cfg.path("hunmin_pretokenizer").asText("whitespace").toUpperCase(Locale.ROOT));
    String tokenizerJson = read.apply("tokenizer.json");
    if (tokenizerJson != null) {
      JsonNode root = JSON.readTree(tokenizerJson);
      JsonNode norm = root.path("normalizer");
      boolean lowercase = norm.path("lowercase").asBoolean(false);
      boolean strip = norm.path("strip_accents").isNull() || norm.path("strip_accents").isMissingNode()
          ? lowercase : norm.path("strip_accents").asBoolean();
      List<String> vocab = vocabFromJson(root.path("model").path("vocab"));
      return new WordPieceTokenizer(vocab,
          new BertNormalizer(norm.path("clean_text").asBoolean(true), norm.path("handle_chinese_chars").asBoolean(true), strip, lowercase),
          pre);
    }
    String vocabTxt = read.apply("vocab.txt");
    if (vocabTxt == null) throw new IOException("neither tokenizer.json nor vocab.txt found");
    boolean lowercase = cfg.path("do_lower_case").asBoolean(false);
    boolean strip = cfg.path("strip_accents").isBoolean() ? cfg.path("strip_accents").asBoolean() : lowercase;
    return new WordPieceTokenizer(parseVocabTxt(vocabTxt), new BertNormalizer(true, true, strip, lowercase), pre);
  }

  static List<String> parseVocabTxt(String text) {
    List<String> vocab = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    if (!vocab.isEmpty() && vocab.get(vocab.size() - 1).isEmpty()) vocab.remove(vocab.size() - 1);
    vocab.replaceAll(t -> t.endsWith("\r") ? t.substring(0, t.length() - 1) : t);
    return vocab;
  }

  private static List<String> vocabFromJson(JsonNode vocab) throws IOException {
    String[] byId = new String[vocab.size()];
    for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      int id = e.getValue().asInt();
      if (id < 0 || id >= byId.length || byId[id] != null) throw new IOException("tokenizer.json vocab ids are not 0.." + (byId.length - 1));
      byId[id] = e.getKey();
    }
    return Arrays.asList(byId);
  }
}
