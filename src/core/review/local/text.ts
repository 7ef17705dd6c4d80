/**
 * Text helpers of the local reviewer: masking what the human did not say themselves (quotes, code
 * blocks, `>` quoted lines), sentence splitting for English and Chinese, and word sets for
 * comparing texts.
 */

/** Character used to blank out masked spans; keeps offsets identical to the original. */
const MASK = '_';

/** A sentence of a user message: the original text and the same span with quotes masked. */
export interface Sentence {
  /** Original text (trimmed). */
  text: string;
  /** Same span with quoted text, code blocks and `>` lines blanked out. */
  masked: string;
}

/**
 * Blanks out (same length) what a user pasted rather than said: fenced code blocks, `>` quoted
 * lines, and text inside double quotes (`"…"`, `“…”`, `「…」`, `『…』`). Inline `code` stays.
 */
export function maskQuoted(text: string): string {
  let masked = text.replace(/```[\s\S]*?(?:```|$)/g, blank);
  masked = masked.replace(/^[ \t]*>.*$/gm, blank);
  // A line right after "the hook printed" / "it says:" is pasted output, not the person speaking.
  masked = masked.replace(
    /(\b(?:printed|prints|says|said|shows|showed|outputs?|returned|logged|wrote|complains|complained|displays|threw|throws|reads|got this|got these|getting this|log|logs|trace|traceback|stack ?trace)\b[^\n:?]{0,30}:?[ \t]*\n)([^\n]*)/gi,
    (_all, lead: string, line: string) => `${lead}${blank(line)}`,
  );
  // Lines that read as a tool's output pasted into the message ("npm WARN …", "ERROR: …",
  // "src/a.ts:3:1 error …", a timestamp, a stack frame): what a tool said, never the person's rule.
  masked = masked.replace(MACHINE_LINE, blank);
  masked = masked.replace(/"[^"\n]*"|“[^”\n]*”|「[^」\n]*」|『[^』\n]*』/g, blank);
  return readingForm(masked);
}

/**
 * The form the cues read: Traditional characters simplified, and 之后/今后 opening a clause read as
 * 以后 ("之後回覆我請用繁體中文" is "from now on, reply in Traditional Chinese"). Same length as the
 * text, so offsets found in it cut the original.
 */
export function readingForm(text: string): string {
  // ("之后我再看看" is a plan for later and "之后帮我把 … 改一下" a task for later, not standing rules:
  // left as they are.)
  return toSimplified(text).replace(
    /(^|[\s，,。；;：:！!？?、])(之后|今后|往后)(?!\s*(我|我们|咱们)?\s*再|\s*(帮|幫|麻烦|麻煩))/g,
    '$1以后',
  );
}

// Traditional characters of the words the cues read (以後, 請, 這個, 回覆, 規範 …) and their simplified
// forms, one for one: the masked text keeps every offset, and lessons are cut from the original text,
// so a person writing Traditional Chinese is read by the same cues and keeps their own characters.
const TRADITIONAL =
  '後請覆們這個裡裏說會體簡為對時寫讓應該設問題經還沒麼嗎於東從開關發現點變數據庫號碼測試錯誤執運將當務須準規範約統別記檔夾資環頁鍵議錄歡覺決壞報過邊條給長間與啟動隊組員專業預機構遠絕確認實際項屬歸類標註釋態畫線網頭樣幫譯讀結論總習慣種換舊觀腳戶帳單僅筆賬購買賣價錢費則紀維護續氣產門閱優勢義學級區離並乾淨鐘鎖遷衛齊處證書傳輸遞參擇選圖導車軟電腦視尋詢倉儲內兩嚴謹漢語陣鏈連獲調適驗檢輯編憑協層節壓縮佈雲閉歷強儘盡衝樓獨寬顯隱鬆緊識較稱謝絡頻斷況紹責負擔難擴圍佔隨憶極盤鬧轉順誰麗簽鑰驟階輪詳細廢棄舉擊補萬億計劃餘蘭華縣雖兒聽見覽掛異許講終評慮來討暫臨著擱備馬剛倆貼勁煩邏寧嘗繼屆團廠術藝帶';
const SIMPLIFIED =
  '后请复们这个里里说会体简为对时写让应该设问题经还没么吗于东从开关发现点变数据库号码测试错误执运将当务须准规范约统别记档夹资环页键议录欢觉决坏报过边条给长间与启动队组员专业预机构远绝确认实际项属归类标注释态画线网头样帮译读结论总习惯种换旧观脚户账单仅笔账购买卖价钱费则纪维护续气产门阅优势义学级区离并干净钟锁迁卫齐处证书传输递参择选图导车软电脑视寻询仓储内两严谨汉语阵链连获调适验检辑编凭协层节压缩布云闭历强尽尽冲楼独宽显隐松紧识较称谢络频断况绍责负担难扩围占随忆极盘闹转顺谁丽签钥骤阶轮详细废弃举击补万亿计划余兰华县虽儿听见览挂异许讲终评虑来讨暂临着搁备马刚俩贴劲烦逻宁尝继届团厂术艺带';
const TO_SIMPLIFIED = new Map([...TRADITIONAL].map((char, index) => [char, [...SIMPLIFIED][index] ?? char]));

/** The text with common Traditional Chinese characters in their simplified form (same length). */
export function toSimplified(text: string): string {
  return text.replace(/[\u3400-\u9fff]/g, (char) => TO_SIMPLIFIED.get(char) ?? char);
}

/** A line of pasted tool output. */
const MACHINE_LINE =
  /^[ \t]*(?:(?:npm|pnpm|yarn) (?:WARN|ERR!|error|warn)\b|(?:ERROR|WARN|WARNING|INFO|DEBUG|FATAL|TRACE|CRITICAL)\b|(?:error|fatal|panic)(?:\[\w+\])?:|\[(?:error|warn|warning|info|debug)\]|\d{4}-\d\d-\d\d[ T]\d|\d\d:\d\d:\d\d|at \S+ \(|Traceback\b|File "|E {2,}|[\w./-]+\.\w+:\d+(?::\d+)?[:\s]).*$/gm;

function blank(span: string): string {
  return span.replace(/[^\n]/g, MASK);
}

/** True when a character is CJK (Han, kana, Hangul). */
export function isCjk(char: string): boolean {
  return /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/.test(char);
}

/** True when the text contains CJK characters. */
export function hasCjk(text: string): boolean {
  return /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/.test(text);
}

/** What opens a rule of the place: "in this codebase we never", "here we always", "这个仓库里一律". */
const SCOPED_RULE_AFTER =
  /^\s*((in|for) (this|our) (codebase|repo|repository|project|team|monorepo),? we (always|never|don'?t|do not|only)\b|here,? we (always|never|don'?t|do not|only)\b|(在)?(这个|我们的?)(仓库|项目|代码库|repo)里?,?\s*(我们)?(一律|从不|从来不|都|只|不要|禁止))/i;

/**
 * Splits a message into sentences on line breaks, `. ! ? ;` followed by a space (so `fly.io`,
 * `v1.2` and paths stay whole) and on Chinese `。！？；`. Splitting is decided on the masked text
 * so a quoted sentence is never cut in two.
 */
export function splitSentences(text: string): Sentence[] {
  const masked = maskQuoted(text);
  const sentences: Sentence[] = [];
  let start = 0;
  const push = (end: number): void => {
    const original = text.slice(start, end);
    const maskedPart = masked.slice(start, end);
    const lead = original.length - original.trimStart().length;
    const trail = original.trimEnd().length;
    if (trail > lead)
      sentences.push({ text: original.slice(lead, trail), masked: maskedPart.slice(lead, trail) });
    start = end;
  };
  for (let index = 0; index < masked.length; index += 1) {
    const char = masked[index] ?? '';
    const next = masked[index + 1];
    if (char === '\n') push(index + 1);
    else if ('。！？；'.includes(char)) push(index + 1);
    // "… and since you'll be importing things: in this codebase we never …": a rule of the place
    // after a colon is a sentence of its own, not the end of the task before it.
    else if ((char === ':' || char === '：') && SCOPED_RULE_AFTER.test(masked.slice(index + 1, index + 60)))
      push(index + 1);
    else if (
      '.!?;'.includes(char) &&
      (next === undefined ||
        next === ' ' ||
        next === '\n' ||
        next === '\t' ||
        (next !== undefined && isCjk(next)))
    )
      push(index + 1);
  }
  push(masked.length);
  return sentences;
}

/** Lower-cases and collapses whitespace; Markdown emphasis and bullets are dropped. */
export function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[`*_#>[\]()"“”'’‘「」『』]/g, ' ')
    .replace(/[，。！？；：、,.!?;:]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const STOPWORDS = new Set(
  (
    'a an the and or but to of in on at for with from by as is are was were be been it its this that these those ' +
    'we our us you your i me my he she they them their there here then than so if do does did not no yes please ' +
    'should must can could would will just also all any some more very into onto over under about up down out ' +
    'use using used run runs always never don dont t s re ll ve m remember note now from going forward ok okay btw'
  ).split(' '),
);

/**
 * Content words of a text: Latin words (≥ 2 chars, stopwords dropped, paths kept whole) and, for
 * CJK runs, character bigrams.
 */
export function contentWords(text: string): Set<string> {
  const words = new Set<string>();
  const lower = text.toLowerCase();
  for (const match of lower.matchAll(/[a-z0-9@][a-z0-9@._/:+-]*[a-z0-9]|[a-z0-9]/g)) {
    const word = match[0];
    if (word.length >= 2 && !STOPWORDS.has(word)) words.add(word);
  }
  for (const match of lower.matchAll(/[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+/g)) {
    const run = match[0];
    if (run.length === 1) words.add(run);
    for (let index = 0; index + 1 < run.length; index += 1) words.add(run.slice(index, index + 2));
  }
  return words;
}

/** Share of `needle`'s words found in `haystack` (0 when `needle` has none). */
export function containment(needle: Set<string>, haystack: Set<string>): number {
  if (needle.size === 0) return 0;
  let found = 0;
  for (const word of needle) if (haystack.has(word)) found += 1;
  return found / needle.size;
}

/** Clips to `max` characters at a word boundary when possible, with an ellipsis. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}

/** True when a token looks like a file or directory path. */
export function isPathLike(token: string): boolean {
  if (/^-/.test(token)) return false;
  if (token === '.' || token === '..' || token.includes('/')) return true;
  return /\.[a-z0-9]{1,6}$/i.test(token) && !/^\d+(\.\d+)+$/.test(token);
}

/** Common words of English (function words a message in English almost always has). */
const ENGLISH_WORDS = new Set(
  (
    'the a an and or but to of in on at for with from by is are was were be it this that we you i my our your ' +
    "please pls can could should would will do does did not no use run add fix make when if so just it's don't " +
    'always never here there what why how then also some all its as have has need want'
  ).split(' '),
);

/** Common words of other languages written in Latin letters (Spanish, French, German, Portuguese, Italian).
 * */
const OTHER_LATIN_WORDS = new Set(
  (
    'el la los las del que y en es por para con una uno siempre nunca usa este esta repositorio ahora arregla ' +
    'le les des et est pas pour avec une dans toujours jamais utilise ce cette dépôt maintenant ' +
    'der die das und nicht ist mit ein eine immer nie verwende bitte dieses jetzt ' +
    'não sim com um uma sempre nunca usar isso agora ' +
    'il di che non sono con per una sempre mai usa questo adesso'
  ).split(' '),
);

/**
 * True when a message is in a language the local reviewer does not read: neither English nor
 * Chinese (Japanese kana, Korean, Cyrillic, or Latin text whose common words are not English).
 */
export function isOtherLanguage(text: string): boolean {
  const masked = maskQuoted(text).replace(/`[^`\n]*`/g, ' ');
  if (/[\u3040-\u30ff\uac00-\ud7af\u0400-\u04ff\u0600-\u06ff]/.test(masked)) {
    const han = (masked.match(/[\u4e00-\u9fff]/g) ?? []).length;
    const other = (masked.match(/[\u3040-\u30ff\uac00-\ud7af\u0400-\u04ff\u0600-\u06ff]/g) ?? []).length;
    if (other > han / 4) return true;
  }
  if (hasCjk(masked)) return false;
  const words = masked.toLowerCase().match(/[a-zà-ÿ']+/g) ?? [];
  if (words.length < 4) return false;
  let english = 0;
  let other = 0;
  for (const word of words) {
    if (ENGLISH_WORDS.has(word)) english += 1;
    else if (OTHER_LATIN_WORDS.has(word)) other += 1;
  }
  return other >= 3 && other > english * 2;
}
