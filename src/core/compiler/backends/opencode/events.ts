/**
 * The `opencode run --format json` event stream (opencode 1.18.33): one JSON object per stdout
 * line, `{type, timestamp, sessionID, ...}`. Types that matter: `text` (a complete text part; the
 * same part may be re-sent, the last copy wins), `tool_use` (a finished tool call), `step_finish`
 * and `error`. There is no terminal event; unknown types and non-JSON lines are tolerated.
 *
 * A run succeeded when the process exited 0, emitted no `error` event, and its final text (the
 * last text part, written after the last tool call) exists. Exit 0 alone proves nothing: opencode
 * also exits 0 when the model returned nothing, or when a refused permission ended the session.
 */
import { redactText } from '../../../redact/redact.js';
import { clip } from '../../normalize.js';
import type { RunOutcome } from '../../../process/run.js';

/** An `error` event, reduced to what a receipt may say. */
export interface StreamError {
  name: string;
  message: string;
  statusCode?: number;
}

/** A finished tool call. */
export interface StreamTool {
  tool: string;
  status: string;
  error?: string;
}

/** What the stream says. */
export interface OpencodeStream {
  /** Text parts by id, last copy of each. */
  texts: Map<string, string>;
  /** The last text part, when no tool call came after it. */
  finalText: string | undefined;
  errors: StreamError[];
  tools: StreamTool[];
  /** Count of each event type. */
  types: Record<string, number>;
  nonJsonLines: number;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Parses opencode's NDJSON stdout. Never throws. */
export function parseOpencodeStream(stdout: string): OpencodeStream {
  const stream: OpencodeStream = {
    texts: new Map(),
    finalText: undefined,
    errors: [],
    tools: [],
    types: {},
    nonJsonLines: 0,
  };
  let lastText: string | undefined;
  for (const line of stdout.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    let event: Record<string, unknown> | undefined;
    try {
      event = record(JSON.parse(trimmed));
    } catch {
      event = undefined;
    }
    if (!event || typeof event.type !== 'string') {
      stream.nonJsonLines++;
      continue;
    }
    const type = event.type;
    stream.types[type] = (stream.types[type] ?? 0) + 1;
    const part = record(event.part);
    if (type === 'text' && part) {
      const text = str(part.text) ?? '';
      stream.texts.set(str(part.id) ?? `#${stream.texts.size}`, text);
      lastText = text;
    } else if (type === 'tool_use' && part) {
      const state = record(part.state);
      stream.tools.push({
        tool: str(part.tool) ?? '?',
        status: str(state?.status) ?? '?',
        ...(str(state?.error) ? { error: clip(str(state?.error)!, 200) } : {}),
      });
      lastText = undefined;
    } else if (type === 'error') {
      const error = record(event.error);
      const data = record(error?.data);
      const message = str(data?.message) ?? str(error?.message) ?? str(error?.name) ?? 'unknown error';
      const statusCode = typeof data?.statusCode === 'number' ? data.statusCode : undefined;
      stream.errors.push({
        name: str(error?.name) ?? 'Error',
        message: clip(message, 300),
        ...(statusCode !== undefined ? { statusCode } : {}),
      });
    }
  }
  stream.finalText = lastText;
  return stream;
}

/** Why a run is unusable, in the terms of the seed's discard reasons. */
export interface RunFailure {
  reason: 'agent_invoke_failed' | 'agent_output_invalid';
  detail: string;
}

/** Removes ANSI colour codes (opencode colours its stderr) and redacts, for a receipt detail. */
export function cleanDiagnostic(text: string, max = 400): string {
  // eslint-disable-next-line no-control-regex -- ESC starts the ANSI colour sequences removed here
  const plain = text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
  return clip(redactText(plain).text, max);
}

/**
 * Judges a finished run: the final text on success, else the failure. `timeoutMs` is only used
 * to word the detail of a timeout.
 */
export function judgeRun(
  outcome: RunOutcome,
  stream: OpencodeStream,
  timeoutMs: number,
): { ok: true; text: string } | { ok: false; failure: RunFailure } {
  const fail = (reason: RunFailure['reason'], detail: string) => ({
    ok: false as const,
    failure: { reason, detail },
  });
  if (outcome.spawnError !== undefined)
    return fail(
      'agent_invoke_failed',
      `opencode could not be started: ${cleanDiagnostic(outcome.spawnError)}`,
    );
  if (outcome.timedOut) {
    const seen = stream.errors[0] ? `; last error: ${stream.errors.at(-1)!.message}` : '';
    return fail(
      'agent_invoke_failed',
      `opencode timed out after ${Math.round(timeoutMs / 1000)} s and was killed${seen}`,
    );
  }
  if (outcome.outputTooLarge)
    return fail('agent_invoke_failed', 'opencode output exceeded the capture limit and was stopped');
  if (stream.errors.length > 0) {
    const e = stream.errors[0]!;
    const more = stream.errors.length > 1 ? ` (+${stream.errors.length - 1} more)` : '';
    return fail(
      'agent_invoke_failed',
      `opencode error event: ${e.name}: ${cleanDiagnostic(e.message, 300)}${e.statusCode !== undefined ? ` (HTTP ${e.statusCode})` : ''}${more}`,
    );
  }
  if (outcome.exitCode !== 0) {
    const how =
      outcome.exitCode === undefined ? `signal ${outcome.signal ?? '?'}` : `exit=${outcome.exitCode}`;
    return fail('agent_invoke_failed', `opencode ${how}; stderr=${cleanDiagnostic(outcome.stderr)}`);
  }
  if (stream.finalText === undefined || stream.finalText.trim() === '') {
    const rejected = stream.tools.find((t) => t.status === 'error');
    const why = rejected
      ? `; tool ${rejected.tool} failed: ${rejected.error ?? 'error'}`
      : stream.texts.size > 0
        ? '; the session ended after a tool call'
        : '';
    return fail('agent_output_invalid', `opencode produced no final answer text${why}`);
  }
  return { ok: true, text: stream.finalText };
}
