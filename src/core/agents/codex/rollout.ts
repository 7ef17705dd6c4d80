/**
 * Reader of Codex rollout files (`$CODEX_HOME/sessions/…/rollout-*.jsonl`) into the neutral
 * transcript the reviewer reads.
 *
 * A rollout line is `{timestamp, ordinal?, type, payload}`. The same user and assistant text is
 * written twice (as a `response_item` message and as an `event_msg`), so one source is chosen per
 * file, deterministically: `response_item` messages when the file has any, else `event_msg`
 * `item_completed` items, else the legacy `user_message` / `agent_message` events.
 */
import { readTranscriptText, SHELL_TOOL_NAMES } from '../transcript-file.js';
import type { ReadTranscript, Transcript, TranscriptEntry, TranscriptTurn } from '../types.js';

export { TranscriptReadError, type TranscriptReadFailure } from '../transcript-file.js';

/** Options of {@link readRollout}. */
export interface ReadRolloutOptions {
  /** Read at most this many bytes from the end of the file (default 4 MiB). */
  maxBytes?: number;
}

/** A {@link Transcript} read from disk, with what was left unread. */
export type RolloutTranscript = ReadTranscript;

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
  const file = await readTranscriptText(path, options.maxBytes);
  const transcript = file.truncated
    ? parseRollout(file.text, { headLine: file.headLine })
    : parseRollout(file.text);
  return { ...transcript, truncated: file.truncated, totalBytes: file.totalBytes, bytesRead: file.bytesRead };
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
