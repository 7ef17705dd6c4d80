/**
 * The Stop hook: spool the finished turn durably, hand it to a detached review worker, return.
 *
 * Never blocks the stop (it prints `{"continue":true}`, which is not a block), never reviews a
 * Codex session this tool started itself (recursion guard), refreshes rather than duplicates a
 * turn that Codex continued after another hook blocked (`stop_hook_active`), and starts a worker
 * only when the bucket has none. The worker gets no stdio of ours, so Codex never waits on it.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { utcNow } from '../../core/constants.js';
import { readEnv } from '../../core/env.js';
import { logWarn } from '../../core/log.js';
import { ensureRuntimeDirs, resolveStatePaths, type StatePaths } from '../../core/paths.js';
import { redactText } from '../../core/review/redact.js';
import {
  isLockLive,
  readSpoolEntry,
  spoolEntryPath,
  turnIdempotencyKey,
  workerLockPath,
  writeSpoolEntry,
  type SpoolEntry,
} from '../../core/review/spool.js';
import { CONTINUE, type HookContext, type HookResult } from '../hooks.js';

/** Set in the environment of every process this tool starts; a Stop hook seeing it does nothing. */
export const WORKER_ENV = 'CODEX_SELF_EVOLUTION_WORKER';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function stopReviewHook({ invocation, flags, payload }: HookContext): Promise<HookResult> {
  if (readEnv(WORKER_ENV) || readEnv('CODEX_SELF_EVOLUTION_DISABLE')) {
    return { stdout: CONTINUE, extras: { skipped: readEnv(WORKER_ENV) ? 'recursion_guard' : 'disabled' } };
  }
  const cwd = str(payload.cwd) ?? flags.cwd ?? process.cwd();
  const sessionId = str(payload.session_id) ?? str(payload.thread_id) ?? 'unknown-thread';
  const turnId = str(payload.turn_id) ?? '';
  const stopHookActive = payload.stop_hook_active === true;
  const paths = resolveStatePaths({
    cwd,
    ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
    home: invocation.home,
  });
  ensureRuntimeDirs(paths);

  const key = turnIdempotencyKey(sessionId, turnId);
  const alreadyQueued = existsSync(join(paths.suggestionsDir, '.keys', key));
  if (alreadyQueued) {
    // Reviewed already (e.g. the first Stop of a turn another hook then continued): once is enough.
    return { stdout: CONTINUE, extras: { skipped: 'already_reviewed', stop_hook_active: stopHookActive } };
  }
  // Only a regular file is a transcript: a FIFO or device is never opened (it would block the
  // worker), and the reason stays on the turn.
  const givenPath = str(payload.transcript_path) ?? null;
  const notRegular = givenPath ? nonRegularKind(givenPath) : undefined;
  const transcriptPath = notRegular ? null : givenPath;
  const previous = readSpoolEntry(spoolEntryPath(paths, key));
  const entry: SpoolEntry = {
    schema_version: 1,
    key,
    session_id: sessionId,
    turn_id: turnId,
    cwd,
    transcript_path: transcriptPath,
    transcript_size: transcriptPath ? sizeOf(transcriptPath) : null,
    last_assistant_message: redactText(str(payload.last_assistant_message) ?? '').text,
    model: str(payload.model) ?? null,
    stop_hook_active: stopHookActive,
    reviewer_provider: str(payload.reviewer_provider) ?? null,
    ...(payload.provider_stub_response !== undefined
      ? { provider_stub_response: payload.provider_stub_response }
      : {}),
    spooled_at: previous?.spooled_at ?? utcNow(),
    attempts: previous?.attempts ?? 0,
    last_error: previous?.last_error ?? null,
    next_attempt_at: previous?.next_attempt_at ?? null,
    history: [
      ...(previous?.history ?? []),
      { at: utcNow(), event: previous ? 'refreshed by a later Stop of the same turn' : 'spooled' },
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
  const worker = isLockLive(workerLockPath(paths)) ? 'running' : startWorker(paths);
  return {
    stdout: CONTINUE,
    extras: { spooled: key, worker, stop_hook_active: stopHookActive, refreshed: previous !== undefined },
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
function startWorker(paths: StatePaths): 'started' | 'spawn_failed' {
  const cli = process.argv[1];
  if (!cli) return 'spawn_failed';
  try {
    const child = spawn(
      process.execPath,
      [
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
        detached: true,
        stdio: 'ignore',
        cwd: paths.stateDir,
        env: { ...process.env, [WORKER_ENV]: '1' },
      },
    );
    child.on('error', (error) =>
      logWarn(`stop-review: could not start the review worker: ${error.message}; the turn stays spooled`, {
        kind: 'stop-review',
      }),
    );
    child.unref();
    return 'started';
  } catch (error) {
    logWarn(
      `stop-review: could not start the review worker: ${error instanceof Error ? error.message : String(error)}; the turn stays spooled`,
      { kind: 'stop-review' },
    );
    return 'spawn_failed';
  }
}
