/**
 * Reader of Codex rollout files (`$CODEX_HOME/sessions/…/rollout-*.jsonl`, codex-hooks.md §7) and
 * the renderer that selects what a reviewer sees within a character budget.
 *
 * A rollout line is `{timestamp, ordinal?, type, payload}`. The same user and assistant text is
 * written twice (as a `response_item` message and as an `event_msg`), so one source is chosen per
 * file, deterministically: `response_item` messages when the file has any, else `event_msg`
 * `item_completed` items, else the legacy `user_message` / `agent_message` events.
 */
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { AppError } from '../errors.js';
import type { Transcript, TranscriptEntry, TranscriptTurn } from './types.js';

/** How much of a rollout's tail is read by default (bytes). */
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** Default character budget of {@link renderTranscriptForReview}. */
export const DEFAULT_REVIEW_BUDGET_CHARS = 24_000;

/** The session_meta line can carry ~20 KB of base instructions; never read more than this for it. */
const MAX_HEAD_LINE_BYTES = 1024 * 1024;

/** Tool names whose calls are shell commands (their input is rendered as the command line). */
export const SHELL_TOOL_NAMES: ReadonlySet<string> = new Set([
  'shell',
  'container.exec',
  'shell_command',
  'exec_command',
  'local_shell',
]);

/** Why a rollout could not be read. */
export type TranscriptReadFailure = 'missing' | 'not_a_file' | 'unreadable';

/** A rollout file that is missing or cannot be read. Never carries the file's content. */
export class TranscriptReadError extends AppError {
  readonly path: string;
  readonly reason: TranscriptReadFailure;

  constructor(path: string, reason: TranscriptReadFailure, options: { cause?: unknown } = {}) {
    const what =
      reason === 'missing'
        ? 'does not exist'
        : reason === 'not_a_file'
          ? 'is not a regular file'
          : 'cannot be read';
    super(`transcript ${path} ${what}`, { cause: options.cause });
    this.path = path;
    this.reason = reason;
  }
}

/** Options of {@link readRollout}. */
export interface ReadRolloutOptions {
  /** Read at most this many bytes from the end of the file (default {@link DEFAULT_MAX_BYTES}). */
  maxBytes?: number;
}

/** A {@link Transcript} read from disk, with what was left unread. */
export interface RolloutTranscript extends Transcript {
  /** True when the file was larger than `maxBytes` and only its tail was parsed. */
  truncated: boolean;
  /** Size of the file when it was read. */
  totalBytes: number;
  /** Bytes actually parsed (the tail, starting at the first full line). */
  bytesRead: number;
}

/**
 * Reads and parses a Codex rollout. Files larger than `maxBytes` are read from the end only,
 * starting at the first full line (the session_meta first line is still read, bounded, for the
 * session id and cwd). Invalid UTF-8 is replaced, unparseable lines are counted in `skippedLines`.
 *
 * @throws {TranscriptReadError} when the file is missing, not a regular file, or unreadable.
 */
export async function readRollout(
  path: string,
  options: ReadRolloutOptions = {},
): Promise<RolloutTranscript> {
  const maxBytes = Math.max(1, Math.floor(options.maxBytes ?? DEFAULT_MAX_BYTES));
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO (or a device) planted as the transcript must not wait for a
    // writer; fstat below then refuses anything but a regular file.
    handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (error) {
    throw new TranscriptReadError(path, failureOf(error), { cause: error });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new TranscriptReadError(path, 'not_a_file');
    const totalBytes = info.size;
    if (totalBytes <= maxBytes) {
      const buffer = await readRange(handle, 0, totalBytes);
      const transcript = parseRollout(decodeUtf8(buffer));
      return { ...transcript, truncated: false, totalBytes, bytesRead: buffer.length };
    }
    const start = totalBytes - maxBytes;
    const tail = await readRange(handle, start, maxBytes);
    const previous = await readRange(handle, start - 1, 1);
    // Start at a line boundary: a line cut in half would only count as a bad line.
    let body: Buffer;
    if (previous[0] === 0x0a) body = tail;
    else {
      const newline = tail.indexOf(0x0a);
      body = newline < 0 ? Buffer.alloc(0) : tail.subarray(newline + 1);
    }
    const head = await readFirstLine(handle, Math.min(MAX_HEAD_LINE_BYTES, start));
    const transcript = parseRollout(decodeUtf8(body), {
      headLine: head === undefined ? undefined : decodeUtf8(head),
    });
    return { ...transcript, truncated: true, totalBytes, bytesRead: body.length };
  } catch (error) {
    if (error instanceof TranscriptReadError) throw error;
    throw new TranscriptReadError(path, failureOf(error), { cause: error });
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function failureOf(error: unknown): TranscriptReadFailure {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
  if (code === 'EISDIR') return 'not_a_file';
  return 'unreadable';
}

async function readRange(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break; // the file shrank under us: use what we have
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/** The first line of the file if it ends within `limit` bytes (else undefined). */
async function readFirstLine(handle: FileHandle, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let position = 0;
  while (position < limit) {
    const chunk = await readRange(handle, position, Math.min(64 * 1024, limit - position));
    if (chunk.length === 0) return undefined;
    const newline = chunk.indexOf(0x0a);
    if (newline >= 0) {
      chunks.push(chunk.subarray(0, newline));
      return Buffer.concat(chunks);
    }
    chunks.push(chunk);
    position += chunk.length;
  }
  return undefined;
}

function decodeUtf8(buffer: Buffer): string {
  // Non-fatal decoding replaces invalid sequences with U+FFFD.
  return new TextDecoder('utf-8').decode(buffer);
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Options of {@link parseRollout}. */
export interface ParseRolloutOptions {
  /** The file's first line when the text is only a tail (used for session_meta only). */
  headLine?: string | undefined;
}

interface RolloutRecord {
  type: string;
  payload: Record<string, unknown>;
  timestamp: string | undefined;
}

type MessageSource = 'response_item' | 'item_completed' | 'legacy_event';

/**
 * Parses rollout text (JSONL) into turns. Pure: no I/O. Blank lines are ignored; lines that are
 * not JSON objects with a string `type` are counted in `skippedLines`.
 */
export function parseRollout(text: string, options: ParseRolloutOptions = {}): Transcript {
  const records: RolloutRecord[] = [];
  let skippedLines = 0;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') continue;
    const record = parseLine(line);
    if (record) records.push(record);
    else skippedLines += 1;
  }

  const transcript: Transcript = { turns: [], skippedLines };
  if (options.headLine !== undefined) {
    const head = parseLine(options.headLine);
    if (head?.type === 'session_meta') applySessionMeta(transcript, head.payload);
  }

  const source = chooseMessageSource(records);
  const builder = new TurnBuilder();
  let lastTurnContextCwd: string | undefined;
  let cwd: string | undefined = transcript.cwd;

  for (const record of records) {
    const { payload, timestamp } = record;
    switch (record.type) {
      case 'session_meta':
        if (transcript.sessionId === undefined) applySessionMeta(transcript, payload);
        cwd ??= transcript.cwd;
        break;
      case 'turn_context': {
        const turnId = str(payload.turn_id);
        if (turnId) builder.noteTurnId(turnId);
        const turnCwd = str(payload.cwd);
        if (turnCwd) {
          lastTurnContextCwd = turnCwd;
          cwd = turnCwd;
        }
        break;
      }
      case 'event_msg':
        handleEvent(payload, timestamp, source, builder);
        break;
      case 'response_item':
        handleResponseItem(payload, timestamp, source, builder, cwd);
        break;
      default:
        // world_state, token_usage_record, compacted, …: nothing a reviewer needs.
        break;
    }
  }

  transcript.cwd ??= lastTurnContextCwd;
  transcript.turns = builder.finish();
  return transcript;
}

function parseLine(line: string): RolloutRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.type !== 'string') return undefined;
  const payload = isRecord(value.payload) ? value.payload : {};
  return { type: value.type, payload, timestamp: str(value.timestamp) };
}

function applySessionMeta(transcript: Transcript, payload: Record<string, unknown>): void {
  const sessionId = str(payload.session_id) ?? str(payload.id);
  if (sessionId) transcript.sessionId = sessionId;
  const cwd = str(payload.cwd);
  if (cwd) transcript.cwd = cwd;
  const cliVersion = str(payload.cli_version);
  if (cliVersion) transcript.cliVersion = cliVersion;
}

function chooseMessageSource(records: readonly RolloutRecord[]): MessageSource {
  let itemCompleted = false;
  for (const { type, payload } of records) {
    if (
      type === 'response_item' &&
      payload.type === 'message' &&
      (payload.role === 'user' || payload.role === 'assistant')
    ) {
      return 'response_item';
    }
    if (type === 'event_msg' && payload.type === 'item_completed' && isRecord(payload.item)) {
      const itemType = payload.item.type;
      if (itemType === 'UserMessage' || itemType === 'AgentMessage') itemCompleted = true;
    }
  }
  return itemCompleted ? 'item_completed' : 'legacy_event';
}

function handleEvent(
  payload: Record<string, unknown>,
  timestamp: string | undefined,
  source: MessageSource,
  builder: TurnBuilder,
): void {
  switch (payload.type) {
    case 'task_started': {
      builder.startTask(str(payload.turn_id));
      return;
    }
    case 'item_completed': {
      if (source !== 'item_completed' || !isRecord(payload.item)) return;
      const item = payload.item;
      const text = contentText(item.content);
      if (item.type === 'UserMessage') builder.addUser(text, timestamp, str(payload.turn_id));
      else if (item.type === 'AgentMessage') builder.addAssistant(text, timestamp);
      return;
    }
    case 'user_message':
      if (source === 'legacy_event') builder.addUser(str(payload.message) ?? '', timestamp, undefined);
      return;
    case 'agent_message':
      if (source === 'legacy_event') builder.addAssistant(str(payload.message) ?? '', timestamp);
      return;
    default:
      return;
  }
}

function handleResponseItem(
  payload: Record<string, unknown>,
  timestamp: string | undefined,
  source: MessageSource,
  builder: TurnBuilder,
  cwd: string | undefined,
): void {
  switch (payload.type) {
    case 'message': {
      if (source !== 'response_item') return;
      if (payload.role === 'user') {
        const passthrough = isRecord(payload.internal_chat_message_metadata_passthrough)
          ? payload.internal_chat_message_metadata_passthrough
          : undefined;
        builder.addUser(userContentText(payload.content, passthrough), timestamp, str(passthrough?.turn_id));
      } else if (payload.role === 'assistant') {
        builder.addAssistant(contentText(payload.content), timestamp);
      }
      // developer / system messages are Codex's own instructions: never human input.
      return;
    }
    case 'function_call': {
      const name = str(payload.name) ?? 'unknown';
      const args =
        str(payload.arguments) ?? (payload.arguments === undefined ? '' : JSON.stringify(payload.arguments));
      builder.add({
        kind: 'tool_call',
        name,
        input: renderToolInput(name, args, cwd),
        ...optional('callId', callIdOf(payload)),
        ...ts(timestamp),
      });
      return;
    }
    case 'custom_tool_call': {
      const name = str(payload.name) ?? 'unknown';
      builder.add({
        kind: 'tool_call',
        name,
        input: str(payload.input) ?? '',
        ...optional('callId', callIdOf(payload)),
        ...ts(timestamp),
      });
      return;
    }
    case 'local_shell_call': {
      const action = isRecord(payload.action) ? payload.action : {};
      const input = renderShellCommand(action.command, str(action.working_directory), cwd) ?? '';
      builder.add({
        kind: 'tool_call',
        name: 'local_shell',
        input,
        ...optional('callId', callIdOf(payload)),
        ...ts(timestamp),
      });
      return;
    }
    case 'web_search_call': {
      const action = isRecord(payload.action) ? payload.action : {};
      const input = str(action.query) ?? str(action.url) ?? '';
      builder.add({
        kind: 'tool_call',
        name: 'web_search',
        input,
        ...optional('callId', callIdOf(payload)),
        ...ts(timestamp),
      });
      return;
    }
    case 'function_call_output':
    case 'custom_tool_call_output':
    case 'mcp_tool_call_output': {
      const { output, exitCode } = parseToolOutput(payload.output ?? payload.result);
      builder.add({
        kind: 'tool_output',
        output,
        ...optional('callId', callIdOf(payload)),
        ...optional('exitCode', exitCode),
        ...ts(timestamp),
      });
      return;
    }
    default:
      // reasoning (private chain of thought), ghost_snapshot, compaction, …
      return;
  }
}

/** Accumulates entries into turns; a new turn starts at each task_started and each real user message. */
class TurnBuilder {
  private readonly turns: TranscriptTurn[] = [];
  private entries: TranscriptEntry[] = [];
  private hasUser = false;
  private turnId: string | undefined;

  startTask(turnId: string | undefined): void {
    if (this.entries.length > 0) this.close();
    if (turnId) this.turnId = turnId;
  }

  noteTurnId(turnId: string): void {
    if (this.entries.length === 0 || this.turnId === undefined) this.turnId = turnId;
  }

  addUser(text: string, timestamp: string | undefined, turnId: string | undefined): void {
    const clean = text.trim();
    if (clean === '' || isCodexInjectedUserText(clean)) return;
    if (this.hasUser) this.close();
    if (turnId) this.turnId = turnId;
    this.hasUser = true;
    this.add({ kind: 'user', text: clean, ...ts(timestamp) });
  }

  addAssistant(text: string, timestamp: string | undefined): void {
    const clean = text.trim();
    if (clean === '') return;
    this.add({ kind: 'assistant', text: clean, ...ts(timestamp) });
  }

  add(entry: TranscriptEntry): void {
    if (this.turnId !== undefined) entry.turnId = this.turnId;
    this.entries.push(entry);
  }

  finish(): TranscriptTurn[] {
    if (this.entries.length > 0) this.close();
    return this.turns;
  }

  private close(): void {
    const turn: TranscriptTurn = { index: this.turns.length, entries: this.entries };
    const turnId = this.entries.find((entry) => entry.turnId !== undefined)?.turnId;
    if (turnId !== undefined) turn.turnId = turnId;
    this.turns.push(turn);
    this.entries = [];
    this.hasUser = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Codex-injected user messages

/** Prefixes of user-role texts that Codex (or a hook) injects: never human input. */
const INJECTED_PREFIXES: readonly string[] = [
  '<environment_context',
  '<user_instructions',
  '<permissions instructions',
  '<hook_prompt',
  '<INSTRUCTIONS>',
  '# AGENTS.md instructions',
  '<turn_aborted',
  '<subagent_notification',
  '<startup_context',
  '<user_shell_command',
  '<codex_internal_context',
  '<user_action',
  '<skill',
  '<model_switch',
  '<collaboration_mode',
  '<image_resize_notice',
  '<agent_message_board_notification',
  '<apps_instructions',
  '<skills_instructions',
  '<plugins_instructions',
  '<environments_instructions',
  '<model_instructions',
  '<managed_developer_instructions',
];

/** `content_item_kinds` values (newer Codex) that mark a user-role item as injected context. */
const INJECTED_KIND = /environment_context|instructions|additional_context|hook|agents_md|skill/;

/**
 * True when a user-role text was injected by Codex rather than typed by the human: environment
 * context, AGENTS.md / user instructions, permission notes, Stop-hook continuations (`<hook_prompt`)…
 * A text that is a single XML-like element with a snake_case tag is treated as injected too, so a
 * new Codex tag does not turn into a "preference".
 */
export function isCodexInjectedUserText(text: string): boolean {
  const trimmed = text.trimStart();
  if (INJECTED_PREFIXES.some((prefix) => trimmed.startsWith(prefix))) return true;
  const element = /^<([a-z][a-z_ ]*[a-z])(?:\s[^>]*)?>[\s\S]*<\/\1>\s*$/.exec(trimmed);
  return element !== null && element[1] !== undefined && /[_ ]/.test(element[1]);
}

function userContentText(content: unknown, passthrough: Record<string, unknown> | undefined): string {
  if (!Array.isArray(content)) return typeof content === 'string' ? content : '';
  const kinds = Array.isArray(passthrough?.content_item_kinds) ? passthrough.content_item_kinds : [];
  const parts: string[] = [];
  content.forEach((item, position) => {
    const kind = kinds[position];
    if (typeof kind === 'string' && INJECTED_KIND.test(kind)) return;
    const text = contentItemText(item);
    if (text !== undefined && !isCodexInjectedUserText(text)) parts.push(text);
  });
  return parts.join('\n');
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const item of content) {
    const text = contentItemText(item);
    if (text !== undefined) parts.push(text);
  }
  return parts.join('\n');
}

function contentItemText(item: unknown): string | undefined {
  if (typeof item === 'string') return item;
  if (!isRecord(item)) return undefined;
  if (typeof item.text === 'string') return item.text;
  if (item.type === 'input_image' || item.type === 'image') return '[image]';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Tool calls

function callIdOf(payload: Record<string, unknown>): string | undefined {
  return str(payload.call_id) ?? str(payload.id);
}

function renderToolInput(name: string, args: string, cwd: string | undefined): string {
  const parsed = tryJson(args);
  if (isRecord(parsed)) {
    if (SHELL_TOOL_NAMES.has(name)) {
      const command = renderShellCommand(
        parsed.command ?? parsed.cmd,
        str(parsed.workdir) ?? str(parsed.working_directory),
        cwd,
      );
      if (command !== undefined) return command;
    }
    if (name === 'apply_patch' && typeof parsed.input === 'string') return parsed.input;
    if (name === 'apply_patch' && typeof parsed.patch === 'string') return parsed.patch;
  }
  return args;
}

/** `["bash","-lc","npm test"]` → `npm test`; a working directory other than cwd becomes `cd … && `. */
function renderShellCommand(
  command: unknown,
  workdir: string | undefined,
  cwd: string | undefined,
): string | undefined {
  let line: string | undefined;
  if (typeof command === 'string') line = command;
  else if (Array.isArray(command) && command.every((part) => typeof part === 'string')) {
    const parts = command as string[];
    const shell = parts[0] ?? '';
    if (
      parts.length >= 3 &&
      /(^|\/)(ba|z|da|k)?sh$/.test(shell) &&
      (parts[1] === '-lc' || parts[1] === '-c')
    ) {
      line = parts.slice(2).join(' ');
    } else {
      line = parts.map(quoteArg).join(' ');
    }
  }
  if (line === undefined) return undefined;
  if (workdir && workdir !== cwd) {
    const relative = cwd && workdir.startsWith(`${cwd}/`) ? workdir.slice(cwd.length + 1) : workdir;
    line = `cd ${quoteArg(relative)} && ${line}`;
  }
  return line;
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Headers Codex puts before a shell tool's output (shell_command / exec_command). */
const OUTPUT_HEADER_LINE =
  /^(Exit code: |Wall time: |Chunk ID: |Process exited with code |Process running with session ID |Original token count: |Total output lines: )/;

/**
 * Normalizes a tool output (plain string, `{output, metadata:{exit_code}}` JSON, content items, or
 * Codex's `Exit code: N … Output:` text) into its text and exit code.
 */
export function parseToolOutput(raw: unknown): { output: string; exitCode?: number } {
  if (raw === undefined || raw === null) return { output: '' };
  if (typeof raw === 'string') return parseToolOutputText(raw);
  if (Array.isArray(raw)) return { output: contentText(raw) };
  if (isRecord(raw)) {
    const metadata = isRecord(raw.metadata) ? raw.metadata : {};
    const exitCode = int(metadata.exit_code) ?? int(raw.exit_code);
    const inner = raw.output ?? raw.content;
    const parsed =
      typeof inner === 'string'
        ? parseToolOutputText(inner)
        : Array.isArray(inner)
          ? { output: contentText(inner) }
          : { output: JSON.stringify(raw) };
    const code = exitCode ?? parsed.exitCode;
    return code === undefined ? { output: parsed.output } : { output: parsed.output, exitCode: code };
  }
  return { output: String(raw) };
}

function parseToolOutputText(text: string): { output: string; exitCode?: number } {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    const parsed = tryJson(trimmed);
    if (isRecord(parsed) && (typeof parsed.output === 'string' || isRecord(parsed.metadata)))
      return parseToolOutput(parsed);
  }
  if (OUTPUT_HEADER_LINE.test(trimmed)) {
    const marker = trimmed.indexOf('\nOutput:');
    const header = marker >= 0 ? trimmed.slice(0, marker) : trimmed.split('\n', 6).join('\n');
    const body = marker >= 0 ? trimmed.slice(marker + '\nOutput:'.length).replace(/^\r?\n/, '') : trimmed;
    const code = /^(?:Exit code: |Process exited with code )(-?\d+)\s*$/m.exec(header);
    const exitCode = code?.[1] === undefined ? undefined : Number(code[1]);
    return exitCode === undefined ? { output: marker >= 0 ? body : text } : { output: body, exitCode };
  }
  return { output: text };
}

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

// ---------------------------------------------------------------------------------------------
// Small helpers

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function int(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function ts(timestamp: string | undefined): { timestamp?: string } {
  return timestamp === undefined ? {} : { timestamp };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
