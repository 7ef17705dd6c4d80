/**
 * Procedures the human lays out ("here is how releases work: 1. … 2. … 3. …", "我们的发版流程是：先…，
 * 再…，然后…，最后…"): one recall candidate with the steps in order, as the person wrote them.
 * Only the human's own words count (quoted and pasted text is masked); a list without a lead
 * naming it as the way something is done ("how …", "process", "流程") is a task, not a procedure.
 */
import { isCodexInjectedUserText } from '../transcript.js';
import type { Transcript } from '../types.js';
import { MAX_QUOTE, type Proposal } from './proposal.js';
import { clip, maskQuoted } from './text.js';

/** A lead naming a way of doing something, with the noun used for the title. */
const EN_LEAD =
  /\b(?:here(?:'s| is) how|this is how|how)\s+(?:we\s+|you\s+)?(release|deploy|ship|publish|set up|setup|onboard|roll back|rollback)s?\b|\b(release|deploy(?:ment)?|publish(?:ing)?|setup|set-up|onboarding|rollback|hotfix|migration)s?\s+(?:process|procedure|steps|checklist|flow|workflow|routine)\b|\b(release|deploy|publish|rollback)s?\s+works?\b|\bthe usual (release|deploy) (?:steps|dance|routine)\b/i;
const ZH_LEAD = /([\u4e00-\u9fffA-Za-z]{2,8}?)(?:的)?(流程|步骤|顺序)(?:是|如下)?\s*[:：是]/;
/** "For a hotfix: branch off …, cherry-pick …, bump …, then open a PR": a named recipe, comma steps. */
const EN_RECIPE_LEAD = /^(?:for|to do|doing) (?:a |an |the )?(hotfix|release|deploy(?:ment)?|rollback|patch release|new release|migration)\s*[:,]\s*/i;

/** "when you add a new locale: first …, then …": a task named by the person, with its steps. */
const EN_TASK_LEAD = /\b(?:when(?:ever)? you|to|if you need to|each time you|every time you)\s+((?:add|create|set up|release|deploy|publish|cut|ship|bump|upgrade|onboard|rotate|regenerate|update|install|start|run|migrate)\b[^.:,]{0,60}?)\s*[:,]\s*(?=first\b|1[.)]\s)/i;

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
      if (found) proposals.push({ ...found, evidence: { turn: turn.index, quote: clip(entry.text, MAX_QUOTE) } });
    }
  }
  return proposals;
}

/** The procedure a message states, if any (without evidence). */
export function procedureOf(text: string): Omit<Proposal, 'evidence'> | undefined {
  const masked = maskQuoted(text);
  const english = EN_LEAD.exec(masked);
  const chinese = ZH_LEAD.exec(masked);
  const task = english || chinese ? undefined : EN_TASK_LEAD.exec(masked);
  const recipe = english || chinese || task ? undefined : EN_RECIPE_LEAD.exec(masked.trim());
  if (recipe) {
    const body = text.trim().slice(recipe[0].length).replace(/[.。]\s*$/, '');
    const parts = body.split(/,\s*(?:and\s+)?(?:then\s+)?|;\s*|\s+then\s+/).map((part) => part.trim()).filter((part) => part !== '');
    if (parts.length < 3 || parts.length > 10 || body.includes('\n')) return undefined;
    const noun = EN_NOUN[(recipe[1] ?? '').toLowerCase().replace(/ment$/, '')] ?? capitalize((recipe[1] ?? 'release').toLowerCase());
    return {
      kind: 'procedure',
      family: 'recall_candidate',
      summary: `${noun} procedure`,
      content: `${noun} steps in this repo: ${parts.map((step, index) => `${index + 1}. ${step}`).join('; ')}.`,
      sourcePaths: [],
      confidence: 0.75,
      dedupeKey: parts.join(' '),
    };
  }
  if (!english && !chinese && !task) return undefined;
  const steps = numberedSteps(text, masked) ?? (chinese ? chineseSteps(text, masked) : englishSequence(text, masked));
  if (steps === undefined || steps.length < 3 || steps.length > 12) return undefined;
  if (task) {
    const what = (task[1] ?? '').trim().replace(/\s+/g, ' ');
    return {
      kind: 'procedure',
      family: 'recall_candidate',
      summary: `Steps to ${what}`,
      content: `To ${what}: ${steps.map((step, index) => `${index + 1}. ${step.replace(/[.;,]+$/, '')}`).join('; ')}.`,
      sourcePaths: [],
      confidence: 0.75,
      dedupeKey: steps.join(' '),
    };
  }
  if (chinese && (!english || (chinese.index ?? 0) <= (english.index ?? 0))) {
    const topic = (chinese[1] ?? '').replace(/^(我们|咱们|这边|这里|项目|仓库)的?/, '').replace(/^的/, '');
    const noun = `${topic.length >= 2 ? topic : '操作'}${chinese[2] === '顺序' ? '步骤' : chinese[2]}`;
    return {
      kind: 'procedure',
      family: 'recall_candidate',
      summary: noun,
      content: `${noun}：${steps.map((step, index) => `${index + 1}. ${step.replace(/[。；;，,]+$/, '')}`).join('；')}。`,
      sourcePaths: [],
      confidence: 0.75,
      dedupeKey: steps.join(' '),
    };
  }
  const key = (english?.[1] ?? english?.[2] ?? english?.[3] ?? english?.[4] ?? 'release').toLowerCase();
  const noun = EN_NOUN[key] ?? 'Release';
  return {
    kind: 'procedure',
    family: 'recall_candidate',
    summary: `${noun} procedure`,
    content: `${noun} steps in this repo: ${steps.map((step, index) => `${index + 1}. ${step.replace(/[.;,]+$/, '')}`).join('; ')}.`,
    sourcePaths: [],
    confidence: 0.75,
    dedupeKey: steps.join(' '),
  };
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
  return steps.length >= 3 ? steps : undefined;
}

/** "先 A，再 B，然后 C，最后 D" in one sentence. */
function chineseSteps(text: string, masked: string): string[] | undefined {
  const start = masked.search(/先/);
  if (start < 0) return undefined;
  const end = masked.slice(start).search(/。|\n|$/);
  const span = text.slice(start, start + (end < 0 ? masked.length : end));
  const parts = span.split(/[，,；;]\s*(?=再|然后|接着|之后|最后|再跑|并且)/).map((part) => part.trim()).filter((part) => part !== '');
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
