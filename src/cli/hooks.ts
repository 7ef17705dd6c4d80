/**
 * The hook fast path: `session-start | stop-review | prompt-recall | session-end --from-stdin
 * [--agent NAME]`.
 *
 * A hook never breaks the agent: whatever happens it exits 0 and prints output the agent accepts
 * (the agent's answer that changes nothing, `{"continue":true}` for Codex, when it has nothing
 * better), and logs one clear line saying why. It loads only what the hook needs: the adapter of
 * its own agent, no commander, no zod.
 */
import {
  describeError,
  loadAgentRegistry,
  logWarn,
  type AgentAdapter,
  type HookEvent,
} from '../core/index.js';
import type { HookContext, HookFlags, HookResult } from './hook-result.js';
import { finishInvocation, startInvocation, type Invocation } from './invocation.js';

export type { HookContext, HookFlags, HookResult } from './hook-result.js';

export function parseHookFlags(args: readonly string[]): HookFlags {
  const flags: HookFlags = { unknown: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => inline ?? args[++i];
    switch (name) {
      case '--from-stdin':
        break;
      case '--cwd':
        flags.cwd = value();
        break;
      case '--state-dir':
        flags.stateDir = value();
        break;
      case '--home':
        flags.home = value();
        break;
      case '--agent':
        flags.agent = value();
        break;
      case '--budget': {
        const n = Number(value());
        if (Number.isFinite(n) && n > 0) flags.budget = n;
        break;
      }
      default:
        flags.unknown.push(arg);
    }
  }
  return flags;
}

/** Most a hook reads from stdin; Codex payloads are a few KB. */
const MAX_STDIN = 8 * 1024 * 1024;
/** Codex writes the payload and closes stdin at once; never wait on a stuck pipe forever. */
const STDIN_TIMEOUT_MS = 10_000;

/** Reads stdin to EOF (empty when it is a TTY), bounded in size and time. */
export function readStdin(
  stream: NodeJS.ReadStream = process.stdin,
): Promise<{ text: string; truncated: boolean; timedOut: boolean }> {
  if (stream.isTTY) return Promise.resolve({ text: '', truncated: false, timedOut: false });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let settled = false;
    const done = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.removeAllListeners('data');
      stream.pause();
      resolve({ text: Buffer.concat(chunks).toString('utf8'), truncated, timedOut });
    };
    const timer = setTimeout(() => done(true), STDIN_TIMEOUT_MS);
    timer.unref();
    stream.on('data', (chunk: Buffer) => {
      if (size + chunk.length > MAX_STDIN) {
        truncated = true;
        chunks.push(chunk.subarray(0, MAX_STDIN - size));
        size = MAX_STDIN;
        done(false);
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('end', () => done(false));
    stream.on('error', () => done(false));
  });
}

/** Result of parsing a hook payload. */
export type PayloadResult = { ok: true; payload: Record<string, unknown> } | { ok: false; reason: string };

/** Parses a hook payload: empty → `{}`; invalid JSON or a non-object → a reason. */
export function parsePayload(text: string): PayloadResult {
  if (text.trim() === '') return { ok: true, payload: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      reason: `invalid codex payload: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, reason: 'codex payload is not an object' };
  return { ok: true, payload: value as Record<string, unknown> };
}

/**
 * The answer every hook event of every agent accepts and that changes nothing; printed when even
 * the agent's adapter could not be loaded.
 */
export const CONTINUE = '{"continue":true}';

type HookHandler = (ctx: HookContext) => Promise<HookResult>;

const handlers: Record<string, () => Promise<HookHandler>> = {
  'session-start': async () => (await import('./hooks/session-start.js')).sessionStartHook,
  'stop-review': async () => (await import('./hooks/stop-review.js')).stopReviewHook,
  'prompt-recall': async () => (await import('./hooks/prompt-recall.js')).promptRecallHook,
  'session-end': async () => (await import('./hooks/session-end.js')).sessionEndHook,
};

/** Runs one hook. Always resolves to exit code 0. */
export async function runHook(name: string, args: readonly string[]): Promise<number> {
  const flags = parseHookFlags(args);
  let invocation: Invocation;
  try {
    invocation = startInvocation({ hydrate: false, ...(flags.home ? { home: flags.home } : {}) });
  } catch {
    // Even the home could not be resolved: answer Codex and leave.
    process.stdout.write(`${CONTINUE}\n`);
    return 0;
  }
  invocation.extras.mode = 'from_stdin';
  let stdout: string;
  let agent: AgentAdapter | undefined;
  try {
    if (flags.unknown.length > 0)
      logWarn(`${name}: ignoring unknown flags`, { kind: name, flags: flags.unknown });
    const input = await readStdin();
    // The payload is read first: whatever the agent, the pipe is drained before anything else.
    const { DEFAULT_AGENT, loadAgent } = await loadAgentRegistry();
    agent = await loadAgent(flags.agent);
    stdout = agent.hookOutput(name as HookEvent);
    // The default agent's log lines stay as they were; other agents' hook calls name their agent.
    if (agent.name !== DEFAULT_AGENT) invocation.extras.agent = agent.name;
    if (input.truncated || input.timedOut) {
      invocation.extras.warning = input.truncated
        ? 'stdin larger than 8 MiB'
        : 'stdin not closed within 10 s';
    }
    const parsed = parsePayload(input.text);
    if (!parsed.ok) {
      invocation.extras.warning = parsed.reason;
      logWarn(`${name}: ${parsed.reason}; answered {"continue":true}`, { kind: name });
    } else {
      const handler = await handlers[name]!();
      const result = await handler({ invocation, flags, payload: parsed.payload, agent });
      stdout = result.stdout;
      Object.assign(invocation.extras, result.extras ?? {});
    }
  } catch (error) {
    invocation.extras.warning = describeError(error);
    logWarn(`${name} failed open: ${describeError(error)}`, { kind: name });
    stdout = agent ? agent.hookOutput(name as HookEvent) : CONTINUE;
  }
  if (stdout !== '') process.stdout.write(`${stdout}\n`);
  finishInvocation(invocation, name, 0);
  return 0;
}
