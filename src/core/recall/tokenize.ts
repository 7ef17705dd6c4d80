/**
 * Tokenizer shared by the recall index (compile time) and the recall query (query time). Both sides
 * must produce the same terms for the same text, so every rule lives here and nowhere else.
 *
 * Rules, in order:
 * - CJK runs (Han, kana, Hangul) are cut at common function words (我们, 怎么, 的 …) and each
 *   remaining piece becomes overlapping character bigrams (a one-character piece becomes a unigram),
 *   so Chinese matches Chinese without a dictionary.
 * - Everything else is split into chunks of letters, digits and identifier connectors. A compound
 *   chunk (`src/core/paths.ts`, `getUserById`, `snake_case`, `kebab-case`) yields the whole chunk,
 *   its path segments and its camelCase / letter-digit parts, so a query can name either.
 * - Terms are lower-cased, English stop-words dropped, simple words stemmed (`running` → `run`).
 * - A path also yields each of its shorter suffixes (`src/core/paths.ts` → `core/paths.ts`, `paths.ts`).
 * - Matching is by whole term only: `race` and `trace` are different terms.
 */

/** Version of the tokenizer rules; part of the search-index version so a rule change rebuilds it. */
export const TOKENIZER_VERSION = 5;

/** English words that carry no topic. Applied to indexed text and queries alike. */
const STOP_WORDS: ReadonlySet<string> = new Set(
  `a about above after all also am an and any are as at be been being below between both but by
  can could did do does doing done down during each either else etc even ever every few for from
  further get gets got had has have having he her here hers him his how however i if in into is it
  its itself just let lets like may me might more most much must my no nor not now of off on once
  one only onto or other our ours out over own per please quite rather really same she should so
  some such than that thats the their theirs them then there these they this those though through
  thus to too under until up upon us very via was we were what whats when where whether which while
  who whom whose why will with within without would yet you your yours
  dont doesnt didnt isnt arent wasnt werent wont cant cannot couldnt shouldnt wouldnt hasnt havent
  im ive youre weve theyre hes shes`.split(/\s+/),
);

/**
 * Conversational filler that only matters in a query ("do you remember how we …"). Dropped from
 * queries so a cue word does not count as an unmatched topic; not dropped from indexed text.
 */
const FILLER_STEMS: ReadonlySet<string> = new Set(
  `remember recall remind previous previously earlier before again usual usually know tell show
  explain okay ok hey hi hello thanks thank pls anyone someone something anything everything
  thing things stuff way ways trick tricks tip tips idea ideas keep keeps want wants need needs try
  trying seem seems still suddenly randomly always never sometimes often actually basically exactly
  good best better right wrong proper properly correct correctly happen happened happens going gonna
  wanna weird strange anymore lot bit kind sort work works use using used uses ones`
    .split(/\s+/)
    .map(stem),
);

/**
 * Chinese function words that are cut out of a CJK run before bigramming, longest first. Without
 * this, "我们之前怎么处理" yields bigrams such as 们之 and 前怎 that match nothing and dilute the query.
 * Single characters are limited to pure particles: 会, 要 and the like also start content words.
 */
const CJK_STOP_WORDS: readonly string[] = [
  '为什么',
  '是不是',
  '有没有',
  '能不能',
  '还记得',
  '怎么样',
  '我们',
  '你们',
  '他们',
  '咱们',
  '大家',
  '怎么',
  '怎样',
  '什么',
  '如何',
  '哪个',
  '哪些',
  '这个',
  '那个',
  '这些',
  '那些',
  '之前',
  '以前',
  '上次',
  '上回',
  '记得',
  '一下',
  '一个',
  '时候',
  '应该',
  '可以',
  '的话',
  '请问',
  '还是',
  '然后',
  '现在',
  '已经',
  '就是',
  '这样',
  '那样',
  '因为',
  '所以',
  '但是',
  '怎么办',
  '咋办',
  '为啥',
  '一直',
  '总是',
  '老是',
  '经常',
  '每次',
  '突然',
  '出来',
  '起来',
  '哪里',
  '哪儿',
  '需要',
  '如果',
  '没有',
  '不是',
  '是否',
  '一些',
  '这种',
  '那种',
  '所有',
  '其他',
  '之后',
  '或者',
  '而且',
  '以及',
  '还有',
  '可能',
  '问题',
  // Seventh pass: more of how a question is put, not what it is about.
  '有什么办法',
  '什么办法',
  '怎么回事',
  '咋回事',
  '到底',
  '好像',
  '感觉',
  '一般',
  '比较',
  '特别',
  '非常',
  '要不要',
  '能否',
  '帮我',
  '告诉我',
  '知道',
  '看看',
  '有点',
  '为何',
  '是啥',
  '啥',
  '咋',
  '的',
  '了',
  '吗',
  '呢',
  '吧',
  '啊',
  '呀',
  '嘛',
  '么',
  '哦',
  '和',
  '与',
  '及',
  '或',
  '在',
  '是',
  '把',
  '被',
  '我',
  '你',
  '他',
  '她',
  '它',
  '这',
  '那',
  '也',
  '很',
].sort((a, b) => b.length - a.length);

/** CJK stop-words by first character (longest first), so cutting a run costs one map lookup per character. */
const CJK_STOP_BY_FIRST: ReadonlyMap<string, readonly string[]> = (() => {
  const map = new Map<string, string[]>();
  for (const word of CJK_STOP_WORDS) {
    const first = word[0] as string;
    map.set(first, [...(map.get(first) ?? []), word]);
  }
  return map;
})();

/** Matches one run of CJK characters (Han, Hiragana, Katakana incl. the long-vowel mark, Hangul). */
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u30FC\p{Script=Hangul}]+/gu;

/** A non-CJK chunk: starts with a letter/digit, may contain identifier and path connectors. */
const CHUNK = /[\p{L}\p{N}_$][\p{L}\p{N}_$\-./\\:@#+]*/gu;
const CHUNK_ASCII = /[A-Za-z0-9_$][A-Za-z0-9_$\-./\\:@#+]*/g;

/** Separators that split a chunk into path-like segments. */
const SEGMENT_SEPARATORS = /[./\\:@#+$]+/;

/** Separators that split a segment into words (snake_case, kebab-case). */
const WORD_SEPARATORS = /[-_]+/;

/** camelCase / letter-digit splitting, for ASCII and for any script. */
const CAMEL_ASCII = /[A-Z]{2,}s(?![a-z])|[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+|[^A-Za-z0-9]+/g;
const CAMEL_UNICODE =
  /\p{Lu}{2,}s(?!\p{Ll})|\p{Lu}+(?!\p{Ll})|\p{Lu}?\p{Ll}+|\p{Lu}+|\p{N}+|[^\p{L}\p{N}]+|\p{L}+/gu;

/** True when `s` has only ASCII characters. The Unicode-class regexes cost milliseconds to compile,
 * which matters in a process that answers one query, so ASCII text takes ASCII-only paths. */
function isAsciiText(s: string): boolean {
  return !/[\u0080-\uffff]/.test(s);
}

/** Splits a word at camelCase, PascalCase and letter/digit boundaries: `parseJSON2Str` → parse, JSON, 2, Str.
 * */
function camelParts(word: string): string[] {
  return word.match(isAsciiText(word) ? CAMEL_ASCII : CAMEL_UNICODE) ?? [word];
}

function isLetters(s: string): boolean {
  return isAsciiText(s) ? /^[A-Za-z]+$/.test(s) : /^\p{L}+$/u.test(s);
}

function isDigits(s: string): boolean {
  return isAsciiText(s) ? /^[0-9]+$/.test(s) : /^\p{N}+$/u.test(s);
}

function hasVowel(s: string): boolean {
  return /[aeiouy]/.test(s);
}

/**
 * A small, deterministic suffix stripper. It aims at consistency (every inflection of a word maps to
 * the same stem), not at producing dictionary words: `caches`, `cached`, `caching`, `cache` → `cach`;
 * `running`, `runs` → `run`; `dependencies` → `dependency`.
 */
export function stem(word: string): string {
  if (word.length <= 3 || !/^[a-z]+$/.test(word)) return word;
  let w = word;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('ied') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('ss') || w.endsWith('us') || w.endsWith('is')) {
    // "process", "status", "analysis": not plurals.
  } else if (w.endsWith('s')) w = w.slice(0, -1);

  if (w.endsWith('ing') && w.length >= 5 && hasVowel(w.slice(0, -3))) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length >= 4 && hasVowel(w.slice(0, -2))) w = undouble(w.slice(0, -2));

  if (w.endsWith('e') && w.length >= 3) w = w.slice(0, -1);
  return w;
}

/** `runn` → `run`, `sett` → `set`, but `install`, `pass`, `buzz` and short stems such as `add` stay. */
function undouble(s: string): string {
  const last = s.at(-1);
  if (s.length >= 4 && last === s.at(-2) && last !== undefined && !'lszaeiou'.includes(last))
    return s.slice(0, -1);
  return s;
}

/** Normalizes a simple (non-compound) word into its indexed form, or `undefined` when it is dropped. */
function normalizeWord(word: string): string | undefined {
  // Plural acronyms ("IDs", "URLs") lose the s here because stem() leaves short words alone.
  const lower = (
    (isAsciiText(word) ? /^[A-Z]{2,}s$/ : /^\p{Lu}{2,}s$/u).test(word) ? word.slice(0, -1) : word
  ).toLowerCase();
  if (STOP_WORDS.has(lower)) return undefined;
  if (lower.length < 2) return undefined;
  return stem(lower);
}

/** Receives each term with what the query side needs to know about it. */
type TermSink = (term: string, info: TermInfo) => void;

interface TermInfo {
  /** The whole of a compound chunk (`src/core/paths.ts`, `getuserbyid`), whose parts follow it. */
  compound: boolean;
  /** For a compound: it looks like an identifier (see {@link isIdentifierChunk}). */
  identifier?: boolean;
  /** For a term cut out of a compound: the compound's whole term. */
  parent?: string;
  /** A CJK bigram; `piece` holds all bigrams of its piece in order when it is the first one. */
  cjk: boolean;
  piece?: string[];
}

const PLAIN: TermInfo = { compound: false, cjk: false };
const COMPOUND: TermInfo = { compound: true, cjk: false };
const IDENTIFIER: TermInfo = { compound: true, cjk: false, identifier: true };

/**
 * True for a compound chunk that names one specific thing, so that only the whole of it may match
 * (its parts may only add to a score something else earned): `ERR_REQUIRE_ESM`, `snake_case`,
 * `camelCase`, paths (`src/app.ts`), dotted keys with three or more parts (`max.poll.interval.ms`)
 * and letter-digit codes (`E0425`, `TS2345`). Version numbers, `Next.js` and kebab-case words are
 * not identifiers in this sense: their parts carry their meaning.
 */
export function isIdentifierChunk(chunk: string): boolean {
  if (/_/.test(chunk) || /[a-z][A-Z]/.test(chunk) || /[\\/]/.test(chunk)) return true;
  // Error numbers, ports and versions name one thing: 45047 is not 45009, 1.80 is not 1.75.
  if (/^\d{3,}$/.test(chunk) || /^\d+(?:\.\d+)+$/.test(chunk)) return true;
  if (/^[A-Za-z]+[0-9]+$/.test(chunk) && /[A-Z]/.test(chunk) && chunk.length >= 4) return true;
  // Codes and host names that end in a number: RH-1004 is not RH-1002, gpu-train-05 not gpu-train-04.
  if (/^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*-\d+$/.test(chunk)) return true;
  return (
    chunk.split('.').filter((s) => s !== '').length >= 3 && /[a-z]/i.test(chunk) && !/^[0-9.]+$/.test(chunk)
  );
}

function emitCjk(run: string, sink: TermSink): void {
  // Cut the run at function words, then bigram each remaining piece.
  let piece = '';
  const flush = (): void => {
    const chars = Array.from(piece);
    if (chars.length === 1) sink(chars[0] as string, PLAIN);
    const grams: string[] = [];
    for (let i = 0; i + 1 < chars.length; i++) grams.push(`${chars[i]}${chars[i + 1]}`);
    grams.forEach((gram, i) =>
      sink(gram, i === 0 ? { compound: false, cjk: true, piece: grams } : { compound: false, cjk: true }),
    );
    piece = '';
  };
  let i = 0;
  while (i < run.length) {
    const stop = CJK_STOP_BY_FIRST.get(run[i] as string)?.find((w) => run.startsWith(w, i));
    if (stop !== undefined) {
      flush();
      i += stop.length;
      continue;
    }
    const cp = run.codePointAt(i) as number;
    const ch = String.fromCodePoint(cp);
    piece += ch;
    i += ch.length;
  }
  flush();
}

function emitChunk(raw: string, sink: TermSink): void {
  // Fast path for the common case, a plain (possibly capitalized) word.
  if (/^[A-Za-z][a-z]*$/.test(raw)) {
    const term = normalizeWord(raw);
    if (term !== undefined) sink(term, PLAIN);
    return;
  }
  const chunk = raw.replace(/^[-./\\:@#+$_]+|[-./\\:@#+$_]+$/g, '');
  if (chunk === '') return;
  const lower = chunk.toLowerCase();
  const seen = new Set<string>();
  const partInfo: TermInfo = { compound: false, cjk: false, parent: lower };
  const push = (term: string | undefined, info: TermInfo = partInfo): void => {
    if (term === undefined || term === '' || seen.has(term)) return;
    seen.add(term);
    sink(term, info);
  };

  const segments = chunk.split(SEGMENT_SEPARATORS).filter((s) => s !== '');
  const isSimple =
    segments.length === 1 &&
    !WORD_SEPARATORS.test(chunk) &&
    camelParts(chunk).length === 1 &&
    isLetters(chunk);
  if (isSimple) {
    push(normalizeWord(chunk), PLAIN);
    return;
  }
  // Compound: keep the whole thing (unstemmed) so an exact identifier or path matches strongly.
  if (lower.length >= 2) push(lower, isIdentifierChunk(chunk) ? IDENTIFIER : COMPOUND);
  // Every shorter path suffix (`core/paths.ts`, `paths.ts`), so a path matches the note that names
  // the same file by a shorter or longer path.
  const dirs = chunk.split(/[\\/]+/).filter((s) => s !== '');
  for (let i = 1; i < dirs.length; i++) {
    const suffix = dirs.slice(i).join('/').toLowerCase();
    if (suffix.length >= 2) push(suffix);
  }
  for (const segment of segments) {
    const segLower = segment.toLowerCase();
    const words = segment.split(WORD_SEPARATORS).filter((w) => w !== '');
    const parts = words.flatMap(camelParts);
    if (parts.length > 1 && segLower.length >= 2) push(segLower, COMPOUND);
    for (const word of words) {
      const wordParts = camelParts(word);
      if (wordParts.length > 1 && word.length >= 2) push(word.toLowerCase(), COMPOUND);
    }
    for (const part of parts) {
      if (isDigits(part)) {
        if (part.length >= 2) push(part);
      } else if (isLetters(part) && part.length >= 2) {
        // Parts of an identifier keep stop-words: `getUser` and `setUser` differ only by one.
        push(stem(part.toLowerCase()));
      }
    }
  }
}

function walk(text: string, sink: TermSink): void {
  if (!text) return;
  // Apostrophes join contractions ("don't" → "dont", "user's" → "users") instead of splitting them.
  if (isAsciiText(text)) {
    for (const match of text.replace(/'/g, '').matchAll(CHUNK_ASCII)) emitChunk(match[0], sink);
    return;
  }
  // NFKC folds full-width letters and digits (ｔｅｓｔ, １２３) that Chinese input methods produce.
  // NUL is the placeholder for CJK runs below, so any NUL in the text becomes a space first.
  const normalized = text
    .normalize('NFKC')
    .replace(/['\u2019]/g, '')
    .replaceAll('\u0000', ' ');
  const cjkRuns: string[] = [];
  const latin = normalized.replace(CJK_RUN, (run) => {
    cjkRuns.push(run);
    return ` \u0000${cjkRuns.length - 1}\u0000 `;
  });
  // Walk the text once so CJK and non-CJK terms keep their relative order.
  const pieces = latin.split('\u0000');
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] as string;
    if (i % 2 === 1) {
      emitCjk(cjkRuns[Number(piece)] as string, sink);
      continue;
    }
    for (const match of piece.matchAll(CHUNK)) emitChunk(match[0], sink);
  }
}

/**
 * Splits `text` into index terms, in order, with repeats (term frequency matters). The same rules
 * tokenize records at compile time and queries at query time.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  walk(text, (term) => out.push(term));
  return out;
}

/** One distinct term of a query, with the context the relevance threshold needs. */
export interface QueryTerm {
  /** The index term. */
  term: string;
  /**
   * True for the whole of a compound identifier or path. Its parts are separate query terms, so an
   * unknown compound (a path the corpus spells differently) is not counted as a missed topic.
   */
  compound: boolean;
  /** True for a CJK bigram (its piece is in {@link AnalyzedQuery.cjkPieces}). */
  cjk: boolean;
  /** True for an identifier-like compound ({@link isIdentifierChunk}): it must match whole. */
  identifier?: boolean;
  /**
   * For a term that only came out of identifiers: the first such identifier's whole term. Such a
   * part may add to the score of a record that matched something else, never admit it.
   */
  parent?: string;
}

/** A query split into distinct terms plus the CJK pieces its bigrams came from. */
export interface AnalyzedQuery {
  terms: QueryTerm[];
  /**
   * Each CJK piece of two or more characters as its bigrams in order (repeats kept). Bigrams
   * overlap, so "how many words did the query contain" is answered per piece, not per bigram.
   */
  cjkPieces: string[][];
}

/** Phrases that say when, not what ("last time"); removed from a query before tokenizing. */
const QUERY_FILLER_PHRASES = /\b(?:last|this|next|every|that|first) time\b/gi;

/**
 * Splits `query` into its distinct terms in first-seen order, without conversational filler
 * ("remember", "last time", "is there a trick") that says how to search rather than what to find.
 */
export function analyzeQuery(query: string): AnalyzedQuery {
  const seen = new Set<string>();
  const terms: QueryTerm[] = [];
  const cjkPieces: string[][] = [];
  const identifiers = new Set<string>();
  const byTerm = new Map<string, QueryTerm>();
  walk(query.replace(QUERY_FILLER_PHRASES, ' '), (term, info) => {
    if (info.piece !== undefined) cjkPieces.push(info.piece);
    if (info.identifier) identifiers.add(term);
    const fromIdentifier = info.parent !== undefined && identifiers.has(info.parent);
    const known = byTerm.get(term);
    // A word the query also uses on its own is not only a part of an identifier.
    if (known !== undefined) {
      if (!fromIdentifier && known.parent !== undefined) delete known.parent;
      return;
    }
    if (seen.has(term) || FILLER_STEMS.has(term)) return;
    seen.add(term);
    const qt: QueryTerm = { term, compound: info.compound, cjk: info.cjk };
    if (info.identifier) qt.identifier = true;
    if (fromIdentifier) qt.parent = info.parent;
    byTerm.set(term, qt);
    terms.push(qt);
  });
  return { terms, cjkPieces };
}

/** The distinct query terms of `query` (see {@link analyzeQuery}), as plain strings. */
export function tokenizeQuery(query: string): string[] {
  return analyzeQuery(query).terms.map((t) => t.term);
}

/**
 * Answer types: what kind of value a question asks for, and which kinds of value a note holds. A
 * question that asks for a number ("which port", "how many", 多少, 端口) or a duration ("how long",
 * 多久) is not answered by a note that holds none, however many topic words they share: "what port
 * does redis use" is not answered by the note on the Celery queues in Redis. The index stores each
 * kind a note holds as a marker term the tokenizer never emits (`#` never starts a term).
 */
export const ANSWER_NUMBER = '#number';
/** Marker term of a note that states a duration or a frequency (see {@link ANSWER_NUMBER}). */
export const ANSWER_DURATION = '#duration';
/** Marker term of a note that states a port (a number of 4–5 digits, or `:` and digits). */
export const ANSWER_PORT = '#port';
/**
 * Marker term of a note that states a version: a dotted number (`1.75`, `~> 5.40`), `v` and digits,
 * `@` and digits, or a number right after a version word or a runtime (`version 17`, `minSdk 26`,
 * `JDK 17`, `Node 20`, 版本 3). "Which Phoenix version are we on" is not answered by a port number.
 */
export const ANSWER_VERSION = '#version';

const EN_NUMBER_WORDS =
  'two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twice|thrice|dozen|hundred|thousand';
const TIME_UNITS =
  'ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|weeks?|months?|years?|' +
  '秒|毫秒|分钟|小时|天|日|周|个月|年';
/** A number: digits not glued to a letter, digit or underscore before them (`S3`, `oauth2` are names). */
const NOTE_NUMBER = new RegExp(`(?<![A-Za-z0-9_])\\d|\\b(?:${EN_NUMBER_WORDS})\\b`, 'i');
const NOTE_DURATION = new RegExp(
  `(?:(?<![A-Za-z0-9_])\\d+(?:\\.\\d+)?\\s?|\\b(?:${EN_NUMBER_WORDS}|one|a few|an?)\\s)` +
    `(?:${TIME_UNITS})(?![A-Za-z])` +
    '|\\b(?:hourly|daily|nightly|weekly|monthly|yearly|every (?:minute|hour|day|night|week|month))\\b' +
    '|每(?:天|日|晚|周|月|小时|分钟|秒)|cron',
  'i',
);

// A port may end a sentence ("listens on 8081."); a dot and a digit after it make a version (1.2345.6).
const NOTE_PORT = /(?<![A-Za-z0-9_.])\d{4,5}(?!\d|\.\d)|(?<=[a-z]):\d{2,5}\b/i;

const NOTE_VERSION = new RegExp(
  '(?<![\\w.])v?\\d+\\.\\d+|\\bv\\d+\\b|@\\^?\\d+|' +
    '(?:version|versions|release|sdk|jdk|java|node|python|rust|go|ruby|elixir|erlang|otp|api|ios|android|版本)' +
    '[\\s:=@"\'~>^v-]{0,4}\\d+',
  'i',
);

/** The answer-type markers of a note's text (see {@link ANSWER_NUMBER}). */
export function answerTypesOf(text: string): string[] {
  const out: string[] = [];
  if (NOTE_NUMBER.test(text)) out.push(ANSWER_NUMBER);
  if (NOTE_DURATION.test(text)) out.push(ANSWER_DURATION);
  if (NOTE_PORT.test(text)) out.push(ANSWER_PORT);
  if (NOTE_VERSION.test(text)) out.push(ANSWER_VERSION);
  return out;
}

const ASKS_DURATION = /\bhow long\b|多久|多长时间/i;
const ASKS_VERSION = /\b(?:which|what|whats)\b.*\bversions?\b|版本号|哪个版本|什么版本|哪一版|版本是/i;
const ASKS_NUMBER = new RegExp(
  [
    '\\bhow (?:many|much|big|large|often|high|low|far|old)\\b',
    '\\b(?:which|what|whats)\\b.*\\b(?:ports?|versions?|size|percentage|threshold|ttl|ratio|interval' +
      '|timeout|max|maximum|min|minimum|limit|limits|quota|capacity|concurrency|parallelism|replicas' +
      '|dimensions?|retries)\\b',
    '\\bports?\\b.*\\b(?:which|what)\\b',
    '\\b(?:what|which) (?:date|day|year)\\b',
    '多少|几个|几天|几次|几秒|几分钟|几小时|第几|多大|多长|端口|版本号|哪个版本|什么版本|哪一版|版本是|哪天|几号|什么时候|何时',
  ].join('|'),
  'i',
);

/**
 * The answer types `query` asks for, any one of which answers it: a duration, a number, or none
 * (a question of how or why asks for no particular kind of value).
 */
export function askedAnswerTypes(query: string): string[] {
  if (ASKS_DURATION.test(query)) return [ANSWER_DURATION];
  // "How often": a number ("revalidate = 300") or a frequency ("nightly") answers it.
  if (/\bhow often\b|频率/i.test(query)) return [ANSWER_NUMBER, ANSWER_DURATION];
  if (/\bports?\b|端口/i.test(query) && ASKS_NUMBER.test(query)) return [ANSWER_PORT];
  if (ASKS_VERSION.test(query)) return [ANSWER_VERSION];
  if (ASKS_NUMBER.test(query)) return [ANSWER_NUMBER];
  return [];
}
