package dev.hunmin.jobs;

import dev.hunmin.examples.MaskedLm;
import dev.hunmin.examples.NextSentencePrediction;
import dev.hunmin.examples.NextSentencePrediction.Example;
import dev.hunmin.examples.NextSentencePrediction.Pending;
import dev.hunmin.tokenize.WordPieceTokenizer;
import dev.hunmin.util.HunminException;
import dev.hunmin.util.Seeds;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * {@code hunmin nsp}: clean docs + vocab → next-sentence-prediction examples as balanced, shuffled Parquet shards
 * (model-core's NextSentencePrediction per document). Documents are numbered by doc_id; a random next is a request
 * for (document, start, length) that a join with the numbered documents fulfils, so no document reaches the driver.
 */
final class NspJob {
  private NspJob() {}

  /** The documented contract `pretrain` accepts from any producer. */
  static final StructType SCHEMA = new StructType()
      .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
      .add("token_type_ids", DataTypes.createArrayType(DataTypes.ByteType, false), false)
      .add("next_sentence_label", DataTypes.IntegerType, false);
  static final StructType STATIC_MASKING_SCHEMA = SCHEMA
      .add("masked_lm_positions", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
      .add("masked_lm_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false);

  /** An example with where it came from (pass, document, index), which seeds its randomness and its shuffle. */
  record Keyed(int pass, long doc, int index, Pending pending) implements Serializable {
    long[] ids(long... more) {
      long[] out = new long[3 + more.length];
      out[0] = pass;
      out[1] = doc;
      out[2] = index;
      System.arraycopy(more, 0, out, 3, more.length);
      return out;
    }
  }

  /** A finished example (masked when static masking is on) and its shuffle key. */
  record Out(long key, int[] inputIds, byte[] tokenTypeIds, int label, int[] positions, int[] labels) implements Serializable {
    Row row(boolean staticMasking) {
      return staticMasking
          ? RowFactory.create(boxed(inputIds), boxed(tokenTypeIds), label, boxed(positions), boxed(labels))
          : RowFactory.create(boxed(inputIds), boxed(tokenTypeIds), label);
    }
  }

  /** The longest example nsp makes: far above BERT's 512 positions, far below what a row or a partition can hold. */
  static final int MAX_SEQ_LENGTH = 65536;

  static Map<String, Object> run(SparkSession spark, Settings s) throws Exception {
    long started = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    String input = StageOutput.requireComplete(jsc.hadoopConfiguration(), s.requiredString("input"), "clean").toString();
    WordPieceTokenizer tokenizer = Tokenizers.load(jsc.hadoopConfiguration(), s.requiredString("vocab"));
    // qualified in the report, so that inspect finds it from any directory
    Path vocabPath = new Path(s.requiredString("vocab"));
    String vocab = vocabPath.getFileSystem(jsc.hadoopConfiguration()).makeQualified(vocabPath).toString();
    // [CLS] A [SEP] B [SEP] needs two tokens of text
    int maxSeqLength = s.integer("max-seq-length", 5);
    if (maxSeqLength > MAX_SEQ_LENGTH) {
      throw new HunminException("--max-seq-length (hunmin.nsp.max-seq-length) must be at most " + MAX_SEQ_LENGTH + ", not " + maxSeqLength);
    }
    NextSentencePrediction.Params p = new NextSentencePrediction.Params(maxSeqLength,
        s.number("short-seq-prob", 0, 1), s.number("nsp-prob", 0, 1));
    int shards = s.integer("shards", 1);
    int dupeFactor = s.integer("dupe-factor", 1);
    int rowGroupMb = s.integer("row-group-mb", 1);
    long seed = s.seed();
    boolean staticMasking = s.bool("static-masking");
    MaskedLm.Params masking = new MaskedLm.Params(s.number("masked-lm-prob", 0, 1), s.integer("max-predictions-per-seq", 1));
    Path docsPath = new Path(input, "docs");
    if (!docsPath.getFileSystem(jsc.hadoopConfiguration()).exists(docsPath)) {
      throw new HunminException("no docs/ in " + input + ": nsp reads the documents a clean output writes there");
    }
    int cls = tokenizer.id("[CLS]");
    int sep = tokenizer.id("[SEP]");
    int mask = tokenizer.id("[MASK]");
    if (cls < 0 || sep < 0 || (staticMasking && mask < 0)) throw new HunminException("the vocabulary in " + s.requiredString("vocab") + " lacks [CLS], [SEP] or [MASK]");
    int vocabSize = tokenizer.vocabSize();

    try (StageOutput out = StageOutput.begin(jsc.hadoopConfiguration(), s)) {
      Broadcast<WordPieceTokenizer> tok = jsc.broadcast(tokenizer);
      // documents as token lists, numbered in doc_id order (content hashes: the same numbering on every run);
      // tokenized after the sort, once: sortByKey's sampling pass and zipWithIndex's counting pass each compute
      // what they follow, and the sorted token lists are cached for the numbering
      JavaPairRDD<String, List<int[]>> sorted = spark.read().parquet(docsPath.toString()).select("doc_id", "sentences").javaRDD()
          .mapToPair(row -> new Tuple2<>(row.getString(0), new ArrayList<>(row.<String>getList(1))))
          .sortByKey()
          .mapValues(sentences -> tokenizeDocument(tok.value(), sentences))
          .filter(d -> !d._2().isEmpty())
          .persist(StorageLevel.MEMORY_AND_DISK());
      JavaPairRDD<Long, List<int[]>> documents = sorted.zipWithIndex()
          .mapToPair(d -> new Tuple2<>(d._2(), d._1()._2()))
          .persist(StorageLevel.MEMORY_AND_DISK());
      long numDocs = documents.count();
      sorted.unpersist();
      if (numDocs == 0) throw new HunminException("no document in " + input + " has any token");

      JavaRDD<Keyed> pending = jsc.<Keyed>emptyRDD();
      for (int pass = 0; pass < dupeFactor; pass++) {
        int pss = pass;
        pending = pending.union(documents.flatMap(d -> {
          List<Keyed> keyed = new ArrayList<>();
          for (Pending x : NextSentencePrediction.createInstancesFromDocument(d._2(), d._1(), numDocs, p,
              Seeds.random(seed, "nsp", pss, d._1()))) {
            keyed.add(new Keyed(pss, d._1(), x.index(), x));
          }
          return keyed.iterator();
        }));
      }
      pending = pending.persist(StorageLevel.MEMORY_AND_DISK());
      JavaRDD<Tuple2<Keyed, int[]>> isNext = pending.filter(k -> !k.pending().isRandomNext())
          .map(k -> new Tuple2<>(k, k.pending().tokensB()));
      JavaRDD<Tuple2<Keyed, int[]>> randomNext = pending.filter(k -> k.pending().isRandomNext())
          .mapToPair(k -> new Tuple2<>(k.pending().randomDoc(), k))
          .join(documents)
          .map(j -> new Tuple2<>(j._2()._1(), NextSentencePrediction.randomNextSegment(j._2()._2(),
              j._2()._1().pending().randomStart(), j._2()._1().pending().targetBLength())));

      JavaRDD<Out> rows = isNext.union(randomNext).map(kb -> {
        Keyed k = kb._1();
        Example e = NextSentencePrediction.finish(k.pending().tokensA(), kb._2(), k.pending().isRandomNext(), p, cls, sep,
            Seeds.random(seed, "nsp-truncate", k.ids()));
        long key = Seeds.mix(seed, "nsp-shuffle", k.ids());
        if (!staticMasking) return new Out(key, e.inputIds(), e.tokenTypeIds(), e.nextSentenceLabel(), null, null);
        MaskedLm.Masked m = MaskedLm.createMaskedLmPredictions(e.inputIds(), cls, sep, mask, vocabSize, masking,
            Seeds.random(seed, "nsp-mask", k.ids()));
        return new Out(key, m.inputIds(), e.tokenTypeIds(), e.nextSentenceLabel(), m.positions(), m.labels());
      }).persist(StorageLevel.MEMORY_AND_DISK());
      long examples = rows.count();

      // shuffle across documents by a derived key, then cut into shards of equal size (±1 row); examples become
      // Rows only after the last shuffle, which would otherwise serialize every token id as a boxed Integer
      JavaPairRDD<Long, Out> ranked = rows.mapToPair(o -> new Tuple2<>(o.key(), o)).sortByKey().zipWithIndex()
          .mapToPair(r -> new Tuple2<>(r._2(), r._1()._2()));
      JavaRDD<Row> sharded = ranked.repartitionAndSortWithinPartitions(new ShardPartitioner(shards, examples)).values()
          .map(o -> o.row(staticMasking));
      spark.sparkContext().hadoopConfiguration().setLong("parquet.block.size", rowGroupMb * 1024L * 1024L);
      spark.createDataFrame(sharded, staticMasking ? STATIC_MASKING_SCHEMA : SCHEMA).write().parquet(out.path("shards"));
      out.renameParquetParts(jsc, "shards");

      Map<String, Object> report = report(s, input, vocab, Tokenizers.fingerprint(tokenizer), rows, pending, examples, numDocs,
          tokenizer.unkId(), started);
      out.commit(report, s);
      rows.unpersist();
      pending.unpersist();
      documents.unpersist();
      return report;
    }
  }

  /** Sentences as token ids (in the vocabulary's pre-tokenization mode); sentences without tokens are dropped. */
  static List<int[]> tokenizeDocument(WordPieceTokenizer tokenizer, List<String> sentences) {
    List<int[]> out = new ArrayList<>(sentences.size());
    for (String sentence : sentences) {
      int[] ids = tokenizer.encode(sentence);
      if (ids.length > 0) out.add(ids);
    }
    return out;
  }

  /** Row r of n goes to shard r·shards/n: contiguous ranks, equal sizes. */
  static final class ShardPartitioner extends Partitioner {
    private final int shards;
    private final long total;

    ShardPartitioner(int shards, long total) {
      this.shards = shards;
      this.total = Math.max(1, total);
    }

    @Override
    public int numPartitions() {
      return shards;
    }

    @Override
    public int getPartition(Object rank) {
      return (int) ((Long) rank * shards / total);
    }
  }

  private static Map<String, Object> report(Settings s, String input, String vocab, String vocabFingerprint, JavaRDD<Out> rows, JavaRDD<Keyed> pending,
      long examples, long numDocs, int unkId, long started) {
    // one pass over each: {random next, tokens, [UNK], examples by length / 16 …} and {short targets, forced}
    // the histogram's array grows to the longest example a partition holds, not to --max-seq-length
    long[] t = rows.mapPartitions(it -> {
      long[][] a = {new long[4]};
      it.forEachRemaining(o -> {
        int bucket = 3 + o.inputIds().length / 16;
        if (bucket >= a[0].length) a[0] = java.util.Arrays.copyOf(a[0], bucket + 1);
        a[0][0] += o.label() == 1 ? 1 : 0;
        a[0][1] += o.inputIds().length - 3;
        a[0][2] += unknowns(o, unkId);
        a[0][bucket]++;
      });
      return List.of(a[0]).iterator();
    }).reduce((x, y) -> VocabJob.sum(x.length >= y.length ? x : y, x.length >= y.length ? y : x));
    int buckets = t.length - 3;
    long[] k = pending.mapPartitions(it -> {
      long[] a = new long[2];
      it.forEachRemaining(x -> {
        if (x.pending().shortTarget()) a[0]++;
        if (x.pending().forcedRandom()) a[1]++;
      });
      return List.of(a).iterator();
    }).reduce(VocabJob::sum);
    long random = t[0];
    long[] tokens = {t[1], t[2]};
    long shortTargets = k[0];
    long forced = k[1];
    Map<Long, Long> lengths = new TreeMap<>();
    for (int b = 0; b < buckets; b++) if (t[3 + b] > 0) lengths.put(b * 16L, t[3 + b]);
    long usedDocs = pending.map(Keyed::doc).distinct().count();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("stage", "nsp");
    r.put("input", input);
    r.put("vocab", vocab);
    r.put("vocab_fingerprint", vocabFingerprint); // pretrain checks its --vocab against it
    r.put("examples", examples);
    r.put("documents", numDocs);
    r.put("documents_used", usedDocs);
    r.put("labels", StageOutput.ordered("is_next", examples - random, "random_next", random));
    r.put("random_next_share", examples == 0 ? 0 : (double) random / examples);
    // one-sentence chunks take a random next without a coin toss (the seeds' rule); the rest follow nsp-prob
    r.put("forced_random_next", forced);
    r.put("random_next_share_where_coin_decides", examples == forced ? 0 : (double) (random - forced) / (examples - forced));
    r.put("short_target_share", examples == 0 ? 0 : (double) shortTargets / examples);
    Map<String, Long> histogram = new LinkedHashMap<>();
    lengths.forEach((from, n) -> histogram.put(from + "-" + (from + 15), n));
    r.put("length_histogram", histogram);
    r.put("unk_rate", tokens[0] == 0 ? 0 : (double) tokens[1] / tokens[0]);
    r.put("seconds", Math.round((System.nanoTime() - started) / 1e7) / 100.0);
    r.put("config", s.section());
    // fewer examples than --shards leave shards empty, and an empty shard is no file
    r.put("summary", String.format("%d examples from %d documents in %d shards (random next %.3f)", examples, numDocs,
        Math.min(s.integer("shards"), examples), examples == 0 ? 0 : (double) random / examples));
    return r;
  }

  /** The [UNK]s of an example's text before static masking: a masked position counts as the token it hides. */
  static long unknowns(Out o, int unkId) {
    long n = 0;
    for (int id : o.inputIds()) if (id == unkId) n++;
    if (o.positions() != null) {
      for (int i = 0; i < o.positions().length; i++) {
        if (o.inputIds()[o.positions()[i]] == unkId) n--;
        if (o.labels()[i] == unkId) n++;
      }
    }
    return n;
  }

  private static Integer[] boxed(int[] a) {
    Integer[] out = new Integer[a.length];
    for (int i = 0; i < a.length; i++) out[i] = a[i];
    return out;
  }

  private static Byte[] boxed(byte[] a) {
    Byte[] out = new Byte[a.length];
    for (int i = 0; i < a.length; i++) out[i] = a[i];
    return out;
  }
}
