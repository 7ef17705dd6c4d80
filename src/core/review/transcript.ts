/**
 * What a reviewer sees of a session: the neutral transcript (read by the agent's adapter)
 * rendered within a character budget, the latest turn first.
 */
import { SHELL_TOOL_NAMES } from '../agents/transcript-file.js';
import type { Transcript, TranscriptEntry, TranscriptTurn } from '../agents/types.js';

// The local reviewer still recognises Codex-injected user texts itself.
export { isCodexInjectedUserText } from '../agents/codex/rollout.js';
export { SHELL_TOOL_NAMES };

/** Default character budget of {@link renderTranscriptForReview}. */
export const DEFAULT_REVIEW_BUDGET_CHARS = 24_000;

// ---------------------------------------------------------------------------------------------
// Rendering for the reviewer

/** Options of {@link renderTranscriptForReview}. */
export interface RenderTranscriptOptions {
  /** Maximum length of the result in characters (default {@link DEFAULT_REVIEW_BUDGET_CHARS}). */
  budgetChars?: number;
}

/** Per-item limits of the latest turn, tried from the most generous down. */
const LATEST_TURN_LEVELS: ReadonlyArray<{ message: number; toolInput: number; toolOutput: number }> = [
  { message: 8000, toolInput: 2000, toolOutput: 3000 },
  { message: 4000, toolInput: 1200, toolOutput: 1500 },
  { message: 2000, toolInput: 600, toolOutput: 700 },
  { message: 1000, toolInput: 300, toolOutput: 300 },
  { message: 500, toolInput: 160, toolOutput: 120 },
];

/** Share of the budget kept for earlier turns when the latest turn can fit without it. */
const EARLIER_RESERVE = 0.2;

/**
 * Renders a transcript for a reviewer within `budgetChars`: the latest turn in full (long items
 * clipped head + tail), earlier turns condensed (user prompt, a short assistant summary, command
 * lines with exit codes, patched files), most recent first when space runs out. The latest turn
 * always wins the space. Deterministic: same transcript, same text.
 */
export function renderTranscriptForReview(
  transcript: Transcript & { truncated?: boolean },
  options: RenderTranscriptOptions = {},
): string {
  const budget = Math.max(0, Math.floor(options.budgetChars ?? DEFAULT_REVIEW_BUDGET_CHARS));
  const header = renderHeader(transcript);
  const turns = transcript.turns;
  const latest = turns[turns.length - 1];
  if (latest === undefined)
    return fit(`${header}\n(no user or assistant messages in this transcript)\n`, budget);

  const available = budget - header.length;
  const earlierTurns = turns.slice(0, -1);
  const reserve = earlierTurns.length > 0 ? Math.floor(budget * EARLIER_RESERVE) : 0;
  let latestText: string | undefined;
  for (const limit of [available - reserve, available]) {
    for (const level of LATEST_TURN_LEVELS) {
      const candidate = renderLatestTurn(latest, level);
      if (candidate.length <= limit) {
        latestText = candidate;
        break;
      }
    }
    if (latestText !== undefined) break;
  }
  const smallest = LATEST_TURN_LEVELS[LATEST_TURN_LEVELS.length - 1];
  latestText ??= clipMiddle(
    renderLatestTurn(latest, smallest ?? { message: 500, toolInput: 160, toolOutput: 120 }),
    Math.max(0, available),
  );

  const remaining = available - latestText.length;
  const earlier = earlierTurns.length > 0 ? renderEarlierTurns(earlierTurns, remaining) : '';
  return fit(`${header}${earlier}${latestText}`, budget);
}

/** Condensed earlier turns within `room` characters, the most recent kept first. */
function renderEarlierTurns(turns: readonly TranscriptTurn[], room: number): string {
  const title = '## Earlier turns (condensed)\n';
  let left = room - title.length - 1;
  const kept: string[] = [];
  let omitted = 0;
  for (let position = turns.length - 1; position >= 0; position -= 1) {
    const turn = turns[position];
    if (turn === undefined) continue;
    const text = renderCondensedTurn(turn);
    // Keep room for the "[N earlier turns omitted]" line in case the next one does not fit.
    const note = position > 0 ? omittedLine(position).length : 0;
    if (text.length + note > left) {
      omitted = position + 1;
      break;
    }
    kept.unshift(text);
    left -= text.length;
  }
  if (kept.length === 0) {
    const note = omittedLine(omitted);
    return note.length <= left ? `${title}${note}\n` : '';
  }
  return `${title}${omitted > 0 ? omittedLine(omitted) : ''}${kept.join('')}\n`;
}

function omittedLine(count: number): string {
  return `[${count} earlier turn${count === 1 ? '' : 's'} omitted]\n`;
}

function renderHeader(transcript: Transcript & { truncated?: boolean }): string {
  const lines = ['# Codex session transcript'];
  const facts: string[] = [];
  if (transcript.sessionId) facts.push(`session ${transcript.sessionId}`);
  if (transcript.cwd) facts.push(`cwd ${transcript.cwd}`);
  if (facts.length > 0) lines.push(facts.join(' · '));
  if (transcript.truncated)
    lines.push('note: the rollout was too long; only its tail was read, the oldest turns are missing');
  if (transcript.skippedLines > 0) lines.push(`note: ${transcript.skippedLines} unreadable line(s) skipped`);
  return `${lines.join('\n')}\n\n`;
}

function renderLatestTurn(
  turn: TranscriptTurn,
  level: { message: number; toolInput: number; toolOutput: number },
): string {
  const parts: string[] = [`## Latest turn (turn ${turn.index}, in full)\n`];
  const names = toolNamesByCallId(turn);
  for (const entry of turn.entries) {
    switch (entry.kind) {
      case 'user':
        parts.push(`\nuser:\n${clipMiddle(entry.text, level.message)}\n`);
        break;
      case 'assistant':
        parts.push(`\nassistant:\n${clipMiddle(entry.text, level.message)}\n`);
        break;
      case 'tool_call': {
        const input = clipMiddle(entry.input, level.toolInput);
        parts.push(
          SHELL_TOOL_NAMES.has(entry.name)
            ? `\ntool ${entry.name}:\n$ ${input}\n`
            : `\ntool ${entry.name}:\n${input}\n`,
        );
        break;
      }
      case 'tool_output': {
        const name = entry.callId === undefined ? undefined : names.get(entry.callId);
        const label = `${name ? `${name} output` : 'output'}${entry.exitCode === undefined ? '' : ` (exit ${entry.exitCode})`}`;
        parts.push(`${label}:\n${clipMiddle(entry.output, level.toolOutput)}\n`);
        break;
      }
    }
  }
  return parts.join('');
}

function toolNamesByCallId(turn: TranscriptTurn): Map<string, string> {
  const names = new Map<string, string>();
  for (const entry of turn.entries) {
    if (entry.kind === 'tool_call' && entry.callId !== undefined) names.set(entry.callId, entry.name);
  }
  return names;
}

const CONDENSED_USER = 500;
const CONDENSED_ASSISTANT = 240;
const CONDENSED_COMMAND = 160;
const CONDENSED_MAX_COMMANDS = 10;

function renderCondensedTurn(turn: TranscriptTurn): string {
  const lines: string[] = [`[turn ${turn.index}]`];
  const outputs = new Map<string, TranscriptEntry & { kind: 'tool_output' }>();
  for (const entry of turn.entries) {
    if (entry.kind === 'tool_output' && entry.callId !== undefined) outputs.set(entry.callId, entry);
  }
  for (const entry of turn.entries) {
    if (entry.kind === 'user') lines.push(`user: ${oneLine(clipEnd(entry.text, CONDENSED_USER))}`);
  }
  const assistant = turn.entries.filter((entry) => entry.kind === 'assistant').at(-1);
  if (assistant?.kind === 'assistant')
    lines.push(`assistant: ${oneLine(clipEnd(assistant.text, CONDENSED_ASSISTANT))}`);

  const commands: string[] = [];
  const patched = new Set<string>();
  const otherTools = new Map<string, number>();
  for (const entry of turn.entries) {
    if (entry.kind !== 'tool_call') continue;
    if (SHELL_TOOL_NAMES.has(entry.name)) {
      const output = entry.callId === undefined ? undefined : outputs.get(entry.callId);
      const exit = output?.exitCode === undefined ? '' : ` → exit ${output.exitCode}`;
      commands.push(`$ ${oneLine(clipEnd(entry.input, CONDENSED_COMMAND))}${exit}`);
    } else if (entry.name === 'apply_patch') {
      for (const file of patchedFiles(entry.input)) patched.add(file);
    } else {
      otherTools.set(entry.name, (otherTools.get(entry.name) ?? 0) + 1);
    }
  }
  lines.push(...commands.slice(0, CONDENSED_MAX_COMMANDS));
  if (commands.length > CONDENSED_MAX_COMMANDS)
    lines.push(`… ${commands.length - CONDENSED_MAX_COMMANDS} more commands`);
  if (patched.size > 0) lines.push(`patched: ${[...patched].slice(0, 12).join(', ')}`);
  if (otherTools.size > 0) {
    lines.push(
      `other tools: ${[...otherTools].map(([name, count]) => (count > 1 ? `${name} ×${count}` : name)).join(', ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Files named by an apply_patch body (`*** Update File: path`, Add, Delete, Move to). */
export function patchedFiles(patch: string): string[] {
  const files: string[] = [];
  const pattern = /^\*\*\* (?:Update|Add|Delete) File: (.+)$|^\*\*\* Move to: (.+)$/gm;
  for (const match of patch.matchAll(pattern)) {
    const file = (match[1] ?? match[2] ?? '').trim();
    if (file !== '' && !files.includes(file)) files.push(file);
  }
  return files;
}

/** Keeps the head and tail of `text` within `max` characters, marking what was cut. */
export function clipMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = (omitted: number): string => `\n[… ${omitted} chars omitted …]\n`;
  const room = max - marker(text.length).length;
  if (room < 20) return safeSlice(text, 0, Math.max(0, max));
  const headLength = Math.ceil(room * 0.6);
  const tailLength = room - headLength;
  const head = safeSlice(text, 0, headLength);
  const tail = safeSlice(text, text.length - tailLength, text.length);
  return `${head}${marker(text.length - head.length - tail.length)}${tail}`;
}

function clipEnd(text: string, max: number): string {
  return text.length <= max ? text : `${safeSlice(text, 0, Math.max(0, max - 1))}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ⏎ ');
}

/** Slice that never leaves half of a surrogate pair at either end. */
function safeSlice(text: string, start: number, end: number): string {
  let from = start;
  let to = end;
  if (from > 0 && from < text.length && isLowSurrogate(text.charCodeAt(from))) from += 1;
  if (to > 0 && to < text.length && isLowSurrogate(text.charCodeAt(to))) to -= 1;
  return text.slice(from, Math.max(from, to));
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function fit(text: string, budget: number): string {
  return text.length <= budget ? text : safeSlice(text, 0, budget);
}
