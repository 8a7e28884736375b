package dev.hunmin.text;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.lucene.analysis.ko.POS;

/**
 * Splits a Korean paragraph into sentences.
 *
 * <p>Two sources of boundaries: terminal punctuation ({@code . ? ! …}) with the quotes and brackets that close
 * after it, and — with {@code morphology} on — a sentence-final ending that the next word does not continue, which
 * finds sentences written without punctuation or glued together without a space. Nori tags every ending E, so the
 * final ones (EF in the Sejong tag set) are known by their dictionary form. Whether an ending ends the sentence
 * is decided by a logistic-regression classifier trained on the shared corpus and on gold single sentences
 * ({@link SentenceBoundaryModel}, the default) or by hand-written rules (strong and weak final endings). No boundary
 * inside a matched quote or bracket, inside a number (3.14), a dotted date (2017. 8. 25.), an enumeration (1.),
 * a URL or e-mail, or after a Latin abbreviation (Mr., U.S.).
 */
public final class KoreanSentenceSplitter implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final String TERMINALS = ".?!…。？！‼⁇⁈⁉";
  private static final String OPENERS = "\"'“‘「『(［[《〈【〔｛{";
  private static final String CLOSERS = "\"'”’」』)］]》〉】〕｝}";
  /** Laughter, crying and tildes that trail a sentence-final ending and belong to its sentence. */
  private static final String TRAILERS = "ㅋㅎㅠㅜㄷㅡ~^♡♥★☆";
  private static final Set<String> ABBREVIATIONS = Set.of(
      "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "inc", "ltd", "co", "corp", "no", "vol", "pp",
      "fig", "al", "e.g", "i.e", "a.m", "p.m", "u.s", "u.k", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
      "sept", "oct", "nov", "dec");
  /** Without morphology: what may follow a closing quote inside one sentence (the quotative particles). */
  private static final List<String> QUOTE_CONTINUATIONS = List.of(
      "라고", "라며", "라면서", "라는", "란", "라 ", "이라", "하고", "하며", "하면서", "하는", "고 ", "며 ", "는 ", "를 ",
      "은 ", "을 ", "와 ", "과 ", "로 ", "으로", "에 ", "의 ", "도 ", "가 ", "이 ");
  /** Quotes longer than this may hold several sentences of their own (a quoted letter, a long speech). */
  private static final int MAX_QUOTE_CHARS = 200;

  private final boolean morphology;
  private final boolean learned;
  private transient NoriAnalyzer nori;
  private transient SentenceBoundaryModel model;

  /** With {@code morphology}, the learned boundary classifier decides on endings without punctuation. */
  public KoreanSentenceSplitter(boolean morphology) {
    this(morphology, true);
  }

  /**
   * @param morphology find boundaries after sentence-final endings without punctuation (Nori), not only after
   *     terminal punctuation
   * @param learned with morphology: decide on each ending with the bundled classifier ({@link
   *     SentenceBoundaryModel}) rather than with the hand-written rules
   */
  public KoreanSentenceSplitter(boolean morphology, boolean learned) {
    this.morphology = morphology;
    this.learned = learned;
  }

  /** A splitter that decides with the given model (training and evaluation of new weights). */
  KoreanSentenceSplitter(SentenceBoundaryModel model) {
    this(true, true);
    this.model = model;
  }

  public List<String> split(String paragraph) {
    String s = paragraph;
    int n = s.length();
    List<String> out = new ArrayList<>();
    if (n == 0) return out;
    boolean[] inside = insideQuotes(s);
    List<NoriAnalyzer.Morpheme> morphemes = morphology ? nori().analyze(s) : List.of();
    TreeSet<Integer> cuts = new TreeSet<>();
    punctuationBoundaries(s, inside, morphemes, cuts);
    if (morphology && learned) learnedBoundaries(s, inside, morphemes, cuts);
    else if (morphology) endingBoundaries(s, inside, morphemes, cuts);
    int start = 0;
    for (int cut : cuts) {
      while (cut < n && isMark(s.charAt(cut))) cut++; // a variation selector stays with its emoji (‼️)
      if (cut <= start) continue;
      addTrimmed(out, s, start, cut);
      start = cut;
    }
    addTrimmed(out, s, start, n);
    return out;
  }

  /**
   * A piece with no letter or digit (^^, ‼️, …) is no sentence: it goes with the sentence before it, or the one
   * after it at the paragraph's start.
   */
  private static void addTrimmed(List<String> out, String s, int from, int to) {
    String piece = s.substring(from, to).strip();
    if (piece.isEmpty()) return;
    boolean letterless = piece.codePoints().noneMatch(Character::isLetterOrDigit);
    if (!out.isEmpty() && (letterless || out.get(out.size() - 1).codePoints().noneMatch(Character::isLetterOrDigit))) {
      out.set(out.size() - 1, out.get(out.size() - 1) + " " + piece);
    } else {
      out.add(piece);
    }
  }

  /** Combining marks and variation selectors belong to the character before them. */
  private static boolean isMark(char c) {
    int type = Character.getType(c);
    return type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.COMBINING_SPACING_MARK;
  }

  // ---- punctuation -------------------------------------------------------------------------------------------

  private static void punctuationBoundaries(String s, boolean[] inside, List<NoriAnalyzer.Morpheme> morphemes, Set<Integer> cuts) {
    int n = s.length();
    int sentenceStart = 0;
    for (int i = 0; i < n; i++) {
      if (TERMINALS.indexOf(s.charAt(i)) < 0) continue;
      int j = i;
      while (j < n && (TERMINALS.indexOf(s.charAt(j)) >= 0 || s.charAt(j) == '~' || isMark(s.charAt(j)))) j++;
      boolean singleDot = j - i == 1 && s.charAt(i) == '.';
      int k = j;
      while (k < n && CLOSERS.indexOf(s.charAt(k)) >= 0 && inside[k - 1]) k++; // quotes closing after the mark
      boolean stillInside = k > j ? inside[k - 1] : inside[i];
      if (stillInside || (singleDot && !isSentenceDot(s, i, sentenceStart))) {
        i = j - 1;
        continue;
      }
      while (k < n && (TRAILERS.indexOf(s.charAt(k)) >= 0 || isMark(s.charAt(k)))) k++;
      k = afterTrailers(s, k); // 좋아요. ^^ 또 봐요: the emoticon set off by a space is still this sentence's
      i = k - 1;
      if (k < n && !Character.isWhitespace(s.charAt(k)) && continuesSentence(s, k, morphemes)) continue;
      if (k > j && k < n && isQuote(s.charAt(k - 1)) && Character.isLetter(s.charAt(k))) continue; // "…다."그는 말했다
      if (k < n) {
        cuts.add(k);
        sentenceStart = k;
      }
    }
  }

  /** A quoted sentence glued to the next word is followed by its attribution ("…했다."그가 말했다.): one sentence. */
  private static boolean isQuote(char c) {
    return c == '"' || c == '”' || c == '\'' || c == '’';
  }

  /** A period ends a sentence unless it sits in a number, a dotted date, an enumeration, a URL or an abbreviation. */
  static boolean isSentenceDot(String s, int i, int sentenceStart) {
    char prev = i > 0 ? s.charAt(i - 1) : ' ';
    char next = i + 1 < s.length() ? s.charAt(i + 1) : ' ';
    int after = i + 1;
    while (after < s.length() && s.charAt(after) == ' ') after++;
    char nextNonSpace = after < s.length() ? s.charAt(after) : ' ';
    if (isAsciiDigit(prev) && isAsciiDigit(nextNonSpace)) return false; // 3.14, 2017. 8. 25.
    if (isAsciiDigit(prev) && s.substring(sentenceStart, i).strip().chars().allMatch(KoreanSentenceSplitter::isAsciiDigit)) {
      return false; // "1." opening an enumerated item
    }
    if (isAsciiDigit(prev) && closesDottedDate(s, i)) return false; // the last dot of 2019. 3. 1.
    if (isAsciiDigit(prev) && opensItem(s, i)) return false; // "요약: 1. …", "제3조 1. … 2. …"
    if ((isLatin(next) || isAsciiDigit(next)) && !isHangul(prev)) return false; // naver.com, e.g, .net, <.dji>
    if (isLatin(prev)) {
      int w = i;
      while (w > 0 && (isLatin(s.charAt(w - 1)) || s.charAt(w - 1) == '.')) w--;
      String word = s.substring(w, i).toLowerCase(java.util.Locale.ROOT);
      if (ABBREVIATIONS.contains(word)) return false;
      if (word.length() == 1 && Character.isUpperCase(prev)) return false; // initials: J. K. Rowling
    }
    return true;
  }

  /**
   * Whether the number of one or two digits before the period at {@code i} numbers an item: after a label's mark
   * (문제> 1., 요약: 1., 첫째, 1.), or followed later in the paragraph by the next number's item (제3조 1. … 2.). A
   * number closing a sentence (만점에 8.) has neither.
   */
  private static boolean opensItem(String s, int i) {
    int j = i;
    while (j > 0 && isAsciiDigit(s.charAt(j - 1))) j--;
    if (i - j > 2 || (j > 0 && !Character.isWhitespace(s.charAt(j - 1)))) return false;
    int p = j;
    while (p > 0 && Character.isWhitespace(s.charAt(p - 1))) p--;
    if (p > 0 && ">:),]".indexOf(s.charAt(p - 1)) >= 0) return true;
    String next = (Integer.parseInt(s.substring(j, i)) + 1) + ".";
    for (int at = s.indexOf(next, i + 1); at >= 0; at = s.indexOf(next, at + 1)) {
      boolean whole = at > 0 && Character.isWhitespace(s.charAt(at - 1));
      boolean noFraction = at + next.length() >= s.length() || !isAsciiDigit(s.charAt(at + next.length()));
      if (whole && noFraction) return true;
    }
    return false;
  }

  /** Whether the digits before the period at {@code i} follow "digits." as in a dotted date (2019. 3. 1.). */
  private static boolean closesDottedDate(String s, int i) {
    int j = i;
    while (j > 0 && isAsciiDigit(s.charAt(j - 1))) j--;
    while (j > 0 && s.charAt(j - 1) == ' ') j--;
    return j >= 2 && s.charAt(j - 1) == '.' && isAsciiDigit(s.charAt(j - 2));
  }

  /** Whether the text at {@code k}, glued to a closing mark, continues the sentence (a quotative particle). */
  private static boolean continuesSentence(String s, int k, List<NoriAnalyzer.Morpheme> morphemes) {
    NoriAnalyzer.Morpheme m = morphemeAt(morphemes, k);
    if (m != null) return isAttachingPos(m.left());
    for (String c : QUOTE_CONTINUATIONS) {
      if (s.startsWith(c, k)) return true;
    }
    return false;
  }

  // ---- sentence-final endings --------------------------------------------------------------------------------

  /**
   * Nori tags every ending {@code E}, so the sentence-final ones (EF in the Sejong tag set) are known by form.
   * Strong forms end a sentence wherever the next word does not attach to them.
   */
  private static final Set<String> STRONG_FINALS = Set.of(
      "다", "ᆫ다", "는다", "니다", "습니다", "ᆸ니다", "읍니다", "답니다", "랍니다", "단다", "란다", "냐", "느냐", "으냐",
      "네", "군", "구나", "는구나", "구먼", "죠", "잖아", "거든", "ᆯ게", "을게", "ᆯ래", "을래", "대", "ᆫ대", "는대", "래",
      "더라", "려나", "ᆯ까", "을까", "까", "습니까", "ᆸ니까", "ᆫ가", "는가", "은가", "야지", "아야지", "어야지", "지롱",
      "다니");
  /** Weak forms also join clauses (먹어 보다, 하지 않다): they end a sentence only before a word that is no verb. */
  private static final Set<String> WEAK_FINALS = Set.of(
      "어", "아", "여", "지", "니", "자", "라", "어라", "아라", "여라", "야", "데", "걸", "ᆫ걸", "는걸", "나");

  static int finality(String rawEnding) {
    return rawEnding == null ? 0 : canonicalFinality(canonicalJamo(rawEnding));
  }

  /** {@link #finality} of an ending already in its canonical jamo form. */
  private static int canonicalFinality(String ending) {
    if (STRONG_FINALS.contains(ending)) return 2;
    if (ending.endsWith("요") || (ending.endsWith("다") && !ending.endsWith("다가"))) return 2;
    return WEAK_FINALS.contains(ending) ? 1 : 0;
  }

  /**
   * Nori writes the consonant that opens an ending in several Unicode forms (ᆫ다, ㄴ다; ᆸ니다, ᄇ니다): fold them
   * to the final-consonant (jongseong) form; a bare vowel jamo (ㅏ, ㅓ) is the vowel ending itself.
   */
  static String canonicalJamo(String ending) {
    StringBuilder out = new StringBuilder(ending.length());
    for (int i = 0; i < ending.length(); i++) out.append(canonical(ending.charAt(i)));
    return out.toString();
  }

  private static char canonical(char c) {
    return switch (c) {
      case 'ㄴ', 'ᄂ' -> 'ᆫ';
      case 'ㅂ', 'ᄇ' -> 'ᆸ';
      case 'ㄹ', 'ᄅ' -> 'ᆯ';
      case 'ㅁ', 'ᄆ' -> 'ᆷ';
      case 'ㅏ' -> '아';
      case 'ㅓ' -> '어';
      case 'ㅔ' -> '에';
      default -> c;
    };
  }

  /** Verbs that serve as postpositions (를 위해, 에 대해, 을 통해): connectives, never sentence ends. */
  private static final List<String> POSTPOSITIONAL = List.of(
      "위해", "대해", "의해", "통해", "인해", "관해", "비해", "향해", "위하여", "대하여", "의하여", "통하여", "인하여",
      "관하여", "비하여", "향하여", "따라", "불구하고");
  /** Indefinite pronouns built from a question ending (뭔가 "something"), not questions. */
  private static final Set<String> INDEFINITES = Set.of("뭔가", "누군가", "언젠가", "어딘가", "어쩐지", "왠지", "웬지");
  /** What follows a weak ending in a negation (하지 않다, 하지 못하다, 하지 마) rather than a new sentence. */
  private static final List<String> NEGATIONS = List.of("않", "안 ", "못", "말", "마");

  private static void endingBoundaries(String s, boolean[] inside, List<NoriAnalyzer.Morpheme> morphemes, TreeSet<Integer> cuts) {
    List<Integer> weak = new ArrayList<>();
    for (NoriAnalyzer.Morpheme m : morphemes) {
      int finality = finality(m.ending());
      if (finality == 0 || inside[m.end() - 1]) continue;
      int cut = endingCut(s, inside, morphemes, m, finality);
      if (cut < 0) continue;
      if (finality == 2) cuts.add(cut);
      else weak.add(cut);
    }
    // weak endings double as connectives (받아, 얻어); a stretch that closes with a formal -다 uses them so
    for (int cut : weak) {
      Integer next = cuts.higher(cut);
      if (!closesFormally(s, morphemes, next == null ? s.length() : next)) cuts.add(cut);
    }
  }

  /** Where a sentence ending at {@code m} is cut, or -1 when the text after it continues the sentence. */
  private static int endingCut(String s, boolean[] inside, List<NoriAnalyzer.Morpheme> morphemes, NoriAnalyzer.Morpheme m, int finality) {
    int n = s.length();
    int e = afterTrailers(s, m.end());
    if (e >= n) return -1;
    char c = s.charAt(e);
    if (TERMINALS.indexOf(c) >= 0 || CLOSERS.indexOf(c) >= 0 || inside[e]) return -1; // punctuation decides
    int next = e;
    while (next < n && Character.isWhitespace(s.charAt(next))) next++;
    NoriAnalyzer.Morpheme following = next < n ? morphemeAt(morphemes, next) : null;
    if (following == null || isAttachingPos(following.left())) return -1;
    if (INDEFINITES.contains(wordBefore(s, m.end()))) return -1;
    boolean glued = next == m.end();
    if (glued && (!startsSentencePos(following.left()) || wordBefore(s, m.end()).length() < 2)) return -1;
    if (finality == 1) {
      if (following.left() == POS.Tag.VV || following.left() == POS.Tag.VA) return -1;
      String word = wordBefore(s, m.end());
      for (String p : POSTPOSITIONAL) if (word.endsWith(p)) return -1;
      for (String neg : NEGATIONS) if (s.startsWith(neg, next)) return -1;
    }
    return e;
  }

  /**
   * Where a sentence ending at {@code e} ends with the laughter that trails it: glued (했어요ㅋㅋ) or set off by a
   * space as a word of its own (했어요 ㅋㅋ), it belongs to the sentence before.
   */
  private static int afterTrailers(String s, int e) {
    int n = s.length();
    while (e < n && TRAILERS.indexOf(s.charAt(e)) >= 0) e++;
    int word = e;
    while (word < n && s.charAt(word) == ' ') word++;
    int end = word;
    while (end < n && isTrailingWordChar(s.codePointAt(end))) end += Character.charCount(s.codePointAt(end));
    boolean separator = end == word + 1 && s.charAt(word) == ';'; // 부딪혀 ; 최소 18명: a lone semicolon separates
    return word > e && end > word && !separator && (end == n || Character.isWhitespace(s.charAt(end))) ? end : e;
  }

  /** What a word of its own after a sentence end may be made of and still trail it: laughter, ^^;, emoji (👍, ♥️). */
  private static boolean isTrailingWordChar(int c) {
    int type = Character.getType(c);
    return TRAILERS.indexOf(c) >= 0 || c == ';' || type == Character.OTHER_SYMBOL || type == Character.FORMAT
        || type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK;
  }

  /** The eojeol (space-delimited word) that ends at {@code end}. */
  private static String wordBefore(String s, int end) {
    int start = end;
    while (start > 0 && !Character.isWhitespace(s.charAt(start - 1)) && TERMINALS.indexOf(s.charAt(start - 1)) < 0) start--;
    return s.substring(start, end);
  }

  /** Whether the last ending before {@code cut} is a declarative -다 (했다, 합니다): the register of written prose. */
  private static boolean closesFormally(String s, List<NoriAnalyzer.Morpheme> morphemes, int cut) {
    for (int i = morphemes.size() - 1; i >= 0; i--) {
      NoriAnalyzer.Morpheme m = morphemes.get(i);
      if (m.end() > cut) continue;
      if (m.left() == POS.Tag.SF || m.left() == POS.Tag.SY || m.left() == POS.Tag.SSC) continue;
      return m.ending() != null && canonicalJamo(m.ending()).endsWith("다");
    }
    return false;
  }

  /** Parts of speech that attach to the word before: particles, endings, suffixes, the copula, auxiliaries. */
  private static boolean isAttachingPos(POS.Tag tag) {
    return switch (tag) {
      case J, E, XSA, XSN, XSV, VCP, VX, NNB, NNBC -> true;
      default -> false;
    };
  }

  /** What may open a sentence glued to the previous one without a space. */
  private static boolean startsSentencePos(POS.Tag tag) {
    return switch (tag) {
      case NNG, NNP, NR, NP, MM, MAG, MAJ, IC, VV, VA, XPN, SL, SH, SN, XR -> true;
      default -> false;
    };
  }

  private static NoriAnalyzer.Morpheme morphemeAt(List<NoriAnalyzer.Morpheme> morphemes, int offset) {
    int lo = 0;
    int hi = morphemes.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      NoriAnalyzer.Morpheme m = morphemes.get(mid);
      if (m.start() < offset) lo = mid + 1;
      else if (m.start() > offset) hi = mid - 1;
      else return m;
    }
    return null;
  }

  // ---- learned boundaries ------------------------------------------------------------------------------------

  /** A place the classifier decides on: the offset where the sentence would end, and what it sees there. */
  record Candidate(int cut, List<String> features) {}

  /** A paragraph as training sees it: the boundaries punctuation gives, and the candidates for the classifier. */
  record Analysis(Set<Integer> punctuationCuts, List<Candidate> candidates) {}

  private void learnedBoundaries(String s, boolean[] inside, List<NoriAnalyzer.Morpheme> morphemes, TreeSet<Integer> cuts) {
    SentenceBoundaryModel m = model();
    List<Integer> found = new ArrayList<>();
    forEachCandidate(s, inside, morphemes, cuts, new Features(m, false), (cut, ending, register, features) -> {
      if (features.score() <= m.threshold()) return;
      // in written prose a weak ending (-어, -아, -자) or a connective (-면, -서) in a stretch that closes with -다
      // joins clauses (떨어져 …이 줄어든다, 했으면 … 있다); the classifier learned from text whose punctuation was
      // stripped, where such a stretch often spans sentences, so it weighs the closing ending little
      Integer next = cuts.higher(cut);
      if (finality(ending) <= 1 && register.equals("F") && closesFormally(s, morphemes, next == null ? s.length() : next)) return;
      found.add(cut);
    });
    cuts.addAll(found); // after the loop: the features see only the punctuation cuts, as in training
  }

  /** Every candidate in a paragraph with its features' names, as the classifier sees it; for training. */
  Analysis analyze(String s) {
    boolean[] inside = insideQuotes(s);
    List<NoriAnalyzer.Morpheme> morphemes = nori().analyze(s);
    TreeSet<Integer> cuts = new TreeSet<>();
    punctuationBoundaries(s, inside, morphemes, cuts);
    List<Candidate> out = new ArrayList<>();
    forEachCandidate(s, inside, morphemes, cuts, new Features(null, true),
        (cut, ending, register, features) -> out.add(new Candidate(cut, List.copyOf(features.names()))));
    return new Analysis(cuts, out);
  }

  private interface CandidateSink {
    void accept(int cut, String ending, String register, Features features);
  }

  /**
   * A candidate's features, each named by pieces of text appended one after another: scored as they are built
   * (a hash of the name looks up the weight, no string is made), and with {@code keepNames} also kept as names.
   */
  static final class Features {
    private final SentenceBoundaryModel model;
    private final boolean keepNames;
    private final StringBuilder name = new StringBuilder();
    private final List<String> names = new ArrayList<>();
    private long hash;
    private double score;

    Features(SentenceBoundaryModel model, boolean keepNames) {
      this.model = model;
      this.keepNames = keepNames;
    }

    void clear() {
      names.clear();
      score = 0;
    }

    Features begin(String prefix) {
      hash = SentenceBoundaryModel.FeatureHash.start();
      if (keepNames) name.setLength(0);
      return add(prefix);
    }

    Features add(CharSequence s) {
      return add(s, 0, s.length());
    }

    Features add(CharSequence s, int from, int to) {
      hash = SentenceBoundaryModel.FeatureHash.add(hash, s, from, to);
      if (keepNames) name.append(s, from, to);
      return this;
    }

    Features add(char c) {
      hash = SentenceBoundaryModel.FeatureHash.add(hash, c);
      if (keepNames) name.append(c);
      return this;
    }

    /** An ending in its canonical jamo form ({@link #canonicalJamo}), without building that string. */
    Features addEnding(String ending) {
      for (int i = 0; i < ending.length(); i++) add(canonical(ending.charAt(i)));
      return this;
    }

    void end() {
      if (model != null) score += model.weight(SentenceBoundaryModel.FeatureHash.finish(hash));
      if (keepNames) names.add(name.toString());
    }

    void feature(String prefix, CharSequence value) {
      begin(prefix).add(value).end();
    }

    double score() {
      return score;
    }

    List<String> names() {
      return names;
    }
  }

  /**
   * Candidates are the ends of tokens whose last morpheme is an ending (Nori's E), outside quotes, followed by
   * more text and not by punctuation (punctuation decides there). Trailing laughter (ㅋㅋ) stays with the ending.
   */
  private static void forEachCandidate(String s, boolean[] inside, List<NoriAnalyzer.Morpheme> morphemes,
      TreeSet<Integer> cuts, Features features, CandidateSink sink) {
    int n = s.length();
    int[] word = null;
    int[] registers = null;
    for (int i = 0; i < morphemes.size(); i++) {
      NoriAnalyzer.Morpheme m = morphemes.get(i);
      if (m.right() != POS.Tag.E || inside[m.end() - 1]) continue;
      int e = afterTrailers(s, m.end());
      if (e >= n || cuts.contains(e) || !opensNextWord(s.charAt(e))) continue;
      int next = e;
      while (next < n && Character.isWhitespace(s.charAt(next))) next++;
      if (next >= n || inside[next] || !opensSentence(s.charAt(next))) continue;
      if (word == null) {
        word = wordIndex(s);
        registers = registerCounts(s, morphemes);
      }
      features.clear();
      features(s, inside, morphemes, i, e, next, word, cuts, features);
      String register = register(registers, wordFinal(s, m) ? registerOf(m.ending()) : -1);
      features.feature("reg=", register);
      features.begin("ereg=").addEnding(m.ending()).add('|').add(register).end();
      sink.accept(e, m.ending(), register, features);
    }
  }

  // A paragraph is written in one register: where its other words end in plain informal endings (-어, -야, -지),
  // an -어/-아 ends a sentence; where they end in -다, it is mostly a connective.
  private static final int FORMAL = 0, POLITE = 1, PLAIN = 2;
  private static final String[] REGISTERS = {"F", "P", "I"};

  /** The register an ending marks: formal -다, polite -요, plain informal (another final ending), or -1. */
  private static int registerOf(String ending) {
    if (ending == null) return -1;
    String e = canonicalJamo(ending);
    if (e.endsWith("요")) return POLITE;
    if (e.endsWith("다") && !e.endsWith("다가")) return FORMAL;
    return canonicalFinality(e) > 0 ? PLAIN : -1;
  }

  /** How many word-final endings of the paragraph mark each register. */
  private static int[] registerCounts(String s, List<NoriAnalyzer.Morpheme> morphemes) {
    int[] counts = new int[REGISTERS.length];
    for (NoriAnalyzer.Morpheme m : morphemes) {
      if (m.right() != POS.Tag.E || !wordFinal(s, m)) continue;
      int r = registerOf(m.ending());
      if (r >= 0) counts[r]++;
    }
    return counts;
  }

  /** The register most of the paragraph's other endings mark ({@code own}: the candidate's, not counted), or N. */
  private static String register(int[] counts, int own) {
    int best = -1;
    for (int r = 0; r < counts.length; r++) {
      int c = counts[r] - (r == own ? 1 : 0);
      if (c > 0 && (best < 0 || c > counts[best] - (best == own ? 1 : 0))) best = r;
    }
    return best < 0 ? "N" : REGISTERS[best];
  }

  /** Whether a morpheme ends its word: nothing follows, or a space, punctuation or trailing laughter. */
  private static boolean wordFinal(String s, NoriAnalyzer.Morpheme m) {
    return m.end() >= s.length() || !Character.isLetterOrDigit(s.charAt(m.end())) || TRAILERS.indexOf(s.charAt(m.end())) >= 0;
  }

  /** White space or the start of a word: what may follow a sentence end that no punctuation marks. */
  private static boolean opensNextWord(char c) {
    return Character.isWhitespace(c) || Character.isLetterOrDigit(c) || OPENERS.indexOf(c) >= 0;
  }

  /** A sentence opens with a letter, a digit or an opening mark; after a dash or a colon the sentence goes on. */
  private static boolean opensSentence(char c) {
    return Character.isLetterOrDigit(c) || OPENERS.indexOf(c) >= 0;
  }

  /** For each character, the number of white-space-separated words that start before it. */
  private static int[] wordIndex(String s) {
    int[] index = new int[s.length() + 1];
    int words = 0;
    boolean inWord = false;
    for (int i = 0; i < s.length(); i++) {
      boolean space = Character.isWhitespace(s.charAt(i));
      if (!space && !inWord) words++;
      inWord = !space;
      index[i] = words;
    }
    index[s.length()] = words;
    return index;
  }

  /**
   * What the classifier sees at the end {@code e} of the ending token {@code i}: the ending and what precedes it
   * inside the word, the word itself, whether a space follows, the next word's first morphemes, the verdict of the
   * hand-written rules, the ending that closes the stretch (its register) alone and with the ending and the next
   * part of speech or the gap (a connective -어 before a noun in a stretch closed by -다 goes on; in chat it ends),
   * and how many words lie between it and the nearest punctuation boundary or paragraph edge. The paragraph's
   * register is added by the caller.
   */
  private static void features(String s, boolean[] inside, List<NoriAnalyzer.Morpheme> morphemes, int i, int e,
      int next, int[] word, TreeSet<Integer> cuts, Features f) {
    NoriAnalyzer.Morpheme m = morphemes.get(i);
    String ending = m.ending();
    String gap = next > e ? "S" : "G";
    int j = tokenAtOrAfter(morphemes, next);
    NoriAnalyzer.Morpheme following = j < morphemes.size() ? morphemes.get(j) : null;
    String nextPos = following == null ? "$" : following.left().name();
    CharSequence nextToken = following == null ? "$" : s.subSequence(following.start(), following.end());
    CharSequence nextForm = following == null || following.firstForm() == null ? nextToken : following.firstForm();
    String afterNextPos = j + 1 < morphemes.size() ? morphemes.get(j + 1).left().name() : "$";
    String before = m.beforeLast() != null ? m.beforeLast().name() : i > 0 ? morphemes.get(i - 1).right().name() : "^";
    int wordStart = wordStart(s, m.end());
    int wordLength = m.end() - wordStart;
    int finality = finality(ending);
    boolean ruleCut = finality > 0 && endingCut(s, inside, morphemes, m, finality) >= 0;
    Integer previousCut = cuts.lower(e);
    Integer nextCut = cuts.higher(e);
    int stretchEnd = nextCut == null ? s.length() : nextCut;
    String closing = closingEnding(morphemes, stretchEnd);
    f.begin("b").end();
    f.begin("e=").addEnding(ending).end();
    f.begin("eg=").addEnding(ending).add('|').add(gap).end();
    f.begin("pe=").add(before).add('|').addEnding(ending).end();
    f.begin("t=").add(s, m.start(), m.end()).end();
    f.begin("w=").add(s, wordStart, m.end()).end();
    f.begin("ws=").add(s, Math.max(wordStart, m.end() - 2), m.end()).end();
    f.feature("wl=", DIGITS[Math.min(wordLength, 6)]);
    f.feature("l=", m.left().name());
    f.feature("g=", gap);
    if (e > m.end()) f.begin("trail").end();
    f.begin("n=").add(nextPos).add('|').add(gap).end();
    f.begin("en=").addEnding(ending).add('|').add(nextPos).end();
    f.feature("nf=", nextForm);
    f.feature("nt=", nextToken);
    f.begin("enf=").addEnding(ending).add('|').add(nextForm).end();
    f.begin("nn=").add(nextPos).add('|').add(afterNextPos).end();
    f.feature("nc=", charClass(s.charAt(next)));
    f.begin("rule=").add(DIGITS[finality]).add(ruleCut ? "c" : "n").end();
    f.begin("close=").addEnding(closing).end();
    f.begin("eclose=").addEnding(ending).add('|').addEnding(closing).end();
    f.begin("ecn=").addEnding(ending).add('|').addEnding(closing).add('|').add(nextPos).end();
    f.begin("ecg=").addEnding(ending).add('|').addEnding(closing).add('|').add(gap).end();
    f.feature("d0=", bucket(word[e - 1] - (previousCut == null ? 0 : word[previousCut - 1])));
    f.feature("d1=", bucket(word[stretchEnd - 1] - word[next] + 1));
  }

  private static final String[] DIGITS = {"0", "1", "2", "3", "4", "5", "6"};

  /** Where the eojeol (space-delimited word) that ends at {@code end} starts. */
  private static int wordStart(String s, int end) {
    int start = end;
    while (start > 0 && !Character.isWhitespace(s.charAt(start - 1)) && TERMINALS.indexOf(s.charAt(start - 1)) < 0) start--;
    return start;
  }

  /**
   * The ending that closes the stretch before {@code until} (the next punctuation boundary or the paragraph's
   * end), or "-" when the stretch closes with no ending: its register (written prose closes with -다, where
   * -어/-아 are connectives; chat closes with -어/-아 themselves).
   */
  private static String closingEnding(List<NoriAnalyzer.Morpheme> morphemes, int until) {
    for (int k = tokenAtOrAfter(morphemes, until) - 1; k >= 0; k--) {
      NoriAnalyzer.Morpheme m = morphemes.get(k);
      if (m.end() > until) continue;
      if (m.right() == POS.Tag.E) return m.ending();
      if (m.right() != POS.Tag.SF && m.right() != POS.Tag.SY) return "-";
    }
    return "-";
  }

  private static int tokenAtOrAfter(List<NoriAnalyzer.Morpheme> morphemes, int offset) {
    int lo = 0;
    int hi = morphemes.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (morphemes.get(mid).start() < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private static String charClass(char c) {
    if (isHangul(c)) return "H";
    if (isLatin(c)) return "L";
    if (isAsciiDigit(c)) return "D";
    if (c >= 'ㄱ' && c <= 'ㅣ') return "J";
    return "O";
  }

  /** Word counts coarsened: the first few exactly, then in ranges. */
  private static String bucket(int words) {
    if (words <= 4) return DIGITS[Math.max(words, 0)];
    if (words <= 6) return "5-6";
    if (words <= 9) return "7-9";
    return "10+";
  }

  // ---- quotes and brackets -----------------------------------------------------------------------------------

  /**
   * Marks the characters strictly inside a matched pair of quotes or brackets no longer than
   * {@link #MAX_QUOTE_CHARS}. Unmatched marks (a stray quote, an apostrophe) open nothing.
   */
  static boolean[] insideQuotes(String s) {
    int n = s.length();
    int[] delta = new int[n + 1];
    Deque<Integer> stack = new ArrayDeque<>();
    int openStraight = -1;
    int openSingle = -1;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '"') {
        if (openStraight < 0) openStraight = i;
        else {
          mark(delta, openStraight, i);
          openStraight = -1;
        }
      } else if (c == '\'') {
        if (openSingle < 0 && (i == 0 || !Character.isLetter(s.charAt(i - 1)))) openSingle = i;
        else if (openSingle >= 0) {
          mark(delta, openSingle, i);
          openSingle = -1;
        }
      } else if (OPENERS.indexOf(c) >= 0) {
        stack.push(i);
      } else if (CLOSERS.indexOf(c) >= 0) {
        int want = OPENERS.charAt(CLOSERS.indexOf(c));
        while (!stack.isEmpty() && s.charAt(stack.peek()) != want) stack.pop();
        if (!stack.isEmpty()) mark(delta, stack.pop(), i);
      }
    }
    boolean[] inside = new boolean[n];
    int depth = 0;
    for (int i = 0; i < n; i++) {
      depth += delta[i];
      inside[i] = depth > 0;
    }
    return inside;
  }

  private static void mark(int[] delta, int open, int close) {
    if (close - open - 1 > MAX_QUOTE_CHARS || close == open + 1) return;
    delta[open + 1]++;
    delta[close]--;
  }

  private static boolean isAsciiDigit(int c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isHangul(char c) {
    return c >= '가' && c <= '힣';
  }

  private static boolean isLatin(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private NoriAnalyzer nori() {
    if (nori == null) nori = new NoriAnalyzer();
    return nori;
  }

  private SentenceBoundaryModel model() {
    if (model == null) model = SentenceBoundaryModel.bundled();
    return model;
  }
}
