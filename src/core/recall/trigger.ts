/**
 * Decides whether a query warrants a recall lookup (`recall-trigger`, prompt-time recall).
 *
 * The original fired on any query of two or more words, so every prompt searched and single-word or
 * Chinese queries never did. Here a query triggers when it is explicitly asked for, when it carries
 * a cue that refers to shared history ("last time", "how did we", 上次, 我们约定), or when it is a
 * question or task about the code (names an identifier, a path or an engineering topic). Greetings,
 * thanks and arithmetic never trigger unless explicit. Triggering only allows a search: the
 * relevance threshold still decides whether anything is returned.
 */

import { synonymsOf } from './search.js';
import { analyzeQuery, tokenize } from './tokenize.js';

/** Options of {@link evaluateRecallTrigger}. */
export interface RecallTriggerOptions {
  /** The caller asked for recall (`--explicit`): always triggers. */
  explicit?: boolean;
}

/** The trigger decision and why. */
export interface RecallTriggerDecision {
  triggered: boolean;
  /** `explicit`, `marker:<cue>` for each cue found, `repo_question`; empty when not triggered. */
  reasons: string[];
}

/** English cues, matched on word boundaries in the lower-cased query; the reason names the cue. */
const ENGLISH_CUES: ReadonlyArray<readonly [cue: string, pattern: RegExp]> = [
  ['remember', /\bremember(?:s|ed|ing)?\b/],
  ['recall', /\brecall(?:s|ed)?\b/],
  ['remind', /\bremind(?:s|ed)? me\b/],
  ['previous', /\bprevious(?:ly)?\b/],
  ['last time', /\blast (?:time|session|week|sprint)\b/],
  ['again', /\bagain\b/],
  ['before', /\bbefore\b/],
  ['earlier', /\bearlier\b/],
  ['how did we', /\b(?:how|what|where|why|when|which) did we\b/],
  ['how do we', /\b(?:how|what|where|why|when|which) do we\b/],
  ['did we', /\b(?:did|have|had) we\b/],
  ['we decided', /\bwe (?:decided|agreed|chose|settled|picked|said)\b/],
  ['convention', /\bconventions?\b/],
  ['usual', /\busual(?:ly)?\b/],
  ['our', /\bour (?:way|approach|setup|standard|rule|rules|policy|practice|process|workflow|style)\b/],
];

/** Chinese cues, matched as substrings (no word boundaries); longer cues are listed first. */
const CHINESE_CUES: readonly string[] = [
  '还记得',
  '我们约定',
  '怎么做的',
  '怎么弄的',
  '怎么解决的',
  '怎么处理的',
  '怎么修的',
  '老规矩',
  '惯例',
  '约定',
  '记得',
  '之前',
  '上次',
  '上回',
  '以前',
  '先前',
  '照旧',
  '一般怎么',
  '通常怎么',
  '我们一般',
  '我们通常',
];

/** Words that make a prompt small talk when nothing else is in it. */
const TRIVIAL_WORDS: ReadonlySet<string> = new Set(
  `hi hello hey yo thanks thank thx ty you ok okay k cool great nice good yes yeah yep no nope sure
  bye goodbye morning evening night lol perfect awesome fine got it sounds again much very a lot
  please done right alright so really`.split(/\s+/),
);

/** Chinese small-talk phrases; a prompt made only of these (and punctuation) is trivial. */
const TRIVIAL_CJK: readonly string[] = [
  '没问题',
  '你好',
  '您好',
  '谢谢',
  '多谢',
  '好的',
  '收到',
  '再见',
  '可以',
  '明白',
  '知道了',
  '辛苦',
  '嗯',
  '好',
  '行',
  '哈',
];

/** Arithmetic, optionally phrased as a question ("what is 12*7?", "计算 3+4"). */
const ARITHMETIC =
  /^(?:what(?:'s| is)|how much is|calculate|compute|计算|算一下)?\s*[-+*/×÷^%().=\d\s,]+(?:等于多少|是多少)?\s*[?？=]?$/i;

/** Engineering vocabulary beyond the synonym table, written plainly (tokenized at load). */
const ENGINEERING_WORDS = `code codebase project bug issue server service module class method import export
  npm pnpm yarn pip cargo git github gitlab pr review hook plugin cli flag option argument param schema
  model table query index key json yaml toml csv http url header cookie session websocket socket thread
  process worker compiler tsc node python rust java golang sql postgres redis lock mutex race deadlock
  regex parser lint stack trace traceback panic segfault makefile library framework component prop state
  tsconfig webpack vite vitest jest pytest eslint prettier terraform helm nginx
  代码 项目 服务 模块 数据 字段 索引 线程 进程 组件 报错 框架 库表`;

/**
 * Tokenized on first use, not at import: the prompt-time hook loads this module for
 * {@link isTrivialPrompt} on every prompt, and tokenizing the list costs ~10 ms cold.
 */
let engineeringTerms: ReadonlySet<string> | undefined;

function isEngineeringTerm(term: string): boolean {
  engineeringTerms ??= new Set(tokenize(ENGINEERING_WORDS));
  return engineeringTerms.has(term) || synonymsOf(term).length > 0;
}

/** True for greetings, thanks, acknowledgements and bare arithmetic. */
export function isTrivialPrompt(query: string): boolean {
  const text = query.trim().replace(/\u2019/g, "'");
  if (text === '') return true;
  if (ARITHMETIC.test(text)) return true;
  let cjkRest = text;
  for (const phrase of TRIVIAL_CJK) cjkRest = cjkRest.split(phrase).join(' ');
  const words = cjkRest
    .toLowerCase()
    .replace(/['\u2019]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
  return words.every((w) => TRIVIAL_WORDS.has(w));
}

/**
 * Decides whether `query` should be answered with a recall lookup. Reasons are listed in a fixed
 * order: `explicit`, then each cue (`marker:remember`, `marker:上次`, …), then `repo_question`.
 */
export function evaluateRecallTrigger(
  query: string,
  options: RecallTriggerOptions = {},
): RecallTriggerDecision {
  const reasons: string[] = [];
  if (options.explicit) reasons.push('explicit');
  const text = typeof query === 'string' ? query : '';
  if (isTrivialPrompt(text)) return { triggered: reasons.length > 0, reasons };

  const lower = text.toLowerCase().replace(/\u2019/g, "'");
  for (const [cue, pattern] of ENGLISH_CUES) if (pattern.test(lower)) reasons.push(`marker:${cue}`);
  const found: string[] = [];
  for (const cue of CHINESE_CUES) {
    // 还记得 already covers 记得: report the longest cue only.
    if (text.includes(cue) && !found.some((f) => f.includes(cue))) found.push(cue);
  }
  for (const cue of found) reasons.push(`marker:${cue}`);

  const { terms } = analyzeQuery(text);
  if (terms.some((t) => t.compound || isEngineeringTerm(t.term))) reasons.push('repo_question');
  return { triggered: reasons.length > 0, reasons };
}
