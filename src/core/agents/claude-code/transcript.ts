/**
 * Reader of Claude Code session transcripts (`<config>/projects/<slug>/<session>.jsonl`), always
 * opened from the path a hook payload gives (or a file `import` found), never rebuilt from the cwd.
 *
 * One JSON object per line. What becomes a neutral transcript entry:
 * - `user` records whose `message.content` is a string (or text blocks) are human prompts, and each
 *   one starts a turn whose id is its `promptId` (the hook payloads' `prompt_id`). Records marked
 *   `isMeta` (hook feedback such as "Stop hook feedback: …"), `isCompactSummary` (Claude's own
 *   summary after a compaction) and slash-command echoes (`<command-name>…`) are not human input
 *   and are skipped: text a hook or the model wrote must never pass for what the user asked.
 * - `user` records holding `tool_result` blocks are tool outputs, paired with their call by
 *   `tool_use_id`; the Bash tool's exit status comes from `is_error` and the "Exit code N" line.
 * - `assistant` records are one content block each: `text` is the answer, `tool_use` a call.
 *   `thinking` blocks are private reasoning and are dropped. The Bash tool is named `shell` and the
 *   file-editing tools `apply_patch` (with the touched file in a patch header), so the reviewers
 *   treat a Claude Code command or edit like any other agent's.
 * - `attachment` records (hook output, including the context this tool injected, environment and
 *   skill listings, prompt snapshots), `system` records (hook summaries, compaction boundaries) and
 *   the bookkeeping records (`queue-operation`, `last-prompt`, `api-request*`, `cost-state`, …)
 *   teach nothing about the user's work and are skipped, as are `isSidechain` records.
 *
 * Subagents write their own transcripts next to the session
 * (`<slug>/<session>/subagents/agent-<id>.jsonl`) whose records carry the `promptId` of the turn
 * that started them: their tool calls and outputs are added to that turn (the subagent's prompt is
 * the main agent's text, not the user's, and is not added as a human message).
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DEFAULT_MAX_BYTES, readTranscriptText } from '../transcript-file.js';
import type { ReadTranscript, Transcript, TranscriptEntry, TranscriptTurn } from '../types.js';

/** Most subagent transcripts read for one session, and most bytes of each (their tail). */
export const MAX_SUBAGENT_FILES = 16;
export const MAX_SUBAGENT_BYTES = 512 * 1024;

/** Tools whose input is a shell command line (`Bash`; `BashOutput` only reads a background one). */
const SHELL_TOOLS: ReadonlySet<string> = new Set(['Bash']);
/** Tools that edit one file; rendered as a patch naming it. */
const EDIT_TOOLS: ReadonlySet<string> = new Set(['Edit', 'MultiEdit', 'Write', 'NotebookEdit']);
/** The neutral tool names the reviewers know (shell commands and patches). */
export const NEUTRAL_SHELL = 'shell';
export const NEUTRAL_PATCH = 'apply_patch';

/** User text that Claude Code writes itself around slash commands and `!` shell mode. */
const NOT_HUMAN_PREFIX =
  /^<(command-name|command-message|command-args|local-command-stdout|local-command-caveat|bash-input|bash-stdout|bash-stderr)>/;

/** Options of {@link readClaudeTranscript}. */
export interface ReadClaudeTranscriptOptions {
  /** Read at most this many bytes from the end of the file (default {@link DEFAULT_MAX_BYTES}). */
  maxBytes?: number;
  /** Also read the session's subagent transcripts (default true). */
  subagents?: boolean;
}

/**
 * Reads and parses a Claude Code transcript. Files larger than `maxBytes` are read from the end,
 * starting at the first full line. Invalid UTF-8 is replaced; unparseable lines are counted.
 *
 * @throws {TranscriptReadError} when the file is missing, not a regular file, or unreadable.
 */
export async function readClaudeTranscript(
  path: string,
  options: ReadClaudeTranscriptOptions = {},
): Promise<ReadTranscript> {
  const maxBytes = Math.max(1, Math.floor(options.maxBytes ?? DEFAULT_MAX_BYTES));
  const tail = await readTranscriptText(path, maxBytes);
  const transcript = parseClaudeTranscript(tail.text);
  if (options.subagents !== false && transcript.turns.length > 0) {
    const subagents = await readSubagents(path);
    addSubagentEntries(transcript, subagents);
  }
  return {
    ...transcript,
    truncated: tail.truncated,
    totalBytes: tail.totalBytes,
    bytesRead: tail.bytesRead,
  };
}

/** The folder of a session's subagent transcripts: `<slug>/<session>/subagents`. */
export function subagentsDir(transcriptPath: string): string {
  return join(dirname(transcriptPath), basename(transcriptPath, '.jsonl'), 'subagents');
}

async function readSubagents(transcriptPath: string): Promise<string[]> {
  const dir = subagentsDir(transcriptPath);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^agent-[\w-]+\.jsonl$/.test(n)).sort();
  } catch {
    return [];
  }
  const texts: string[] = [];
  for (const name of names.slice(0, MAX_SUBAGENT_FILES)) {
    try {
      texts.push((await readTranscriptText(join(dir, name), MAX_SUBAGENT_BYTES)).text);
    } catch {
      // A subagent file that vanished or is not a file adds nothing; the main transcript stands.
    }
  }
  return texts;
}

/** Appends each subagent's tool calls and outputs to the main turn whose id its records carry. */
function addSubagentEntries(transcript: Transcript, subagentTexts: readonly string[]): void {
  const byTurn = new Map(transcript.turns.map((t) => [t.turnId, t]));
  for (const text of subagentTexts) {
    const parsed = parseRecords(text);
    const agentId = parsed.records.map((r) => str(r.agentId)).find(Boolean) ?? 'subagent';
    const state = new ParseState();
    for (const record of parsed.records) {
      const promptId = str(record.promptId);
      if (promptId !== undefined) state.promptId = promptId;
      const turn = state.promptId === undefined ? undefined : byTurn.get(state.promptId);
      if (!turn) continue;
      for (const entry of toolEntries(record, state, `${agentId}:`)) turn.entries.push(entry);
    }
  }
}

/**
 * Parses transcript text (JSONL) into turns. Pure: no I/O. Blank lines are ignored; lines that are
 * not JSON objects with a string `type` are counted in `skippedLines`.
 */
export function parseClaudeTranscript(text: string): Transcript {
  const { records, skippedLines } = parseRecords(text);
  const transcript: Transcript = { turns: [], skippedLines };
  const turns: TranscriptTurn[] = [];
  let current: TranscriptTurn | undefined;
  const state = new ParseState();
  for (const record of records) {
    if (transcript.sessionId === undefined && str(record.sessionId))
      transcript.sessionId = str(record.sessionId);
    if (str(record.cwd)) transcript.cwd = str(record.cwd);
    if (transcript.cliVersion === undefined && str(record.version))
      transcript.cliVersion = str(record.version);
    if (record.isSidechain === true) continue;
    if (record.type === 'user') {
      const prompt = humanPrompt(record);
      if (prompt !== undefined) {
        const turnId = str(record.promptId) ?? str(record.uuid);
        current = { index: turns.length, ...(turnId ? { turnId } : {}), entries: [] };
        turns.push(current);
        current.entries.push({ kind: 'user', text: prompt, ...ts(record) });
        continue;
      }
    }
    if (!current) continue; // before the first prompt (a resumed tail): nothing to attach it to
    if (record.type === 'assistant') {
      const text = assistantText(record);
      const id = messageId(record);
      if (text !== undefined) {
        const last = current.entries.at(-1);
        // One API message is written as one record per block: its text blocks become one entry.
        if (last?.kind === 'assistant' && id !== undefined && state.lastMessageId === id)
          last.text = `${last.text}\n${text}`;
        else current.entries.push({ kind: 'assistant', text, ...ts(record) });
      }
      state.lastMessageId = id;
    }
    for (const entry of toolEntries(record, state, '')) current.entries.push(entry);
  }
  transcript.turns = turns.filter((t) => t.entries.length > 0);
  return transcript;
}

/** Per-file parsing state: the tool names by call id (to render outputs) and the current turn. */
class ParseState {
  readonly tools = new Map<string, string>();
  lastMessageId: string | undefined;
  promptId: string | undefined;
}

type JsonRecord = Record<string, unknown>;

function parseRecords(text: string): { records: JsonRecord[]; skippedLines: number } {
  const records: JsonRecord[] = [];
  let skippedLines = 0;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skippedLines += 1;
      continue;
    }
    if (isRecord(value) && typeof value.type === 'string') records.push(value);
    else skippedLines += 1;
  }
  return { records, skippedLines };
}

/** The text of a human prompt record, or undefined when the record is anything else. */
function humanPrompt(record: JsonRecord): string | undefined {
  if (record.isMeta === true || record.isCompactSummary === true || record.isVisibleInTranscriptOnly === true)
    return undefined;
  const message = isRecord(record.message) ? record.message : undefined;
  if (!message || (message.role !== undefined && message.role !== 'user')) return undefined;
  const content = message.content;
  let text: string | undefined;
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    if (content.some((b) => isRecord(b) && b.type === 'tool_result')) return undefined;
    const parts = content
      .map((b) =>
        isRecord(b) && b.type === 'text' && typeof b.text === 'string'
          ? b.text
          : isRecord(b) && b.type === 'image'
            ? '[image]'
            : undefined,
      )
      .filter((t): t is string => t !== undefined);
    text = parts.length > 0 ? parts.join('\n') : undefined;
  }
  const clean = text?.trim();
  if (!clean || NOT_HUMAN_PREFIX.test(clean)) return undefined;
  return clean;
}

function messageId(record: JsonRecord): string | undefined {
  return isRecord(record.message) ? str(record.message.id) : undefined;
}

function blocksOf(record: JsonRecord): JsonRecord[] {
  const message = isRecord(record.message) ? record.message : undefined;
  const content = message?.content;
  if (Array.isArray(content)) return content.filter(isRecord);
  return [];
}

/** The text blocks of an assistant record, joined; undefined when it holds none. */
function assistantText(record: JsonRecord): string | undefined {
  const message = isRecord(record.message) ? record.message : undefined;
  if (typeof message?.content === 'string') return message.content.trim() || undefined;
  const texts = blocksOf(record)
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => (b.text as string).trim())
    .filter((t) => t !== '');
  return texts.length > 0 ? texts.join('\n') : undefined;
}

/** Tool calls of an assistant record and tool outputs of a user record. */
function toolEntries(record: JsonRecord, state: ParseState, callPrefix: string): TranscriptEntry[] {
  const out: TranscriptEntry[] = [];
  if (record.type === 'assistant') {
    for (const block of blocksOf(record)) {
      if (block.type !== 'tool_use' && block.type !== 'server_tool_use') continue;
      const name = str(block.name) ?? 'unknown';
      const id = str(block.id);
      if (id) state.tools.set(id, name);
      const input = isRecord(block.input) ? block.input : {};
      const rendered = renderToolCall(name, input);
      out.push({
        kind: 'tool_call',
        name: rendered.name,
        input: rendered.input,
        ...(id ? { callId: callPrefix + id } : {}),
        ...ts(record),
      });
    }
  } else if (record.type === 'user') {
    for (const block of blocksOf(record)) {
      if (block.type !== 'tool_result') continue;
      const id = str(block.tool_use_id);
      const name = id ? state.tools.get(id) : undefined;
      const { output, exitCode } = renderToolResult(name, block, record.toolUseResult);
      out.push({
        kind: 'tool_output',
        output,
        ...(id ? { callId: callPrefix + id } : {}),
        ...(exitCode === undefined ? {} : { exitCode }),
        ...ts(record),
      });
    }
  }
  return out;
}

/** A tool call in neutral terms: shell commands as their command line, edits as a patch. */
export function renderToolCall(name: string, input: JsonRecord): { name: string; input: string } {
  if (SHELL_TOOLS.has(name) && typeof input.command === 'string')
    return { name: NEUTRAL_SHELL, input: input.command };
  if (EDIT_TOOLS.has(name)) {
    const file = str(input.file_path) ?? str(input.notebook_path);
    if (file) {
      const lines = [`*** Begin Patch`, `*** ${name === 'Write' ? 'Add' : 'Update'} File: ${file}`];
      const edits = Array.isArray(input.edits) ? input.edits.filter(isRecord) : [input];
      for (const edit of edits) {
        if (typeof edit.old_string === 'string') lines.push(...prefixed('-', edit.old_string));
        if (typeof edit.new_string === 'string') lines.push(...prefixed('+', edit.new_string));
      }
      if (name === 'Write' && typeof input.content === 'string') lines.push(...prefixed('+', input.content));
      if (typeof input.new_source === 'string') lines.push(...prefixed('+', input.new_source));
      lines.push('*** End Patch');
      return { name: NEUTRAL_PATCH, input: lines.join('\n') };
    }
  }
  return { name, input: JSON.stringify(input) };
}

function prefixed(sign: string, text: string): string[] {
  return text.split('\n').map((line) => `${sign}${line}`);
}

/** A tool result's text and, for shell commands, its exit code. */
export function renderToolResult(
  name: string | undefined,
  block: JsonRecord,
  toolUseResult: unknown,
): { output: string; exitCode?: number } {
  const text = contentText(block.content);
  const isError = block.is_error === true;
  if (name === undefined || !SHELL_TOOLS.has(name)) return { output: text };
  const code = /^(?:Error: )?Exit code (-?\d+)/.exec(text);
  const result = isRecord(toolUseResult) ? toolUseResult : undefined;
  let output = text;
  if (result && !isError && (typeof result.stdout === 'string' || typeof result.stderr === 'string')) {
    output = [str(result.stdout), str(result.stderr)].filter(Boolean).join('\n');
  }
  // A failed command's result starts with its status line; the status is kept as the exit code.
  if (code?.[1] !== undefined)
    return {
      output: code.index === 0 ? output.slice(code[0].length).replace(/^\r?\n/, '') : output,
      exitCode: Number(code[1]),
    };
  if (result?.interrupted === true) return { output, exitCode: 130 };
  return { output, exitCode: isError ? 1 : 0 };
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    return content === undefined || content === null ? '' : JSON.stringify(content);
  return content
    .map((b) =>
      isRecord(b) && typeof b.text === 'string' ? b.text : isRecord(b) && b.type === 'image' ? '[image]' : '',
    )
    .filter((t) => t !== '')
    .join('\n');
}

function ts(record: JsonRecord): { timestamp?: string } {
  const timestamp = str(record.timestamp);
  return timestamp ? { timestamp } : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isRecord(value: unknown): value is JsonRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
