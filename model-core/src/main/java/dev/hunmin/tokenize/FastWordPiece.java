package dev.hunmin.tokenize;

import java.io.Serializable;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Objects;

/**
 * WordPiece for one pre-tokenized word, giving exactly the output of Hugging Face {@code tokenizers}
 * {@code WordPiece::tokenize} (greedy longest-match-first, whole word becomes [UNK] when any position has no
 * match, [UNK] when the word has more than {@code maxInputCharsPerWord} code points), computed in linear time
 * with LinMaxMatch (Song et al. 2021, "Fast WordPiece Tokenization").
 *
 * <p>The vocabulary is stored in a trie with, for every node v, a <em>failure link</em> f(v) and <em>failure
 * pops</em> F(v): when matching is stuck at v, F(v) are the tokens that greedy MaxMatch would emit from str(v),
 * and f(v) is the node for the (prefixed) rest of str(v), from which matching resumes. Every input code point
 * is then consumed once and every emitted token is copied once, so a word costs O(n).
 *
 * <p>Unlike the paper, the suffix root is not the node reached by reading the prefix from the word root: there
 * are two tries, one over all tokens (word-initial matches) and one over the tokens that begin with the prefix,
 * with the prefix stripped (matches after the first piece). A single shared trie conflates a word that itself
 * starts with the prefix (e.g. "##a", matched word-initially) with a suffix, which HF treats differently.
 * Failure links of both tries point into the suffix trie.
 *
 * <p>Positions are code points throughout: trie edges are keyed by code point, so a surrogate pair is never split
 * (an unpaired surrogate counts as one code point, as in {@link String#codePoints()}). If a token occurs twice in
 * the vocabulary, the later id wins, as when HF reads vocab.txt into its map.
 */
public final class FastWordPiece implements Serializable {
    private static final long serialVersionUID = 1L;

    private static final int WORD_ROOT = 0;
    private static final int SUFFIX_ROOT = 1;
    private static final int NONE = -1;
    private static final int CODE_POINT_BITS = 21; // Character.MAX_CODE_POINT < 2^21
    private static final long EMPTY_SLOT = -1L;    // edge keys are non-negative
    private static final long HASH_MULTIPLIER = 0x9E3779B97F4A7C15L;

    private final int unkId;
    private final int maxInputCharsPerWord;
    /** Trie edges, open addressing with linear probing: [2h] = key (parent << 21 | code point), [2h+1] = child. */
    private final long[] edges;
    private final int edgeHashShift;
    /** f(v), or NONE where MaxMatch has no way to continue (the word becomes [UNK]). */
    private final int[] failureLink;
    /** F(v) is pops[popStart[v] .. popStart[v + 1]). */
    private final int[] popStart;
    private final int[] pops;

    /** vocab.get(i) is the token with id i (as in vocab.txt). */
    public FastWordPiece(List<String> vocab, String unkToken, String continuingSubwordPrefix,
                         int maxInputCharsPerWord) {
        Objects.requireNonNull(vocab, "vocab");
        Objects.requireNonNull(unkToken, "unkToken");
        Objects.requireNonNull(continuingSubwordPrefix, "continuingSubwordPrefix");
        if (maxInputCharsPerWord < 0) {
            throw new IllegalArgumentException("maxInputCharsPerWord must be >= 0: " + maxInputCharsPerWord);
        }
        this.unkId = vocab.lastIndexOf(unkToken); // last, because a later duplicate overrides an earlier one
        if (unkId < 0) {
            throw new IllegalArgumentException("unk token not in vocabulary: " + unkToken);
        }
        this.maxInputCharsPerWord = maxInputCharsPerWord;

        TrieBuilder trie = TrieBuilder.of(vocab, continuingSubwordPrefix);
        int slots = Integer.highestOneBit(Math.max(2, trie.size * 2 - 1)) << 1; // load factor <= 1/2
        this.edges = new long[2 * slots];
        this.edgeHashShift = 64 - Integer.numberOfTrailingZeros(slots);
        fillEdges(trie);

        this.failureLink = new int[trie.size];
        int[][] popsOf = computeFailureLinksAndPops(trie);
        this.popStart = new int[trie.size + 1];
        this.pops = flatten(popsOf, popStart);
    }

    /**
     * Appends the ids of word.substring(from, to) to out starting at outPos and returns the new outPos.
     * The caller guarantees out.length >= outPos + (to - from) + 1.
     */
    public int encodeWord(CharSequence word, int from, int to, int[] out, int outPos) {
        final int firstPos = outPos;
        int node = WORD_ROOT;
        int codePoints = 0;
        int i = from;
        while (i < to) {
            char ch = word.charAt(i++);
            int cp = ch;
            if (Character.isHighSurrogate(ch) && i < to) {
                char low = word.charAt(i);
                if (Character.isLowSurrogate(low)) {
                    cp = Character.toCodePoint(ch, low);
                    i++;
                }
            }
            // An over-long word and an untokenizable word both give [UNK], so bailing out early on either is exact.
            if (++codePoints > maxInputCharsPerWord) {
                return writeUnk(out, firstPos);
            }
            int next;
            while ((next = child(node, cp)) == NONE) {
                int fail = failureLink[node];
                if (fail == NONE) {
                    return writeUnk(out, firstPos);
                }
                outPos = appendFailurePops(node, out, outPos);
                node = fail;
            }
            node = next;
        }
        return finishWord(node, out, firstPos, outPos);
    }

    /** Convenience for tests and tools: the ids of a whole word. */
    public int[] encodeWord(String word) {
        int[] buf = new int[word.length() + 1];
        int n = encodeWord(word, 0, word.length(), buf, 0);
        return Arrays.copyOf(buf, n);
    }

    public int unkId() {
        return unkId;
    }

    // ---------------------------------------------------------------- matching

    /** End of word: pop until the remaining string is empty, i.e. we stand on the suffix root. */
    private int finishWord(int node, int[] out, int firstPos, int outPos) {
        if (node == WORD_ROOT) {
            return outPos; // empty word: HF yields no tokens
        }
        while (node != SUFFIX_ROOT) {
            int fail = failureLink[node];
            if (fail == NONE) {
                return writeUnk(out, firstPos);
            }
            outPos = appendFailurePops(node, out, outPos);
            node = fail;
        }
        return outPos;
    }

    private int appendFailurePops(int node, int[] out, int outPos) {
        int from = popStart[node];
        int n = popStart[node + 1] - from;
        if (n == 1) {
            out[outPos] = pops[from]; // the usual case: str(node) is itself a token
            return outPos + 1;
        }
        System.arraycopy(pops, from, out, outPos, n);
        return outPos + n;
    }

    private int writeUnk(int[] out, int firstPos) {
        out[firstPos] = unkId;
        return firstPos + 1;
    }

    private int child(int node, int codePoint) {
        long key = edgeKey(node, codePoint);
        int mask = (edges.length >>> 1) - 1;
        int h = slot(key);
        while (true) {
            long k = edges[2 * h];
            if (k == key) {
                return (int) edges[2 * h + 1];
            }
            if (k == EMPTY_SLOT) {
                return NONE;
            }
            h = (h + 1) & mask;
        }
    }

    private static long edgeKey(int node, int codePoint) {
        return ((long) node << CODE_POINT_BITS) | codePoint;
    }

    private int slot(long key) {
        return (int) ((key * HASH_MULTIPLIER) >>> edgeHashShift);
    }

    // ---------------------------------------------------------------- construction

    private void fillEdges(TrieBuilder trie) {
        Arrays.fill(edges, EMPTY_SLOT);
        int mask = (edges.length >>> 1) - 1;
        for (int v = 0; v < trie.size; v++) {
            if (trie.parent[v] == NONE) {
                continue; // a root
            }
            long key = edgeKey(trie.parent[v], trie.label[v]);
            int h = slot(key);
            while (edges[2 * h] != EMPTY_SLOT) {
                h = (h + 1) & mask;
            }
            edges[2 * h] = key;
            edges[2 * h + 1] = v;
        }
    }

    /**
     * Fills failureLink and returns F(v) per node, visiting nodes by depth: f(v) is always shallower than v, so
     * everything a node needs is done before it (both tries interleaved; links only go into the suffix trie).
     */
    private int[][] computeFailureLinksAndPops(TrieBuilder trie) {
        int[][] popsOf = new int[trie.size][];
        for (int v : trie.nodesByDepth()) {
            if (trie.parent[v] == NONE) {
                failureLink[v] = NONE; // at a root there is nothing to pop: MaxMatch fails
                popsOf[v] = new int[0];
            } else if (trie.token[v] != NONE) {
                failureLink[v] = SUFFIX_ROOT; // str(v) is the longest match; continue with an empty suffix
                popsOf[v] = new int[] {trie.token[v]};
            } else {
                linkNonTokenNode(trie, v, popsOf);
            }
        }
        return popsOf;
    }

    /**
     * For v = child(u, c) with str(v) not a token, the longest token that is a prefix of str(v) is that of
     * str(u); so MaxMatch pops F(u), then keeps popping along u's failure chain until some node z has an edge c.
     */
    private void linkNonTokenNode(TrieBuilder trie, int v, int[][] popsOf) {
        int u = trie.parent[v];
        int c = trie.label[v];
        int[] popped = popsOf[u];
        int z = failureLink[u];
        while (z != NONE && child(z, c) == NONE) {
            popped = concat(popped, popsOf[z]);
            z = failureLink[z];
        }
        if (z == NONE) {
            failureLink[v] = NONE;
            popsOf[v] = new int[0];
        } else {
            failureLink[v] = child(z, c);
            popsOf[v] = popped;
        }
    }

    private static int[] concat(int[] a, int[] b) {
        if (b.length == 0) {
            return a;
        }
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static int[] flatten(int[][] popsOf, int[] popStart) {
        int total = 0;
        for (int[] p : popsOf) {
            total += p.length;
        }
        int[] flat = new int[total];
        int pos = 0;
        for (int v = 0; v < popsOf.length; v++) {
            popStart[v] = pos;
            System.arraycopy(popsOf[v], 0, flat, pos, popsOf[v].length);
            pos += popsOf[v].length;
        }
        popStart[popsOf.length] = pos;
        return flat;
    }

    /** Construction-time trie: nodes as parallel growable arrays; discarded after the constructor. */
    private static final class TrieBuilder {
        int size;
        int[] parent = new int[16];
        int[] label = new int[16];
        int[] depth = new int[16];
        int[] token = new int[16];
        /** Children during insertion only; the final lookup structure is the edge hash table. */
        final HashMap<Long, Integer> childOf = new HashMap<>();

        static TrieBuilder of(List<String> vocab, String prefix) {
            TrieBuilder t = new TrieBuilder();
            t.newNode(NONE, 0); // WORD_ROOT
            t.newNode(NONE, 0); // SUFFIX_ROOT
            for (int id = 0; id < vocab.size(); id++) {
                String tok = Objects.requireNonNull(vocab.get(id), "vocab entry");
                // HF never looks up an empty string, nor the bare prefix as a suffix: roots carry no token.
                if (!tok.isEmpty()) {
                    t.insert(WORD_ROOT, tok, 0, id);
                }
                if (tok.length() > prefix.length() && tok.startsWith(prefix)) {
                    t.insert(SUFFIX_ROOT, tok, prefix.length(), id);
                }
            }
            return t;
        }

        private void insert(int root, String s, int from, int id) {
            int node = root;
            for (int i = from; i < s.length(); ) {
                int cp = s.codePointAt(i);
                i += Character.charCount(cp);
                Long key = edgeKey(node, cp);
                Integer next = childOf.get(key);
                if (next == null) {
                    next = newNode(node, cp);
                    childOf.put(key, next);
                }
                node = next;
            }
            token[node] = id; // a later duplicate wins
        }

        private int newNode(int p, int cp) {
            if (size == parent.length) {
                int n = size * 2;
                parent = Arrays.copyOf(parent, n);
                label = Arrays.copyOf(label, n);
                depth = Arrays.copyOf(depth, n);
                token = Arrays.copyOf(token, n);
            }
            parent[size] = p;
            label[size] = cp;
            depth[size] = p == NONE ? 0 : depth[p] + 1;
            token[size] = NONE;
            return size++;
        }

        /** Counting sort of node ids by depth (breadth-first order over both tries). */
        int[] nodesByDepth() {
            int maxDepth = 0;
            for (int v = 0; v < size; v++) {
                maxDepth = Math.max(maxDepth, depth[v]);
            }
            int[] start = new int[maxDepth + 2];
            for (int v = 0; v < size; v++) {
                start[depth[v] + 1]++;
            }
            for (int d = 0; d <= maxDepth; d++) {
                start[d + 1] += start[d];
            }
            int[] order = new int[size];
            for (int v = 0; v < size; v++) {
                order[start[depth[v]]++] = v;
            }
            return order;
        }
    }
}
