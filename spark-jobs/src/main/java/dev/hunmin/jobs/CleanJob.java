package dev.hunmin.jobs;

import static org.apache.spark.ml.functions.vector_to_array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;

import dev.hunmin.text.DocumentCleaner;
import dev.hunmin.text.KoreanSentenceSplitter;
import dev.hunmin.text.MatchKey;
import dev.hunmin.text.PiiScrubber;
import dev.hunmin.text.TextNormalizer;
import dev.hunmin.util.Counters;
import dev.hunmin.util.HunminException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.feature.MinHashLSH;
import org.apache.spark.ml.feature.MinHashLSHModel;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code hunmin clean}: raw corpus → docs/ (Parquet: doc_id, source, sentences), text/ (seed format),
 * _REPORT.json. Per document: normalize, scrub PII, drop junk, split sentences (model-core's DocumentCleaner);
 * across the corpus: decontamination, exact dedup of documents and sentences, near-duplicate removal.
 */
final class CleanJob {
  private CleanJob() {}

  /** A cleaned document, or (counters set) the per-step counts of one partition. */
  record Cleaned(String source, long offset, List<String> sentences, long key, Counters counters) implements Serializable {}

  /** Drop reasons that mean a record could not be read at all (the rest are judgements on readable text). */
  private static final List<String> UNREADABLE = List.of("invalid_utf8", "invalid_json", "missing_field");

  static final StructType DOCS = new StructType()
      .add("source", DataTypes.StringType, false)
      .add("offset", DataTypes.LongType, false)
      .add("key", DataTypes.LongType, false)
      .add("sentences", DataTypes.createArrayType(DataTypes.StringType, false), false);

  static Map<String, Object> run(SparkSession spark, Settings s) throws IOException {
    long started = System.nanoTime();
    List<String> inputs = SampleCorpus.resolve(spark, s.list("input"), s.requiredString("output"));
    // the embedded sample's copy lies beside the output; its documents' source says "sample", wherever that is
    Map<String, String> sources = new java.util.HashMap<>();
    for (int i = 0; i < inputs.size(); i++) if (s.list("input").get(i).equals("sample")) sources.put(inputs.get(i), "sample");
    DocumentCleaner cleaner = cleaner(s);
    boolean failOnBad = badRecordPolicy(s);
    String format = s.string("format");
    // every setting is checked before the corpus is read: a bad value fails at once, not after the cleaning
    int partitions = s.integer("partitions", 1);
    int sentenceMinChars = s.integer("dedup-sentence-min-chars", 0);
    NearDup nearDup = NearDup.of(s);
    try (StageOutput out = StageOutput.begin(spark.sparkContext().hadoopConfiguration(), s)) {
      Counters counts = new Counters();
      Set<Long> excluded = exclusionKeys(spark, s, cleaner, counts);
      Broadcast<Set<Long>> excludedB = spark.sparkContext().broadcast(excluded, scala.reflect.ClassTag$.MODULE$.apply(Set.class));

      JavaRDD<Cleaned> cleaned = RawInputs.read(spark, inputs, layout(s))
          .mapPartitions(docs -> cleanPartition(docs, cleaner, excludedB.value(), failOnBad, format))
          .persist(StorageLevel.MEMORY_AND_DISK());
      counts.merge(cleaned.filter(c -> c.counters() != null).map(Cleaned::counters).fold(new Counters(), Counters::merge));
      long unreadable = UNREADABLE.stream().mapToLong(r -> counts.get("drop." + r)).sum();
      if (counts.get("documents_in") == 0) {
        throw new HunminException("no document in " + String.join(", ", inputs) + ": the input holds no records (only a header, or blank lines)");
      }
      if (unreadable > 0 && unreadable == counts.get("documents_in")) {
        throw new HunminException("no document could be read from " + String.join(", ", inputs) + ": " + counts.withPrefix("drop.")
            + " (check --format, --jsonl-field, --tsv-column, --parquet-column)");
      }
      Dataset<Row> docs = spark.createDataFrame(
          cleaned.filter(c -> c.counters() == null)
              .map(c -> RowFactory.create(sources.getOrDefault(c.source(), c.source()), c.offset(), c.key(),
                  c.sentences().toArray(new String[0]))), DOCS);

      // each corpus-wide step is materialized once: its counts and the next step read the stored result
      Steps steps = new Steps(docs);
      if (s.bool("dedup-documents")) steps.apply(CleanJob::dedupDocuments, "dedup.documents", counts);
      // near-duplicates go whole before sentence dedup, which would otherwise leave their fragments behind
      if (s.bool("near-dup")) steps.apply(d -> removeNearDuplicates(d, nearDup, s.seed()), "dedup.near_duplicate_documents", counts);
      if (s.bool("dedup-sentences")) {
        long sentencesBefore = steps.sentences();
        steps.apply(d -> dedupSentences(d, sentenceMinChars), "dedup.documents_emptied_by_sentence_dedup", counts);
        counts.add("dedup.sentences", sentencesBefore - steps.sentences());
      }
      docs = steps.current;
      long docsOut = steps.rows;

      Dataset<Row> result = docs
          .select(expr("lpad(lower(hex(key)), 16, '0')").as("doc_id"), col("source"), col("sentences"))
          .repartition(partitions, col("doc_id"))
          .sortWithinPartitions("doc_id")
          .persist(StorageLevel.MEMORY_AND_DISK());
      result.write().parquet(out.path("docs"));
      out.renameParquetParts(JavaSparkContext.fromSparkContext(spark.sparkContext()), "docs");
      result.select(concat(concat_ws("\n", col("sentences")), lit("\n"))).write().text(out.path("text"));
      out.renameParts("text", ".txt");
      long sentencesOut = result.select(expr("coalesce(sum(size(sentences)), 0)")).first().getLong(0);

      Map<String, Object> report = report(s, inputs, counts, docsOut, sentencesOut, started);
      out.commit(report, s);
      cleaned.unpersist();
      steps.current.unpersist();
      result.unpersist();
      return report;
    }
  }

  static RawInputs.Layout layout(Settings s) {
    return new RawInputs.Layout(s.string("format"), s.string("text-format"), s.string("jsonl-field"),
        s.string("tsv-column"), s.string("parquet-column"));
  }

  static DocumentCleaner cleaner(Settings s) {
    TextNormalizer normalizer = new TextNormalizer(new TextNormalizer.Options(
        s.bool("normalize.nfc"), s.bool("normalize.remove-control"), s.bool("normalize.fold-whitespace"),
        s.integer("normalize.squeeze-repeats", 0)));
    PiiScrubber scrubber = null;
    if (s.bool("pii.enabled")) {
      Set<PiiScrubber.Kind> kinds = new HashSet<>();
      for (String k : s.list("pii.kinds")) kinds.add(PiiScrubber.kindOf(k));
      scrubber = new PiiScrubber(kinds, s.string("pii.placeholder"));
    }
    DocumentCleaner.Filters filters = new DocumentCleaner.Filters(s.integer("filter.min-chars", 0),
        s.integer("filter.max-chars", 1), s.number("filter.min-hangul-ratio", 0, 1), s.number("filter.min-letter-ratio", 0, 1),
        s.list("filter.boilerplate"));
    KoreanSentenceSplitter splitter =
        new KoreanSentenceSplitter(s.bool("split-morphology"), s.bool("split-classifier"));
    try {
      return new DocumentCleaner(normalizer, scrubber, splitter, filters); // it compiles the boilerplate patterns
    } catch (java.util.regex.PatternSyntaxException e) {
      throw new HunminException("--filter.boilerplate: '" + e.getPattern() + "' is no regular expression (" + e.getDescription() + ")");
    }
  }

  private static boolean badRecordPolicy(Settings s) {
    return switch (s.string("on-bad-record")) {
      case "drop" -> false;
      case "fail" -> true;
      default -> throw new HunminException("on-bad-record must be drop or fail, not '" + s.string("on-bad-record") + "'");
    };
  }

  static Iterator<Cleaned> cleanPartition(Iterator<RawInputs.RawDoc> docs, DocumentCleaner cleaner, Set<Long> excluded,
      boolean failOnBad, String format) {
    Counters c = new Counters();
    List<Cleaned> out = new ArrayList<>();
    while (docs.hasNext()) {
      RawInputs.RawDoc raw = docs.next();
      c.increment("documents_in");
      if (raw.bad() != null) {
        if (failOnBad) {
          // a Parquet record's offset is its row, a text record's its first byte
          String unit = RawInputs.formatOf(new org.apache.hadoop.fs.Path(raw.source()), format) == RawInputs.Format.PARQUET ? "row" : "byte";
          throw new HunminException("unreadable record (" + raw.bad() + ") in " + raw.source() + " at " + unit + " " + raw.offset());
        }
        c.increment("drop." + raw.bad());
        continue;
      }
      c.add("lines_in", raw.text().lines().filter(l -> !l.isBlank()).count());
      DocumentCleaner.Result r = cleaner.clean(raw.text(), c);
      if (!r.kept()) {
        c.increment("drop." + r.dropReason());
        continue;
      }
      long key = MatchKey.ofSentences(r.sentences());
      if (excluded.contains(key)) {
        c.increment("exclusion.documents");
        continue;
      }
      List<String> sentences = new ArrayList<>(r.sentences().size());
      for (String sentence : r.sentences()) {
        if (excluded.contains(MatchKey.of(sentence))) c.increment("exclusion.sentences");
        else sentences.add(sentence);
      }
      if (sentences.isEmpty()) {
        c.increment("exclusion.documents");
        continue;
      }
      out.add(new Cleaned(raw.source(), raw.offset(), sentences, key, null));
    }
    out.add(new Cleaned(null, 0, null, 0, c));
    return out.iterator();
  }

  /** Keys of every exclusion text and of each of its sentences, cleaned the way the corpus is. */
  private static Set<Long> exclusionKeys(SparkSession spark, Settings s, DocumentCleaner cleaner, Counters counts) {
    List<String> paths = s.list("exclude");
    if (paths.isEmpty()) return new HashSet<>();
    JavaRDD<RawInputs.RawDoc> texts;
    long read;
    try {
      texts = RawInputs.read(spark, paths, RawInputs.Layout.of("auto", s.string("text-format"), s.string("exclude-field")))
          .filter(d -> d.text() != null).cache();
      read = texts.count();
    } catch (HunminException e) { // "input not found" would read as if --input were wrong
      throw new HunminException("--exclude: " + e.getMessage(), e.exitCode(), e);
    }
    if (read == 0) {
      throw new HunminException("--exclude " + String.join(", ", paths) + ": no text read (check --exclude-field, the column or field of the texts)");
    }
    counts.add("exclusion.texts", read);
    List<Long> keys = texts.flatMap(d -> {
      List<String> sentences = cleaner.sentencesOf(d.text());
      List<Long> k = new ArrayList<>();
      if (!sentences.isEmpty()) k.add(MatchKey.ofSentences(sentences));
      for (String sentence : sentences) k.add(MatchKey.of(sentence));
      return k.iterator();
    }).distinct().collect();
    texts.unpersist();
    return new HashSet<>(keys);
  }

  /** Near-duplicate removal's settings: Jaccard threshold, shingle length, shortest text measured, LSH tables. */
  record NearDup(double threshold, int shingle, int minChars, int hashTables) implements Serializable {
    static NearDup of(Settings s) {
      return new NearDup(s.number("near-dup-threshold", 0, 1), s.integer("near-dup-shingle", 1),
          s.integer("near-dup-min-chars", 0), s.integer("near-dup-hash-tables", 1));
    }
  }

  /** Keeps the first document (by source, offset) of each key. */
  static Dataset<Row> dedupDocuments(Dataset<Row> docs) {
    return docs.withColumn("rn", row_number().over(Window.partitionBy("key").orderBy("source", "offset")))
        .filter("rn = 1").drop("rn");
  }

  /** The documents through the corpus-wide steps, each result stored once and counted. */
  private static final class Steps {
    Dataset<Row> current;
    long rows;

    Steps(Dataset<Row> start) {
      current = start.persist(StorageLevel.MEMORY_AND_DISK());
      rows = current.count();
    }

    void apply(java.util.function.UnaryOperator<Dataset<Row>> step, String removedCounter, Counters counts) {
      Dataset<Row> next = step.apply(current).persist(StorageLevel.MEMORY_AND_DISK());
      long nextRows = next.count();
      counts.add(removedCounter, rows - nextRows);
      current.unpersist();
      current = next;
      rows = nextRows;
    }

    long sentences() {
      return current.select(expr("coalesce(sum(size(sentences)), 0)")).first().getLong(0);
    }
  }

  /** Removes later copies of sentences of at least {@code minChars}; documents left empty disappear. */
  static Dataset<Row> dedupSentences(Dataset<Row> docs, int minChars) {
    docs.sparkSession().udf().register("match_key", (UDF1<String, Long>) MatchKey::of, DataTypes.LongType);
    Dataset<Row> sentences = docs.select(col("source"), col("offset"), col("key"), posexplode(col("sentences")).as(new String[] {"pos", "sentence"}))
        .withColumn("skey", expr("match_key(sentence)"));
    Dataset<Row> firsts = sentences
        .withColumn("rn", row_number().over(Window.partitionBy("skey").orderBy("source", "offset", "pos")))
        .filter(col("rn").equalTo(1).or(length(col("sentence")).lt(minChars)));
    return firsts.groupBy("source", "offset", "key")
        .agg(sort_array(collect_list(struct(col("pos"), col("sentence")))).as("ordered"))
        .select(col("source"), col("offset"), col("key"), expr("transform(ordered, x -> x.sentence)").as("sentences"));
  }

  /**
   * MinHash LSH over character shingles: of a pair above the Jaccard threshold, the later document goes. Spark ML's
   * MinHashLSH hashes; the documents sharing a (table, hash) bucket are grouped with their shingles and every pair in
   * a bucket is measured in one task. approxSimilarityJoin finds the same pairs by a self-join that carries both
   * documents' vectors and a distinct over all pairs; on the shared corpora a few buckets (short reviews whose
   * minimum shingle is a common phrase) make 2.5 million pairs of 98 thousand documents, and that join was a third
   * of the clean job.
   */
  static Dataset<Row> removeNearDuplicates(Dataset<Row> docs, NearDup nearDup, long seed) {
    int shingle = nearDup.shingle();
    docs.sparkSession().udf().register("shingles", (UDF1<String, org.apache.spark.ml.linalg.Vector>) text -> shingles(text, shingle),
        SQLDataTypes.VectorType());
    Dataset<Row> candidates = docs
        .withColumn("flat", expr("regexp_replace(concat_ws('', sentences), '\\\\s+', '')"))
        .filter(length(col("flat")).geq(Math.max(nearDup.minChars(), shingle)))
        .select(col("key"), col("source"), col("offset"), expr("shingles(flat)").as("features"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    if (candidates.isEmpty()) {
      candidates.unpersist();
      return docs;
    }
    MinHashLSHModel model = new MinHashLSH().setNumHashTables(nearDup.hashTables())
        .setSeed(seed).setInputCol("features").setOutputCol("hashes").fit(candidates);
    Dataset<Row> buckets = model.transform(candidates)
        .select(col("key"), col("source"), col("offset"), posexplode(col("hashes")).as(new String[] {"table", "hash"}))
        .withColumn("hash", vector_to_array(col("hash"), "float64").getItem(0))
        .persist(StorageLevel.MEMORY_AND_DISK());
    // nearly every (table, hash) bucket holds one document; only the others, with their shingles, are grouped
    Dataset<Row> members = buckets.join(buckets.groupBy("table", "hash").count().filter("count > 1"), new String[] {"table", "hash"})
        .select("table", "hash", "key", "source", "offset");
    double maxDistance = 1 - nearDup.threshold();
    JavaRDD<Long> laterKeys = members.join(candidates.select("key", "features"), "key")
        .groupBy("table", "hash").agg(collect_list(struct("source", "offset", "key", "features")).as("docs"))
        .javaRDD().flatMap(bucket -> laterCopies(bucket.getList(2), maxDistance).iterator());
    Dataset<Row> later = docs.sparkSession().createDataset(laterKeys.rdd(), Encoders.LONG()).toDF("key").distinct()
        .persist(StorageLevel.MEMORY_AND_DISK());
    later.count();
    candidates.unpersist();
    buckets.unpersist();
    return docs.join(later, docs.col("key").equalTo(later.col("key")), "left_anti");
  }

  /**
   * Of the documents of one bucket (rows of source, offset, key, shingles), the keys of those within the distance
   * of an earlier one (by source, offset): every pair measured, as approxSimilarityJoin would, but in one task.
   */
  static List<Long> laterCopies(List<Row> bucket, double maxDistance) {
    List<Row> docs = new ArrayList<>(bucket);
    docs.sort(java.util.Comparator.<Row, String>comparing(r -> r.getString(0)).thenComparingLong(r -> r.getLong(1)));
    List<Long> later = new ArrayList<>();
    for (int j = 1; j < docs.size(); j++) {
      for (int i = 0; i < j; i++) {
        if (jaccardDistance(docs.get(i).getAs(3), docs.get(j).getAs(3)) < maxDistance) {
          later.add(docs.get(j).getLong(2));
          break;
        }
      }
    }
    return later;
  }

  /** 1 − |A ∩ B| / |A ∪ B| over the non-zero indices of two shingle vectors (MinHashLSH's keyDistance). */
  static double jaccardDistance(org.apache.spark.ml.linalg.Vector x, org.apache.spark.ml.linalg.Vector y) {
    int[] p = x.toSparse().indices();
    int[] q = y.toSparse().indices();
    int both = 0;
    for (int i = 0, j = 0; i < p.length && j < q.length; ) {
      if (p[i] == q[j]) {
        both++;
        i++;
        j++;
      } else if (p[i] < q[j]) {
        i++;
      } else {
        j++;
      }
    }
    return 1 - (double) both / (p.length + q.length - both);
  }

  /** The k-character shingles of a text as a binary vector of 2^20 hashed dimensions (String.hashCode of each). */
  static org.apache.spark.ml.linalg.Vector shingles(String text, int k) {
    int dim = 1 << 20;
    int n = Math.max(0, text.length() - k + 1);
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      int h = 0; // text.substring(i, i + k).hashCode(), without the substring
      for (int j = i; j < i + k; j++) h = 31 * h + text.charAt(j);
      idx[i] = Math.floorMod(h, dim);
    }
    idx = java.util.Arrays.stream(idx).sorted().distinct().toArray();
    double[] ones = new double[idx.length];
    java.util.Arrays.fill(ones, 1.0);
    return Vectors.sparse(dim, idx, ones);
  }

  /** Counts under the report's documented keys, 0 where nothing was counted (a step off, or nothing found). */
  private static Map<String, Long> everyKey(Map<String, Long> counted, String... keys) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String key : keys) out.put(key, counted.getOrDefault(key, 0L));
    return out;
  }

  private static Map<String, Object> report(Settings s, List<String> inputs, Counters c, long docsOut, long sentencesOut,
      long started) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("stage", "clean");
    r.put("inputs", inputs);
    r.put("documents", StageOutput.ordered("in", c.get("documents_in"), "out", docsOut));
    r.put("lines", StageOutput.ordered("in", c.get("lines_in"), "out", sentencesOut));
    r.put("drops", c.withPrefix("drop."));
    r.put("pii", everyKey(c.withPrefix("pii."), java.util.Arrays.stream(PiiScrubber.Kind.values())
        .map(k -> k.name().toLowerCase(java.util.Locale.ROOT)).toArray(String[]::new)));
    r.put("normalize", everyKey(c.withPrefix("normalize."), "nfc", "control", "whitespace", "squeeze"));
    r.put("boilerplate_sentences", c.get("boilerplate_sentences"));
    r.put("dedup", everyKey(c.withPrefix("dedup."), "documents", "near_duplicate_documents", "sentences",
        "documents_emptied_by_sentence_dedup"));
    r.put("exclusion", everyKey(c.withPrefix("exclusion."), "texts", "documents", "sentences"));
    r.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
    r.put("config", s.section());
    r.put("summary", String.format("%d documents in, %d out, %d sentences", c.get("documents_in"), docsOut, sentencesOut));
    return r;
  }
}
