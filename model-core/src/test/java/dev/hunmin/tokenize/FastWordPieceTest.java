package dev.hunmin.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FastWordPieceTest {
    private static final String UNK = "[UNK]";

    /** Naive transcription of HF tokenizers' WordPiece::tokenize, positions in code points. */
    static final class Reference {
        final Map<String, Integer> vocab = new HashMap<>();
        final String prefix;
        final int max;
        final int unkId;

        Reference(List<String> tokens, String unk, String prefix, int max) {
            for (int i = 0; i < tokens.size(); i++) {
                vocab.put(tokens.get(i), i); // later duplicate wins, as in HF's read_file
            }
            this.prefix = prefix;
            this.max = max;
            this.unkId = vocab.get(unk);
        }

        int[] tokenize(String w) {
            int[] cps = w.codePoints().toArray();
            if (cps.length > max) {
                return new int[] {unkId};
            }
            List<Integer> out = new ArrayList<>();
            int start = 0;
            while (start < cps.length) {
                int end = cps.length;
                Integer found = null;
                while (start < end) {
                    String sub = new String(cps, start, end - start);
                    if (start > 0) {
                        sub = prefix + sub;
                    }
                    found = vocab.get(sub);
                    if (found != null) {
                        break;
                    }
                    end--;
                }
                if (found == null) {
                    return new int[] {unkId};
                }
                out.add(found);
                start = end;
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    private static void assertSame(List<String> vocab, String prefix, int max, String... words) {
        FastWordPiece fast = new FastWordPiece(vocab, UNK, prefix, max);
        Reference ref = new Reference(vocab, UNK, prefix, max);
        for (String w : words) {
            assertArrayEquals(ref.tokenize(w), fast.encodeWord(w), () -> "word '" + w + "' vocab " + vocab);
        }
    }

    private static int[] ids(List<String> vocab, String... tokens) {
        return Arrays.stream(tokens).mapToInt(vocab::indexOf).toArray();
    }

    @Test
    void paperExample() {
        // Figure 1 of Song et al.: "abcdz" -> a ##b ##c ##dz
        List<String> v = List.of(UNK, "a", "abcdx", "##b", "##c", "##cdy", "##dz");
        FastWordPiece wp = new FastWordPiece(v, UNK, "##", 100);
        assertArrayEquals(ids(v, "a", "##b", "##c", "##dz"), wp.encodeWord("abcdz"));
        List<String> classic = List.of(UNK, "a", "abcd", "##b", "##bc", "##z");
        FastWordPiece c = new FastWordPiece(classic, UNK, "##", 100);
        assertArrayEquals(ids(classic, "abcd", "##z"), c.encodeWord("abcdz"));
        assertArrayEquals(ids(classic, "a", "##bc"), c.encodeWord("abc"));
        assertArrayEquals(ids(classic, "a", "##b"), c.encodeWord("ab"));
        assertArrayEquals(ids(classic, "a", "##bc", "##z"), c.encodeWord("abcz"));
        assertArrayEquals(ids(classic, "abcd"), c.encodeWord("abcd"));
        assertSame(classic, "##", 100, "abcdz", "abc", "abcz", "abzz", "abcdbc", "abcdbcz", "aab", "a", "b", "z",
                "abcdzz", "abcx", "", "abcdabcd");
    }

    @Test
    void unknownWordsBecomeOneUnk() {
        List<String> v = List.of("x", UNK, "a", "##b");
        FastWordPiece wp = new FastWordPiece(v, UNK, "##", 100);
        assertEquals(1, wp.unkId());
        assertArrayEquals(new int[] {1}, wp.encodeWord("ac"));  // fails after a successful first piece
        assertArrayEquals(new int[] {1}, wp.encodeWord("c"));
        assertArrayEquals(new int[] {1}, wp.encodeWord("abx")); // "x" exists only word-initially
        assertArrayEquals(new int[] {2, 3, 3}, wp.encodeWord("abb"));
        assertArrayEquals(new int[0], wp.encodeWord(""));
    }

    @Test
    void unkMustBeInVocab() {
        assertThrows(IllegalArgumentException.class, () -> new FastWordPiece(List.of("a"), UNK, "##", 100));
    }

    @Test
    void maxInputCharsCountsCodePoints() {
        List<String> v = List.of(UNK, "a", "##a", "😀", "##😀");
        FastWordPiece wp = new FastWordPiece(v, UNK, "##", 3);
        assertArrayEquals(new int[] {1, 2, 2}, wp.encodeWord("aaa"));
        assertArrayEquals(new int[] {0}, wp.encodeWord("aaaa"));
        assertArrayEquals(new int[] {3, 4, 4}, wp.encodeWord("😀😀😀")); // 6 chars but 3 code points
        assertArrayEquals(new int[] {0}, wp.encodeWord("😀😀😀😀"));
        assertArrayEquals(new int[] {1}, new FastWordPiece(v, UNK, "##", 1).encodeWord("a"));
        assertArrayEquals(new int[] {0}, new FastWordPiece(v, UNK, "##", 0).encodeWord("a"));
        assertSame(v, "##", 3, "a", "aa", "aaa", "aaaa", "a😀a", "a😀a😀", "b", "");
    }

    @Test
    void singleCharacterWords() {
        assertSame(List.of(UNK, "a", "##a", "b"), "##", 100, "a", "b", "c", "#", "😀");
    }

    @Test
    void korean() {
        List<String> v = List.of(UNK, "안녕", "##하", "##세요", "##하세요", "하", "세요", "##안", "##녕", "안");
        FastWordPiece wp = new FastWordPiece(v, UNK, "##", 100);
        assertArrayEquals(ids(v, "안녕", "##하세요"), wp.encodeWord("안녕하세요"));
        assertArrayEquals(ids(v, "하", "##세요"), wp.encodeWord("하세요"));
        assertArrayEquals(ids(v, "안녕", "##하"), wp.encodeWord("안녕하"));
        assertArrayEquals(ids(v, "안", "##안", "##녕"), wp.encodeWord("안안녕"));
        assertArrayEquals(new int[] {0}, wp.encodeWord("안녕하십니까"));
        assertSame(v, "##", 100, "안녕하세요", "안녕하세요세요", "하하", "세요하", "녕", "안녕안녕", "하세", "안녕하세");
    }

    @Test
    void supplementaryCharacters() {
        List<String> v = List.of(UNK, "😀", "##😀", "a", "##a", "𠀀a", "##𠀀");
        FastWordPiece wp = new FastWordPiece(v, UNK, "##", 100);
        assertArrayEquals(ids(v, "😀", "##😀", "##a"), wp.encodeWord("😀😀a"));
        assertArrayEquals(ids(v, "𠀀a", "##𠀀"), wp.encodeWord("𠀀a𠀀"));
        assertArrayEquals(new int[] {0}, wp.encodeWord("𠀀"));   // only "𠀀a" starts a word
        assertArrayEquals(new int[] {0}, wp.encodeWord("a😁"));  // 😁 shares its high surrogate with 😀
        assertArrayEquals(new int[] {0}, wp.encodeWord("\uD83D")); // lone high surrogate
        assertSame(v, "##", 100, "😀", "😁", "a😀", "a𠀀", "𠀀a", "𠀀a𠀀😀a", "\uD83Da", "a\uD83D", "😀\uDE00");
        // the vocab may hold lone surrogates too; each counts as one code point
        assertSame(List.of(UNK, "\uD83D", "##\uDE00", "😀"), "##", 100, "😀", "\uD83D\uDE00", "\uD83D", "\uDE00");
    }

    @Test
    void prefixLikeTokens() {
        List<String> v = List.of(UNK, "##", "#", "##a#", "a", "##a", "###", "##b", "a#", "####", "##a##");
        assertSame(v, "##", 100, "#", "##", "###", "####", "#####", "##a", "##a#", "a##", "a#", "a#a", "aa#",
                "a##a", "a###", "##b", "a##b", "aa##a##", "#a", "b", "ab", "a####");
        FastWordPiece wp = new FastWordPiece(v, UNK, "##", 100);
        assertArrayEquals(ids(v, "##"), wp.encodeWord("##"));     // word-initial, not the (empty) suffix
        assertArrayEquals(ids(v, "##a#"), wp.encodeWord("##a#"));
        assertArrayEquals(ids(v, "a", "##a#"), wp.encodeWord("aa#"));
        // without "##" the word "##" splits into "#" then the suffix "#" = "###"
        List<String> w = List.of(UNK, "#", "###");
        assertArrayEquals(ids(w, "#", "###"), new FastWordPiece(w, UNK, "##", 100).encodeWord("##"));
    }

    @ParameterizedTest
    @CsvSource({"'##',100", "'##',5", "'#',100", "'',100", "'@@',4", "'##',0"})
    void randomVocabulariesMatchReference(String prefix, int max) {
        Random rnd = new Random(20210611L ^ prefix.hashCode() ^ max);
        int cases = 0;
        for (int vocabNo = 0; vocabNo < 300; vocabNo++) {
            // a small alphabet gives a dense trie with long failure chains; '#' makes words that look like the prefix
            String[] letters = randomAlphabet(rnd);
            List<String> vocab = randomVocab(rnd, letters, prefix);
            FastWordPiece fast = new FastWordPiece(vocab, UNK, prefix, max);
            Reference ref = new Reference(vocab, UNK, prefix, max);
            int[] buf = new int[128];
            for (int wordNo = 0; wordNo < 300; wordNo++) {
                String word = rnd.nextBoolean()
                        ? randomString(rnd, letters, rnd.nextInt(9))
                        : wordFromPieces(rnd, vocab, prefix, letters);
                int[] expected = ref.tokenize(word);
                assertArrayEquals(expected, fast.encodeWord(word), () -> "word '" + word + "' vocab " + vocab);
                // the range form must not depend on what surrounds the range
                String padded = "b😀" + word + "가";
                int n = fast.encodeWord(padded, 3, 3 + word.length(), buf, 7);
                assertArrayEquals(expected, Arrays.copyOfRange(buf, 7, n));
                cases++;
            }
        }
        assertEquals(90_000, cases);
    }

    private static String[] randomAlphabet(Random rnd) {
        List<String> all = new ArrayList<>(List.of("a", "b", "c", "가", "나", "😀", "#"));
        Collections.shuffle(all, rnd);
        return all.subList(0, 2 + rnd.nextInt(all.size() - 1)).toArray(new String[0]);
    }

    private static List<String> randomVocab(Random rnd, String[] letters, String prefix) {
        List<String> vocab = new ArrayList<>();
        int size = 1 + rnd.nextInt(40);
        int maxLen = 2 + rnd.nextInt(5);
        for (int i = 0; i < size; i++) {
            String tok = randomString(rnd, letters, 1 + rnd.nextInt(1 + rnd.nextInt(maxLen)));
            vocab.add(rnd.nextInt(5) < 3 ? prefix + tok : tok); // more suffix tokens, so words often segment
        }
        if (rnd.nextInt(10) == 0) {
            vocab.add(prefix); // the bare prefix
        }
        if (rnd.nextInt(10) == 0) {
            vocab.add(vocab.get(rnd.nextInt(vocab.size()))); // a duplicate: the later id wins
        }
        vocab.add(rnd.nextInt(vocab.size() + 1), UNK);
        return vocab;
    }

    /** Glues vocabulary pieces together (sometimes with one letter changed), so most such words segment. */
    private static String wordFromPieces(Random rnd, List<String> vocab, String prefix, String[] letters) {
        StringBuilder sb = new StringBuilder();
        for (int pieces = 1 + rnd.nextInt(4); pieces > 0; pieces--) {
            String tok = vocab.get(rnd.nextInt(vocab.size()));
            sb.append(tok.startsWith(prefix) ? tok.substring(prefix.length()) : tok);
        }
        int[] cps = sb.codePoints().toArray();
        if (cps.length > 0 && rnd.nextInt(4) == 0) {
            cps[rnd.nextInt(cps.length)] = letters[rnd.nextInt(letters.length)].codePointAt(0);
        }
        return new String(cps, 0, cps.length);
    }

    private static String randomString(Random rnd, String[] letters, int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) {
            sb.append(letters[rnd.nextInt(letters.length)]);
        }
        return sb.toString();
    }

    @Test
    void rangeEqualsSubstring() {
        List<String> v = List.of(UNK, "안녕", "##하", "##세요", "##하세요", "하", "a", "##b");
        FastWordPiece wp = new FastWordPiece(v, UNK, "##", 100);
        String text = "x안녕하세요 하세요 ab😀";
        int[] out = new int[text.length() + 10];
        for (int from = 0; from <= text.length(); from++) {
            for (int to = from; to <= text.length(); to++) {
                Arrays.fill(out, -7);
                int end = wp.encodeWord(text, from, to, out, 3);
                String sub = text.substring(from, to);
                assertArrayEquals(wp.encodeWord(sub), Arrays.copyOfRange(out, 3, end), sub);
                assertEquals(-7, out[2]);
            }
        }
        StringBuilder sb = new StringBuilder("안녕하세요");
        assertArrayEquals(ids(v, "안녕", "##하세요"), Arrays.copyOf(out, wp.encodeWord(sb, 0, sb.length(), out, 0)));
    }

    @Test
    void serializable() throws Exception {
        List<String> v = List.of(UNK, "안녕", "##하", "##세요", "##하세요");
        FastWordPiece wp = new FastWordPiece(v, UNK, "##", 100);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream oos = new ObjectOutputStream(bytes)) {
            oos.writeObject(wp);
        }
        FastWordPiece copy;
        try (ObjectInputStream ois = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (FastWordPiece) ois.readObject();
        }
        assertArrayEquals(wp.encodeWord("안녕하세요"), copy.encodeWord("안녕하세요"));
        assertEquals(0, copy.unkId());
    }
}
