/**
 * The Stop hook: spool the finished turn durably, hand it to a detached review worker, return.
 *
 * Never blocks the stop (it prints the agent's no-op, `{"continue":true}` for Codex, which is not a
 * block), never reviews a session this tool started itself (recursion guard), refreshes rather
 * than duplicates a turn the agent continued after another hook blocked (`stop_hook_active`), and
 * starts a worker only when the bucket has none. The worker gets no stdio of ours, so the agent
 * never waits on it. The agent's adapter maps the payload to a neutral turn; the turn's key
 * comes from its identity (agent, session, turn).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  ensureRuntimeDirs,
  loadAgentRegistry,
  loadSpool,
  logWarn,
  readEnv,
  redactText,
  resolveStatePaths,
  spawnDetached,
  turnKey,
  utcNow,
  WORKER_ENV,
  type SpoolEntry,
  type StatePaths,
} from '../../core/index.js';
import type { HookContext, HookResult } from '../hook-result.js';

/** How long a turn spooled while the agent still works on it in the background waits for its last Stop. */
export const SETTLE_SECONDS = 300;

// Loaded with this module (as static imports were): the spool is written synchronously.
const { isLockLive, readSpoolEntry, spoolEntryPath, workerLockPath, writeSpoolEntry } = await loadSpool();
const { DEFAULT_AGENT } = await loadAgentRegistry();

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function stopReviewHook({
  invocation,
  flags,
  payload,
  agent,
}: HookContext): Promise<HookResult> {
  const noop = agent.hookOutput('stop-review');
  if (readEnv(WORKER_ENV) || readEnv('CODEX_SELF_EVOLUTION_DISABLE')) {
    return { stdout: noop, extras: { skipped: readEnv(WORKER_ENV) ? 'recursion_guard' : 'disabled' } };
  }
  const turn = agent.stopTurn(payload);
  const cwd = turn.cwd ?? flags.cwd ?? process.cwd();
  const stopHookActive = turn.continued;
  const paths = resolveStatePaths({
    cwd,
    ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
    home: invocation.home,
  });
  ensureRuntimeDirs(paths);

  const key = await turnKey(turn.id);
  const alreadyQueued = existsSync(join(paths.suggestionsDir, '.keys', key));
  if (alreadyQueued) {
    // Reviewed already (e.g. the first Stop of a turn another hook then continued): once is enough.
    return { stdout: noop, extras: { skipped: 'already_reviewed', stop_hook_active: stopHookActive } };
  }
  // Only a regular file is a transcript: a FIFO or device is never opened (it would block the
  // worker), and the reason stays on the turn.
  const givenPath = turn.transcriptPath ?? null;
  const notRegular = givenPath ? nonRegularKind(givenPath) : undefined;
  const transcriptPath = notRegular ? null : givenPath;
  const previous = readSpoolEntry(spoolEntryPath(paths, key));
  // A Stop that fires while the agent still works on the turn in the background waits a while for
  // the Stop that ends the turn, so that the turn is reviewed once, whole.
  const settleUntil = turn.settling ? new Date(Date.now() + SETTLE_SECONDS * 1000).toISOString() : undefined;
  const entry: SpoolEntry = {
    schema_version: 1,
    key,
    // Codex entries keep the shape of the versions before agents had names.
    ...(turn.id.agent !== DEFAULT_AGENT ? { agent: turn.id.agent } : {}),
    session_id: turn.id.session,
    turn_id: turn.id.turn,
    cwd,
    transcript_path: transcriptPath,
    transcript_size: transcriptPath ? sizeOf(transcriptPath) : null,
    last_assistant_message: redactText(turn.lastAssistantMessage ?? '').text,
    model: turn.model ?? null,
    stop_hook_active: stopHookActive,
    reviewer_provider: str(payload.reviewer_provider) ?? null,
    ...(payload.provider_stub_response !== undefined
      ? { provider_stub_response: payload.provider_stub_response }
      : {}),
    spooled_at: previous?.spooled_at ?? utcNow(),
    attempts: previous?.attempts ?? 0,
    last_error: previous?.last_error ?? null,
    next_attempt_at: settleUntil ?? (previous?.settling ? null : (previous?.next_attempt_at ?? null)),
    ...(settleUntil ? { settling: true } : {}),
    history: [
      ...(previous?.history ?? []),
      { at: utcNow(), event: previous ? 'refreshed by a later Stop of the same turn' : 'spooled' },
      ...(settleUntil
        ? [{ at: utcNow(), event: `background work still running: due at ${settleUntil}` }]
        : []),
      ...(notRegular
        ? [
            {
              at: utcNow(),
              event: `transcript_path is not a regular file (${notRegular}); reviewing the last message only`,
            },
          ]
        : []),
    ].slice(-20),
  };
  writeSpoolEntry(paths, entry);
  const worker = isLockLive(workerLockPath(paths)) ? 'running' : await startWorker(paths);
  return {
    stdout: noop,
    extras: {
      spooled: key,
      worker,
      stop_hook_active: stopHookActive,
      refreshed: previous !== undefined,
      ...(settleUntil ? { settling: true } : {}),
    },
  };
}

/** The kind of a path that exists but is not a regular file (stat never blocks), else undefined. */
function nonRegularKind(file: string): string | undefined {
  try {
    const stat = statSync(file);
    if (stat.isFile()) return undefined;
    return stat.isFIFO()
      ? 'fifo'
      : stat.isCharacterDevice() || stat.isBlockDevice()
        ? 'device'
        : stat.isSocket()
          ? 'socket'
          : stat.isDirectory()
            ? 'directory'
            : 'other';
  } catch {
    return undefined;
  }
}

function sizeOf(file: string): number | null {
  try {
    return statSync(file).size;
  } catch {
    return null;
  }
}

/** Starts `stop-review --drain` detached, with no stdio shared with Codex. */
async function startWorker(paths: StatePaths): Promise<'started' | 'spawn_failed'> {
  const cli = process.argv[1];
  if (!cli) return 'spawn_failed';
  try {
    await spawnDetached(
      [
        process.execPath,
        cli,
        'stop-review',
        '--drain',
        '--cwd',
        paths.cwd,
        '--state-dir',
        paths.stateDir,
        '--home',
        paths.home,
      ],
      {
        cwd: paths.stateDir,
        env: { ...process.env, [WORKER_ENV]: '1' },
        onError: (error) =>
          logWarn(
            `stop-review: could not start the review worker: ${error.message}; the turn stays spooled`,
            { kind: 'stop-review' },
          ),
      },
    );
    return 'started';
  } catch (error) {
    logWarn(
      `stop-review: could not start the review worker: ${error instanceof Error ? error.message : String(error)}; the turn stays spooled`,
      { kind: 'stop-review' },
    );
    return 'spawn_failed';
  }
}
