/**
 * Procedures the human lays out ("here is how releases work: 1. … 2. … 3. …", "我们的发版流程是：先…，
 * 再…，然后…，最后…"): one recall candidate with the steps in order, as the person wrote them.
 * Only the human's own words count (quoted and pasted text is masked); a list without a lead
 * naming it as the way something is done ("how …", "process", "流程") is a task, not a procedure.
 */
import { isCodexInjectedUserText } from '../transcript.js';
import type { Transcript } from '../types.js';
import { durableCommand } from './commands.js';
import { MAX_QUOTE, type Proposal } from './proposal.js';
import { clip, maskQuoted } from './text.js';

/** A lead naming a way of doing something, with the noun used for the title. */
const EN_LEAD =
  /\b(?:here(?:'s| is) how|this is how|how|the way)\s+(?:we\s+|you\s+)?(release|deploy|ship|publish|set up|setup|onboard|roll back|rollback)s?\b|\b(release|deploy(?:ment)?|publish(?:ing)?|setup|set-up|onboarding|rollback|hotfix|migration)s?\s+(?:process|procedure|steps|checklist|flow|workflow|routine)\b|\b(release|deploy|publish|rollback)s?\s+works?\b|\bthe usual (release|deploy) (?:steps|dance|routine)\b/i;
const ZH_LEAD =
  /([\u4e00-\u9fffA-Za-z]{2,8}?)\s?(?:的)?(流程|步骤|顺序)(?:是这样的?|是|如下|来|走)?\s*[:：是]|(?:我们|咱们|这边)([\u4e00-\u9fffA-Za-z]{2,6}?)(?:一直|都|向来|平时|一般)?(?:是)?(?:这么|这样)(?:搞|做|弄|来|走|干|操作)(?:的)?\s*[:：]/;
/** "For a hotfix: branch off …, cherry-pick …, bump …, then open a PR": a named recipe, comma steps. */
const EN_RECIPE_LEAD =
  /^(?:for|to do|doing) (?:a |an |the )?(hotfix|release|deploy(?:ment)?|rollback|patch release|new release|migration)\s*[:,]\s*/i;

/** "when you add a new locale: first …, then …": a task named by the person, with its steps. */
const EN_TASK_LEAD =
  /\b(?:when(?:ever)? (?:you|we)|to|if (?:you|we) need to|each time (?:you|we)|every time (?:you|we))\s+((?:add|create|set up|release|deploy|publish|cut|ship|bump|upgrade|onboard|rotate|regenerate|update|install|start|run|migrate)\b[^.:,]{0,60}?)\s*[:,]\s*(?=first\b|1[.)]\s)/i;

/** "Releasing goes like this here:", "a deploy works like this:": a named way, then its steps. */
const EN_LIKE_THIS_LEAD =
  /\b([a-z][\w-]*(?: [a-z][\w-]*)?) (?:goes|go|works|work|is done|happens) like this\b(?: here| in this repo)?\s*[:\n]/i;

/**
 * Any named way of doing something, whatever the verb or noun: "this is how we cut a hotfix:",
 * "how to rotate the API keys:", "our review checklist:", "the steps for a schema change are:".
 * The steps that follow (numbered, or first/then/finally) are what make it a procedure; a lead
 * about this one problem ("how to fix this:") is today's task.
 */
const EN_GENERIC_LEAD =
  /\b(?:here(?:'s| is)|this is) how (?:we|you) ([a-z][\w-]*)(?: (?:it|them|this|that|these|those))?,? (?:and )?(?:it'?s |it is |we )?(?:always|every time|each time)(?: in| do it in)? (?:this|the same) order\s*[:\n]|^to ([a-z][\w-]*(?: [\w.-]+){0,3})\s*:\s|\b(?:(?:here(?:'s| is)|this is|that's|that is) how|how|the way)\s+(?:we|you|to|i|one)\s+(?:(?:usually|always|normally|should|must|can)\s+)?([a-z][\w-]*(?:\s+(?:a|an|the|our|new|[\w.-]+)){0,3})\s*(?:here|in this repo|around here)?\s*(?:is|are|works?)?\s*[:\n]|\b(?:our|the)\s+([a-z][\w-]*(?:\s+[a-z][\w-]*)?)\s+(?:process|procedure|steps|checklist|flow|workflow|routine|runbook|playbook)\b(?:\s+(?:here|in this repo))?\s*(?:is|are|goes|looks like)?\s*[:\n]|\bthe steps to\s+([a-z][\w-]*(?:\s+[\w.-]+){0,3})\s+(?:are|is)?\s*[:\n]|\bthe steps for\s+(?:a |an |the )?([a-z][\w-]*(?:\s+[\w.-]+){0,3})\s+(?:are|is)?\s*[:\n]/i;
/** Objects that make a lead about the problem at hand, not a way of working. */
const ONE_OFF_OBJECT = /\b(this|that|it|these|those|bug|issue|problem|error|crash|failure|mess)\b/i;
/** "第一步 …，第二步 …" / "每次 X 都要：先 …": a Chinese named or numbered procedure. */
const ZH_ORDINAL_STEPS = /第一步[^。\n]*?[，,；;。\n]\s*第二步[^。\n]*?[，,；;。\n]\s*第三步/;

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const EN_NOUN: Record<string, string> = {
  release: 'Release',
  deploy: 'Deploy',
  deployment: 'Deploy',
  ship: 'Release',
  publish: 'Publish',
  publishing: 'Publish',
  'set up': 'Setup',
  setup: 'Setup',
  'set-up': 'Setup',
  onboard: 'Onboarding',
  'patch release': 'Patch release',
  'new release': 'Release',
  onboarding: 'Onboarding',
  'roll back': 'Rollback',
  rollback: 'Rollback',
  hotfix: 'Hotfix',
  migration: 'Migration',
};

/** Extracts stated procedures from the human's messages. */
export function extractProcedures(transcript: Transcript): Proposal[] {
  const proposals: Proposal[] = [];
  for (const turn of transcript.turns) {
    for (const entry of turn.entries) {
      if (entry.kind !== 'user' || isCodexInjectedUserText(entry.text)) continue;
      const found = procedureOf(entry.text);
      if (found)
        proposals.push({ ...found, evidence: { turn: turn.index, quote: clip(entry.text, MAX_QUOTE) } });
    }
  }
  return proposals;
}

/**
 * The procedure a message states, if any (without evidence). Its steps never hold a one-off,
 * destructive or publishing step (see {@link durableSteps}); when those are its substance, or the
 * message withdraws or hedges what it says, nothing is learned.
 */
export function procedureOf(text: string): Omit<Proposal, 'evidence'> | undefined {
  const found = stated(text);
  return found === 'one-off' ? undefined : found;
}

/**
 * True when a message lays out a procedure, learned or not: its sentences are steps, not rules
 * (a procedure made of `git push` steps teaches nothing, and neither do its sentences one by one).
 */
export function laysOutProcedure(text: string): boolean {
  return stated(text) !== undefined;
}

/** A stated procedure, `one-off` when one was laid out but nothing durable is left of it. */
function stated(text: string): Omit<Proposal, 'evidence'> | 'one-off' | undefined {
  const raw = statedRaw(text);
  if (raw === undefined) return undefined;
  // "…, not decided yet", "scratch that", "算了", "待定": a withdrawn or open procedure is not one.
  if (WITHDRAWN.test(maskQuoted(text))) return 'one-off';
  const kept = durableSteps(raw.steps);
  if (kept === undefined) return 'one-off';
  if (kept.length === raw.steps.length) return raw.proposal;
  return { ...raw.proposal, content: raw.render(kept), dedupeKey: kept.join(' ') };
}

/** A message that takes back or leaves open what it lays out. */
const WITHDRAWN =
  /\b(scratch that|forget (that|it|what i said)|never mind|not (yet )?(decided|settled|final)|undecided|tbd|up in the air|still (discussing|debating|deciding))\b|算了|当我没说|还没定|待定|未定|还在讨论|再议|回头再说|先不管/i;

/** A step that runs a one-off, destructive or publishing command (`git push --tags`, `rm -rf`, `cp`). */
const ONE_OFF_PROSE =
  /^(?:(?:and|then|finally|lastly|last|after that|next|first)[\s,]+)*(?:push|commit|stage|force[- ]push|amend)(?:\s+(?:it|them|that|this|everything|the (?:tags?|branch|commit|changes|release))?)?\s*(?:$|[,.;]|to\b|and\b)|\b(?:force[- ])?push(?:es|ing)? (?:the (?:tags?|branch|commits?|changes|release)|it\b|them\b|(?:it |them )?to (?:origin|main|master|the remote|remote|upstream|github|gitlab)|origin\b|--|-f\b)|\b(?:and|then)\s+push\s*(?:$|[,.;])|\bcommit (?:and|&) push\b|git\s+(?:push|commit|add|tag)\b|(?:推送|推到|推上去|push\s*到|push\s*上去)\s*(?:到)?\s*(?:远端|远程|origin|main|master|主干|主分支|仓库|github|gitlab|分支|tag)|(?:提交|commit)\s*(?:并|然后|再)?\s*(?:推送|push)|打\s*tag\s*(?:并|然后|再)\s*(?:推|push)/i;

/**
 * The steps a future agent may follow, or undefined when the procedure's substance is one-off.
 *
 * A step is dropped when a command in it (in backticks, or the step itself when it reads as a
 * command) has a one-off part (`git add/commit/push/tag`, `cp`/`mv`/`rm`, `sleep`, `| head`,
 * `cd /tmp`), or when its action is pushing or committing. A note that holds such a step invites
 * running it again: pushing and committing are the person's call, each time. When fewer than two
 * steps are left, or more than half were dropped, the procedure *is* those steps and nothing is
 * learned.
 */
export function durableSteps(steps: readonly string[]): string[] | undefined {
  // "done", "that's it", "完成": the end of the list, not a step.
  const real = steps.filter(
    (step) => !/^(and )?(done|that'?s it|finish(ed)?|完成|结束|搞定|完事)[.!。！]?$/i.test(step.trim()),
  );
  const kept = real.filter((step) => !isOneOffStep(step));
  if (kept.length < 2 || (real.length - kept.length) * 2 > real.length) return undefined;
  return kept;
}

function isOneOffStep(step: string): boolean {
  const bare = step
    .trim()
    .replace(
      /^(?:(?:and|then|finally|lastly|after that|next|first|run|先|再|然后|接着|之后|最后|跑|执行)[\s,，:：]*)+/i,
      '',
    );
  if (ONE_OFF_PROSE.test(bare)) return true;
  const spans = [...step.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
  // "git push origin main --tags" without backticks: the step reads as a command.
  if (spans.length === 0 && /^(git|cp|mv|rm|sleep|tail|head|cd)\s/.test(bare)) spans.push(bare);
  return spans.some((span) => {
    if (!/^\s*[\w./-]+(\s|$)/.test(span) || !/\s/.test(span.trim())) return false;
    const durable = durableCommand(span);
    return durable === undefined || durable.replace(/\s+/g, ' ') !== span.trim().replace(/\s+/g, ' ');
  });
}

/** A procedure found in a message: the proposal, its steps and how to write it with other steps. */
interface RawProcedure {
  proposal: Omit<Proposal, 'evidence'>;
  steps: string[];
  render: (steps: readonly string[]) => string;
}

function statedRaw(text: string): RawProcedure | undefined {
  const masked = maskQuoted(text);
  const english = EN_LEAD.exec(masked);
  const chinese = ZH_LEAD.exec(masked);
  const task = english || chinese ? undefined : EN_TASK_LEAD.exec(masked);
  const recipe = english || chinese || task ? undefined : EN_RECIPE_LEAD.exec(masked.trim());
  if (recipe) {
    const body = text
      .trim()
      .slice(recipe[0].length)
      .replace(/[.。]\s*$/, '');
    const parts = body
      .split(/,\s*(?:and\s+)?(?:then\s+)?|;\s*|\s+then\s+/)
      .map((part) => part.trim())
      .filter((part) => part !== '');
    if (parts.length < 3 || parts.length > 10 || body.includes('\n')) return undefined;
    const noun =
      EN_NOUN[(recipe[1] ?? '').toLowerCase().replace(/ment$/, '')] ??
      capitalize((recipe[1] ?? 'release').toLowerCase());
    return made(
      `${noun} procedure`,
      0.75,
      parts,
      (steps) => `${noun} steps in this repo: ${numbered(steps)}.`,
    );
  }
  const likeThis = english || chinese || task || recipe ? undefined : EN_LIKE_THIS_LEAD.exec(masked);
  if (
    likeThis &&
    !ONE_OFF_OBJECT.test(likeThis[1] ?? '') &&
    !/\b(can|could|would|will) you\b|[?？]/i.test(masked.slice(0, likeThis.index))
  ) {
    const what = (likeThis[1] ?? '').toLowerCase().replace(/^(a|an|the|our)\s+/, '');
    const noun =
      EN_NOUN[what] ??
      EN_NOUN[what.replace(/ing$/, '')] ??
      EN_NOUN[what.replace(/ing$/, 'e')] ??
      EN_NOUN[what.replace(/s$/, '')] ??
      capitalize(what);
    const steps =
      numberedSteps(text, masked) ??
      inlineNumberedSteps(text, masked) ??
      englishSequence(text, masked) ??
      commaSteps(text, masked, likeThis.index ?? 0);
    if (steps !== undefined && steps.length >= 3 && steps.length <= 12) {
      return made(`${noun} procedure`, 0.7, steps, (kept) => `${noun} steps in this repo: ${listed(kept)}.`);
    }
  }
  const prose = english || chinese || task || recipe || likeThis ? undefined : proseProcedure(text, masked);
  if (prose !== undefined) return prose;
  const generic = english || chinese || task || recipe || likeThis ? undefined : genericLead(masked);
  if (generic !== undefined) return genericProcedure(text, masked, generic);
  if (!english && !chinese && !task) return undefined;
  const steps =
    numberedSteps(text, masked) ??
    inlineNumberedSteps(text, masked) ??
    ordinalSteps(text, masked) ??
    (chinese ? chineseSteps(text, masked) : englishSequence(text, masked)) ??
    commaSteps(text, masked, (english ?? chinese ?? task)?.index ?? 0);
  if (steps === undefined || steps.length < 3 || steps.length > 12) return undefined;
  if (task) {
    const what = (task[1] ?? '').trim().replace(/\s+/g, ' ');
    return made(`Steps to ${what}`, 0.75, steps, (kept) => `To ${what}: ${listed(kept)}.`);
  }
  if (chinese && (!english || (chinese.index ?? 0) <= (english.index ?? 0))) {
    const topic = (chinese[1] ?? chinese[3] ?? '')
      .replace(/^(请|麻烦)?(记录|记下|记一下)?(一下)?/, '')
      .replace(/^(按照?|根据|照)?(本项目|这个项目|本仓库|这个仓库|我们|咱们|这边|这里|项目|仓库)?的?/, '')
      .replace(/^的/, '')
      // "数据库变更照我们的流程走": who follows the way is not its name.
      .replace(/(按照?|根据|照|跟)?(本项目|这个项目|我们|咱们|这边|项目)?的?$/, '');
    const kind = chinese[2] === undefined || chinese[2] === '顺序' ? '步骤' : chinese[2];
    const noun = `${topic.length >= 2 ? topic : '操作'}${kind === '步骤' && chinese[3] !== undefined ? '流程' : kind}`;
    return made(noun, 0.75, steps, (kept) => `${noun}：${listedZh(kept)}。`);
  }
  const key = (english?.[1] ?? english?.[2] ?? english?.[3] ?? english?.[4] ?? 'release').toLowerCase();
  const noun = EN_NOUN[key] ?? 'Release';
  return made(`${noun} procedure`, 0.75, steps, (kept) => `${noun} steps in this repo: ${listed(kept)}.`);
}

/** A procedure proposal from its steps, with the way to write it again with fewer steps. */
function made(
  summary: string,
  confidence: number,
  steps: readonly string[],
  render: (steps: readonly string[]) => string,
): RawProcedure {
  return {
    proposal: {
      kind: 'procedure',
      family: 'recall_candidate',
      summary,
      content: render(steps),
      sourcePaths: [],
      confidence,
      dedupeKey: steps.join(' '),
    },
    steps: [...steps],
    render,
  };
}

/** "1. a; 2. b" with the steps as written. */
function numbered(steps: readonly string[]): string {
  return steps.map((step, index) => `${index + 1}. ${step}`).join('; ');
}

/** "1. a; 2. b" without the steps' trailing punctuation. */
function listed(steps: readonly string[]): string {
  return steps.map((step, index) => `${index + 1}. ${step.replace(/[.;,]+$/, '')}`).join('; ');
}

/** "1. 甲；2. 乙" without the steps' trailing punctuation. */
function listedZh(steps: readonly string[]): string {
  return steps.map((step, index) => `${index + 1}. ${step.replace(/[。；;，,]+$/, '')}`).join('；');
}

/** Lines numbered `1.`/`1)`/`-` in order after the lead. */
function numberedSteps(text: string, masked: string): string[] | undefined {
  const steps: string[] = [];
  const lines = text.split('\n');
  const maskedLines = masked.split('\n');
  let expected = 1;
  lines.forEach((line, index) => {
    const match = /^\s*(\d+)[.)、]\s+(.+)$/.exec(maskedLines[index] ?? '');
    if (match && Number(match[1]) === expected) {
      steps.push(line.replace(/^\s*\d+[.)、]\s+/, '').trim());
      expected += 1;
    }
  });
  return steps.length >= 3 ? steps : bulletSteps(lines, maskedLines);
}

/** One run of `- `, `* ` or `• ` lines (the first run of three or more), in order. */
function bulletSteps(lines: readonly string[], maskedLines: readonly string[]): string[] | undefined {
  let run: string[] = [];
  for (const [index, line] of lines.entries()) {
    if (/^\s*[-*•]\s+\S/.test(maskedLines[index] ?? '')) run.push(line.replace(/^\s*[-*•]\s+/, '').trim());
    else if (run.length >= 3) break;
    else if (line.trim() !== '') run = [];
  }
  return run.length >= 3 ? run : undefined;
}

/** "let me explain how hotfixes work here": a named way of doing something, told in sentences. */
const PROSE_LEAD =
  /\bhow ([a-z][\w-]*?)(?:es|s)? (?:work|works|are done|is done|go|goes|happen)\b(?: here| in this repo)?/i;
/** A sentence that tells a step: "You branch from …", "Then you …", "Finally …". */
const PROSE_STEP =
  /^(?:(?:then|first|next|after that|finally|and)\s*,?\s+)?(?:you|we)\s+(?:then\s+)?|^(?:then|first|next|after that|finally)\s*,?\s+/i;

/**
 * "… how hotfixes work here … You branch from the latest release tag, not from main. You cherry-pick
 * the fix, bump the patch version, run `make release-notes`, and open the PR.": the steps are the
 * sentences after the lead that tell what you do, split at commas into actions.
 */
function proseProcedure(text: string, masked: string): RawProcedure | undefined {
  const lead = PROSE_LEAD.exec(masked);
  if (!lead || ONE_OFF_OBJECT.test(lead[1] ?? '')) return undefined;
  const rest = masked.slice((lead.index ?? 0) + lead[0].length);
  const sentenceEnd = rest.search(/[.!?](\s|$)/);
  if (sentenceEnd < 0) return undefined;
  const from = (lead.index ?? 0) + lead[0].length + sentenceEnd + 1;
  const steps: string[] = [];
  let cursor = from;
  for (;;) {
    const slice = masked.slice(cursor);
    const start = slice.length - slice.trimStart().length;
    const end = slice.search(/[.!?](\s|$)/);
    const sentence = text.slice(cursor + start, end < 0 ? undefined : cursor + end).trim();
    const opener = PROSE_STEP.exec(sentence);
    if (!opener || sentence === '') break;
    const parts = sentence
      .slice(opener[0].length)
      .split(/,\s*(?:and\s+)?(?:then\s+)?/)
      .map((part) => part.trim())
      .filter((part) => part !== '');
    for (const part of parts) {
      // "…, not from main": a qualifier of the step before, not a step.
      if (/^(not|but|which|so|because|as|unless|otherwise|or)\b/i.test(part) && steps.length > 0) {
        steps[steps.length - 1] = `${steps[steps.length - 1]}, ${part}`;
      } else steps.push(part);
    }
    if (end < 0) break;
    cursor += end + 1;
  }
  if (steps.length < 3 || steps.length > 12 || steps.some((step) => step.length > 160)) return undefined;
  const what = (lead[1] ?? '').toLowerCase();
  const noun = EN_NOUN[what] ?? capitalize(what);
  return made(`${noun} procedure`, 0.7, steps, (kept) => `${noun} steps in this repo: ${numbered(kept)}.`);
}

/** "1) A 2) B 3) C" or "1. A 2. B 3. C" within one line, in order. */
function inlineNumberedSteps(text: string, masked: string): string[] | undefined {
  const starts: Array<{ at: number; from: number }> = [];
  let expected = 1;
  for (const match of masked.matchAll(/(?:^|\s)(\d{1,2})[.)]\s+/g)) {
    if (Number(match[1]) !== expected) continue;
    starts.push({ at: match.index ?? 0, from: (match.index ?? 0) + match[0].length });
    expected += 1;
  }
  if (starts.length < 3) return undefined;
  const first = starts[0]!;
  const line = masked.slice(first.at).search(/\n/);
  const limit = line < 0 ? masked.length : first.at + line;
  if (starts.some((start) => start.at >= limit)) return undefined;
  const steps = starts.map((start, index) => {
    const end = index + 1 < starts.length ? starts[index + 1]!.at : limit;
    let step = text.slice(start.from, end).trim();
    // The last step ends with its sentence ("4) add a contract test. Please follow that order.").
    if (index + 1 === starts.length) step = step.split(/[.。!](?:\s|$)/)[0] ?? step;
    return step.replace(/[\s,;，；]+$/, '');
  });
  return steps.every((step) => step !== '' && step.length <= 160) ? steps : undefined;
}

/** "先 A，再 B，然后 C，最后 D" in one sentence. */
function chineseSteps(text: string, masked: string): string[] | undefined {
  const start = masked.search(/先/);
  if (start < 0) return undefined;
  const end = masked.slice(start).search(/。|\n|$/);
  const span = text.slice(start, start + (end < 0 ? masked.length : end));
  // A step may open with a few words before its marker ("审完再执行 …", "过了之后 …", "盯 15 分钟没报警再 …").
  const parts = span
    .split(/[，,；;]\s*(?=[^，,；;`]{0,12}?(?:再|然后|接着|之后|最后|并且))/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
  return parts.length >= 3 ? parts : undefined;
}

/** "first A, then B, then C, finally D". */
function englishSequence(text: string, masked: string): string[] | undefined {
  const start = masked.search(/\bfirst\b/i);
  if (start < 0) return undefined;
  const end = masked.slice(start).search(/\.\s|\n|$/);
  const span = text.slice(start, start + (end < 0 ? masked.length : end));
  const parts = span
    .split(/,\s*(?:and\s+)?(?=then\b|after that\b|next\b|finally\b|and finally\b)/i)
    .map((part) => part.replace(/^(first|then|after that|next|finally|and finally)[,:]?\s+/i, '').trim())
    .filter((part) => part !== '');
  return parts.length >= 3 ? parts : undefined;
}

/** The thing a generic lead names ("cut a hotfix", "review checklist"), or undefined. */
function genericLead(masked: string): { what: string; howTo: boolean; chinese: boolean } | undefined {
  if (ZH_ORDINAL_STEPS.test(masked)) {
    const named = /([\u4e00-\u9fffA-Za-z]{2,10}?)(?:的时候|时)?[:：，,]\s*第一步/.exec(masked);
    const what = (named?.[1] ?? '').replace(/^(我们|咱们|这边|每次|以后)+/, '');
    return { what, howTo: false, chinese: true };
  }
  const found = EN_GENERIC_LEAD.exec(masked);
  if (!found) return undefined;
  // Group 1: "here's how we rotate it, and it's always this order:" (the pronoun names the thing
  // the sentence before spoke of; "always this order" says the way stands).
  const what = (found[1] ?? found[2] ?? found[3] ?? found[4] ?? found[5] ?? found[6] ?? '')
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/\s+(here|around here|in this repo)$/i, '');
  if (what === '' || ONE_OFF_OBJECT.test(what)) return undefined;
  // A question or a request before the lead ("can you do this: 1. …") is a task list.
  const before = masked.slice(0, found.index ?? 0);
  if (/\b(can|could|would|will) you\b|[?？]/i.test(before)) return undefined;
  const howTo =
    found[1] !== undefined || found[2] !== undefined || found[3] !== undefined || found[5] !== undefined;
  return { what, howTo, chinese: false };
}

/** A generic lead followed by three or more ordered steps: one procedure note. */
function genericProcedure(
  text: string,
  masked: string,
  lead: { what: string; howTo: boolean; chinese: boolean },
): RawProcedure | undefined {
  const steps = lead.chinese
    ? ordinalSteps(text, masked)
    : (numberedSteps(text, masked) ??
      inlineNumberedSteps(text, masked) ??
      englishSequence(text, masked) ??
      commaSteps(text, masked, 0));
  if (steps === undefined || steps.length < 3 || steps.length > 12) return undefined;
  if (lead.chinese) {
    const noun = `${lead.what.length >= 2 ? lead.what : '操作'}步骤`;
    return made(noun, 0.7, steps, (kept) => `${noun}：${listedZh(kept)}。`);
  }
  const what = lead.what.replace(/[.;,:]+$/, '');
  return made(lead.howTo ? `How to ${what}` : `${capitalize(what)} procedure`, 0.7, steps, (kept) =>
    lead.howTo
      ? `To ${what} in this repo: ${listed(kept)}.`
      : `${capitalize(what)} steps in this repo: ${listed(kept)}.`,
  );
}

/** "第一步 A，第二步 B，第三步 C" or "一、A；二、B；三、C" in order. */
function ordinalSteps(text: string, masked: string): string[] | undefined {
  const ordinals = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];
  const marker = masked.includes('第一步')
    ? (n: string): string => `第${n}步`
    : (n: string): string => `${n}、`;
  if (!masked.includes(marker('一')) || !masked.includes(marker('二'))) return undefined;
  const steps: string[] = [];
  for (let index = 0; index < ordinals.length; index += 1) {
    const at = masked.indexOf(marker(ordinals[index] ?? ''));
    if (at < 0) break;
    const next = masked.indexOf(marker(ordinals[index + 1] ?? '十一'), at);
    const rest = text.slice(at + marker(ordinals[index] ?? '').length, next < 0 ? undefined : next);
    const step = (next < 0 ? (rest.split(/[。\n]/)[0] ?? rest) : rest)
      .replace(/^[\s：:，,是]+/, '')
      .replace(/[\s，,；;。]+$/, '');
    if (step === '') break;
    steps.push(step);
  }
  return steps.length >= 3 ? steps : undefined;
}

/** "…: bump the version, run `make changelog`, then tag it": a comma list after the lead's colon. */
function commaSteps(text: string, masked: string, from: number): string[] | undefined {
  const colon = masked.slice(from).search(/[:：]\s/);
  if (colon < 0) return undefined;
  const start = from + colon + 1;
  const end = masked.slice(start).search(/[.。](\s|$)|\n|$/);
  const body = text.slice(start, start + (end < 0 ? masked.length - start : end)).trim();
  const parts = body
    .split(/[,，;；]\s*(?:and\s+)?(?:then\s+)?|\s+then\s+|[，,]?\s*(?:然后|再|最后)/)
    .map((part) => part.trim().replace(/^(first|finally|and finally|lastly|先)[,\s]*/i, ''))
    .filter((part) => part !== '');
  return parts.length >= 3 && parts.every((part) => part.length <= 120) ? parts : undefined;
}
