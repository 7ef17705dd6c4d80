/**
 * Clean-text check of a reviewer entry: what would be compiled into memory or recall must read as
 * a written note for a future agent, not as raw chat. Used by the local reviewer as its last gate
 * and by the reviewer evaluation to report the clean-text rate of any reviewer's output.
 */
import { hasCjk } from './text.js';

/** Chat lead-ins that must not open an entry's title or content. */
const LEAD_IN_EN =
  /^(going forward|moving forward|from now on|for the record|for future reference|just so you know|fyi|btw|by the way|heads up|remember(?![-\w])|note that|keep in mind|bear in mind|please|pls|ok(ay)?|so|also|and|oh|hey|quick note|reminder|important)\b[\s,:;.!—–-]*/i;
const LEAD_IN_ZH =
  /^(以后|今后|往后|从现在(开始|起)|记住|记得|请记住|请你|请|另外|还有|对了|顺便|麻烦|注意|提醒一下|好的|嗯)[\s，,：:。]*/;

/** One problem found in an entry. */
export type CleanProblem =
  | 'truncated-title'
  | 'lead-in'
  | 'title-equals-content'
  | 'dangling-punctuation'
  | 'not-byte-exact'
  | 'chinese-lost'
  | 'empty';

/**
 * Problems of one entry (empty = clean).
 *
 * @param source the text the entry was learned from (user messages, commands, patches, outputs):
 *   every `backticked` span and path in the entry must appear in it byte-exact. Empty = not checked.
 * @param chineseSource true when the lesson came from a Chinese message: the entry must stay Chinese.
 */
export function cleanTextProblems(
  entry: { title: string; content: string },
  source = '',
  chineseSource = false,
): CleanProblem[] {
  const problems: CleanProblem[] = [];
  const title = entry.title.trim();
  const content = entry.content.trim();
  if (title === '' || content === '') return ['empty'];
  if (/(…|\.\.\.)$/.test(title)) problems.push('truncated-title');
  if (
    LEAD_IN_EN.test(title) ||
    LEAD_IN_EN.test(content) ||
    LEAD_IN_ZH.test(title) ||
    LEAD_IN_ZH.test(content)
  )
    problems.push('lead-in');
  if (flat(title) === flat(content)) problems.push('title-equals-content');
  if (/[;,；，、:：]$/.test(title) || /[;,；，、:：]$/.test(content)) problems.push('dangling-punctuation');
  if (source !== '' && exactSpans(`${title}\n${content}`).some((span) => !source.includes(span)))
    problems.push('not-byte-exact');
  if (chineseSource && !(hasCjk(title) && hasCjk(content))) problems.push('chinese-lost');
  return problems;
}

/** `backticked` spans and path-like tokens (with a `/`) of a text: what must be copied byte-exact. */
export function exactSpans(text: string): string[] {
  const spans = new Set<string>();
  for (const match of text.matchAll(/`([^`\n]{1,300})`/g)) {
    const span = match[1] ?? '';
    // A command with a placeholder (`v<version>`) or a clipped one is written, not copied.
    if (!/[<>…]/.test(span)) spans.add(span);
  }
  const outside = text.replace(/`[^`\n]*`/g, ' ');
  for (const match of outside.matchAll(
    /(?:^|[\s(（"'])((?:\.{0,2}\/)?[A-Za-z0-9_.@-]+(?:\/[A-Za-z0-9_.@*-]+)+\/?)/g,
  )) {
    const token = (match[1] ?? '').replace(/[.,;:)]+$/, '');
    if (token.includes('/') && !/^https?:/.test(token) && !/^\d+\/\d+$/.test(token) && !token.includes('<'))
      spans.add(token);
  }
  return [...spans];
}

function flat(text: string): string {
  return text
    .toLowerCase()
    .replace(/[`*_"'“”‘’.。!！?？;；:：,，\s]+/g, ' ')
    .trim();
}
