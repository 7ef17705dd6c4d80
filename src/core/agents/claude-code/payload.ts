/**
 * Claude Code hook payloads in neutral terms, and what its hooks print.
 *
 * Every payload carries `session_id`, `transcript_path` and `cwd`; `prompt_id` names the user
 * prompt a turn answers (absent before the first prompt). Claude Code fires Stop more than once for
 * one prompt: again after a hook blocked the stop (`stop_hook_active`), and while background
 * subagents are still running. So a turn is identified by its prompt: every Stop of one prompt
 * names the same turn, the spool entry of that turn is refreshed with the newest last assistant
 * message, and the turn is reviewed once. Only a payload without a `prompt_id` falls back on the
 * last assistant message (hashed) to tell its turns apart.
 *
 * Output: SessionStart and UserPromptSubmit take `hookSpecificOutput.additionalContext`, which
 * Claude Code replaces by a short preview and a file path once it passes about 10,000 characters,
 * so the context is cut well below that. The Stop and SessionEnd hooks print nothing: on Stop,
 * `additionalContext` or a `decision` would make Claude Code call the model again.
 *
 * Loaded by every hook: no imports beyond node and the types.
 */
import { createHash } from 'node:crypto';
import type { HookEvent, HookInput, StopTurn } from '../types.js';

/** Registry name of this agent (the hook commands' `--agent` value). */
export const AGENT = 'claude-code';

/**
 * Most characters of injected context. Claude Code persists hook output over ~10,000 characters
 * to a file and shows the model a 2 KB preview instead; this leaves room for the JSON around it.
 */
export const MAX_CONTEXT_CHARS = 9_000;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The neutral fields of any Claude Code hook payload. Never throws. */
export function hookInput(event: HookEvent, payload: Record<string, unknown>): HookInput {
  return {
    session: str(payload.session_id),
    cwd: str(payload.cwd),
    transcriptPath: str(payload.transcript_path),
    prompt: event === 'prompt-recall' ? str(payload.prompt) : undefined,
    model: str(payload.model),
  };
}

/** The turn id of a payload: its `prompt_id`, else a hash of the last assistant message. */
export function turnIdOf(payload: Record<string, unknown>): string {
  const promptId = str(payload.prompt_id);
  if (promptId) return promptId;
  const last = str(payload.last_assistant_message);
  return last ? `last:${createHash('sha1').update(last).digest('hex').slice(0, 16)}` : '';
}

/** The finished turn a Stop or SessionEnd payload describes. Never throws. */
export function stopTurn(payload: Record<string, unknown>): StopTurn {
  const input = hookInput('stop-review', payload);
  return {
    ...input,
    id: { agent: AGENT, session: input.session ?? 'unknown-session', turn: turnIdOf(payload) },
    lastAssistantMessage: str(payload.last_assistant_message),
    continued: payload.stop_hook_active === true,
    ...(backgroundRunning(payload) ? { settling: true } : {}),
  };
}

/** Whether the Stop payload says background tasks (subagents, shells) are still running. */
export function backgroundRunning(payload: Record<string, unknown>): boolean {
  const tasks = payload.background_tasks;
  return (
    Array.isArray(tasks) &&
    tasks.some(
      (t) => t !== null && typeof t === 'object' && (t as Record<string, unknown>).status === 'running',
    )
  );
}

const EVENT_NAMES: Partial<Record<HookEvent, string>> = {
  'session-start': 'SessionStart',
  'prompt-recall': 'UserPromptSubmit',
};

/**
 * A hook's stdout. With context, SessionStart and UserPromptSubmit print
 * `{"hookSpecificOutput":{"hookEventName":…,"additionalContext":…}}` (context cut to
 * {@link MAX_CONTEXT_CHARS} at a line end); everything else prints nothing, which Claude Code takes
 * as "no change" for every event.
 */
export function hookOutput(event: HookEvent, context?: string): string {
  const eventName = EVENT_NAMES[event];
  if (eventName === undefined || context === undefined || context.trim() === '') return '';
  return JSON.stringify({
    hookSpecificOutput: {
      hookEventName: eventName,
      additionalContext: clipContext(context, MAX_CONTEXT_CHARS),
    },
  });
}

/** `text` within `max` characters, cut at the last line end that fits (never inside a surrogate pair). */
export function clipContext(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = '\n[… cut to fit Claude Code’s hook output limit]';
  let cut = text.slice(0, Math.max(0, max - note.length));
  const newline = cut.lastIndexOf('\n');
  if (newline > cut.length / 2) cut = cut.slice(0, newline);
  else if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}${note}`;
}
