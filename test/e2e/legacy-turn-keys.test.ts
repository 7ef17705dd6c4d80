/**
 * Turns spooled or queued by a version from before the agent seam (when every turn was a Codex
 * turn keyed on thread and turn id) are recognised by this one: never reviewed a second time.
 * The keys below are written literally, the way that version wrote them.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStatePaths } from '../../src/core/paths.js';
import { rolloutText } from '../fixtures/rollouts/rollout-builder.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

const SAMPLES = join(import.meta.dirname, '..', 'fixtures', 'codex-samples');
/** The Stop sample's turn, keyed as the previous version keyed it. */
const SAMPLE_KEY = '7d795d31b530aadb';

/** The previous version's key: sha1 of `{"thread_id":…,"turn_id":…}`, 16 hex. */
function previousKey(threadId: string, turnId: string): string {
  return createHash('sha1')
    .update(JSON.stringify({ thread_id: threadId, turn_id: turnId }))
    .digest('hex')
    .slice(0, 16);
}

function world() {
  const root = tempDir();
  const repo = join(root, 'repo');
  mkdirSync(repo);
  const home = join(root, 'home');
  const codexHome = join(root, 'codex');
  return {
    root,
    repo,
    home,
    codexHome,
    paths: resolveStatePaths({ cwd: repo, home }),
    env: {
      HOME: root,
      CODEX_HOME: codexHome,
      CODEX_SELF_EVOLUTION_HOME: home,
      CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: 'dummy',
    },
  };
}

function stopPayload(repo: string, overrides: Record<string, unknown> = {}): string {
  const sample = JSON.parse(readFileSync(join(SAMPLES, 'stop.json'), 'utf8')) as Record<string, unknown>;
  return JSON.stringify({ ...sample, cwd: repo, transcript_path: null, ...overrides });
}

function jsonFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
}

async function waitFor(probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!probe()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('turn keys of the previous version', () => {
  it('the Stop hook skips a turn the previous version queued', () => {
    const w = world();
    const keys = join(w.paths.suggestionsDir, '.keys');
    mkdirSync(keys, { recursive: true });
    writeFileSync(
      join(keys, SAMPLE_KEY),
      '{"suggestion_id":"0123456789abcdef","empty":true,"at":"2026-11-26T04:26:00Z"}',
    );
    const result = runCli(['stop-review', '--from-stdin'], { input: stopPayload(w.repo), env: w.env });
    expect(result).toEqual({ status: 0, stdout: '{"continue":true}\n', stderr: '' });
    expect(jsonFiles(w.paths.spoolDir)).toEqual([]);
    expect(readdirSync(keys)).toEqual([SAMPLE_KEY]);
  });

  it('a later Stop of a turn the previous version spooled refreshes that entry, reviewed once', async () => {
    const w = world();
    mkdirSync(w.paths.spoolDir, { recursive: true });
    const sample = JSON.parse(readFileSync(join(SAMPLES, 'stop.json'), 'utf8')) as Record<string, string>;
    // An entry exactly as the previous version spooled it (no agent field).
    writeFileSync(
      join(w.paths.spoolDir, `${SAMPLE_KEY}.json`),
      JSON.stringify({
        schema_version: 1,
        key: SAMPLE_KEY,
        session_id: sample.session_id,
        turn_id: sample.turn_id,
        cwd: w.repo,
        transcript_path: null,
        transcript_size: null,
        last_assistant_message: 'Hi! (fake model reply #1)',
        model: 'fake-model',
        stop_hook_active: false,
        reviewer_provider: null,
        spooled_at: '2026-11-26T04:26:00Z',
        attempts: 0,
        last_error: null,
        next_attempt_at: null,
        history: [{ at: '2026-11-26T04:26:00Z', event: 'spooled' }],
      }),
    );
    const result = runCli(['stop-review', '--from-stdin'], {
      input: stopPayload(w.repo, { stop_hook_active: true }),
      env: w.env,
    });
    expect(result.stdout).toBe('{"continue":true}\n');
    const log = readFileSync(join(w.home, 'logs', 'plugin.log'), 'utf8');
    expect(log).toContain(`"spooled":"${SAMPLE_KEY}"`);
    expect(log).toContain('"refreshed":true');
    // The worker reviews the one turn; its key is the previous version's.
    const keys = join(w.paths.suggestionsDir, '.keys');
    await waitFor(() => jsonFiles(w.paths.spoolDir).length === 0);
    expect(readdirSync(keys)).toEqual([SAMPLE_KEY]);
    // A further Stop of the same turn is recognised as reviewed.
    runCli(['stop-review', '--from-stdin'], { input: stopPayload(w.repo), env: w.env });
    expect(jsonFiles(w.paths.spoolDir)).toEqual([]);
    expect(readdirSync(keys)).toEqual([SAMPLE_KEY]);
  });

  it('import skips the turns the previous version queued and reviews only the others', () => {
    const w = world();
    const sessionId = '01a2161a-0000-7000-8000-0000000000aa';
    const dir = join(w.codexHome, 'sessions', '2026', '11', '20');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `rollout-2026-11-20T09-00-00-${sessionId}.jsonl`),
      rolloutText({
        cwd: w.repo,
        sessionId,
        startedAt: '2026-11-20T09:00:00.000Z',
        turns: [
          { user: 'look at the cart please', steps: [{ say: 'The cart is fine.' }] },
          { user: 'thanks. always use pnpm, never npm.', steps: [{ say: 'Noted.' }] },
        ],
      }),
    );
    // The builder's id of the first turn; the previous version queued that turn only.
    const firstTurn = `01a2161a-0001-7000-8000-${sessionId.slice(-12)}`;
    const keys = join(w.paths.suggestionsDir, '.keys');
    mkdirSync(keys, { recursive: true });
    writeFileSync(
      join(keys, previousKey(sessionId, firstTurn)),
      '{"suggestion_id":"0123456789abcdef","empty":true,"at":"2026-11-20T09:01:00Z"}',
    );
    const result = runCli(['import', '--all', '--json'], { env: w.env });
    expect(result.stderr).toBe('');
    const summary = JSON.parse(result.stdout) as { turns_reviewed: number; turns_already_reviewed: number };
    expect(summary).toMatchObject({ turns_reviewed: 1, turns_already_reviewed: 1 });
    expect(readdirSync(keys).sort()).toEqual(
      [
        previousKey(sessionId, firstTurn),
        previousKey(sessionId, `01a2161a-0002-7000-8000-${sessionId.slice(-12)}`),
      ].sort(),
    );
  });
});
