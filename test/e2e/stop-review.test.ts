import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveStatePaths, type StatePaths } from '../../src/core/paths.js';
import { rolloutText } from '../fixtures/rollouts/rollout-builder.js';
import { PLANTED_SECRETS, assertNoSecrets } from '../fixtures/secrets/corpus.js';
import {
  reply,
  serverError,
  startFakeProviderServer,
  type FakeProviderServer,
} from '../helpers/fake-provider-server.js';
import { runCli, runCliAsync } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

const SAMPLES = join(import.meta.dirname, '..', 'fixtures', 'codex-samples');

const GOOD_REVIEW = JSON.stringify({
  memory_updates: [
    {
      summary: 'Use pnpm',
      details: {
        action: 'add',
        scope: 'user',
        content: 'Always use pnpm, never npm, in this repository.',
        evidence: { turn: 0, quote: 'always use pnpm' },
      },
      confidence: 0.9,
    },
  ],
  recall_candidate: [],
  skill_action: [],
});

let server: FakeProviderServer;
beforeEach(async () => {
  server = await startFakeProviderServer();
});
afterEach(async () => {
  await server.close();
});

interface World {
  root: string;
  home: string;
  repo: string;
  env: Record<string, string>;
  paths: StatePaths;
}

function world(): World {
  const root = tempDir();
  const home = join(root, 'home');
  const repo = join(root, 'repo');
  mkdirSync(repo);
  const env = {
    HOME: root,
    CODEX_SELF_EVOLUTION_HOME: home,
    CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: 'openai-compatible',
    OPENAI_API_KEY: 'sk-test-key-for-the-fake-server',
    OPENAI_BASE_URL: server.urls.openai,
    CODEX_SELF_EVOLUTION_REVIEWER_TIMEOUT: '5',
  };
  return { root, home, repo, env, paths: resolveStatePaths({ cwd: repo, home }) };
}

/** A rollout where the user states a preference, and secrets appear in prompts and tool output. */
function writeTranscript(w: World, name = 'rollout.jsonl', extraUserText = ''): string {
  const secrets = PLANTED_SECRETS.map((s) => s.context).join('\n');
  const file = join(w.root, name);
  writeFileSync(
    file,
    rolloutText({
      cwd: w.repo,
      turns: [
        {
          user: `Please always use pnpm in this repo, never npm. ${extraUserText}`,
          steps: [
            { sh: 'cat .env', exit: 0, out: secrets },
            { say: 'Understood: I will use pnpm from now on.' },
          ],
        },
      ],
    }),
  );
  return file;
}

function stopPayload(w: World, transcriptPath: string, overrides: Record<string, unknown> = {}): string {
  const sample = JSON.parse(readFileSync(join(SAMPLES, 'stop.json'), 'utf8')) as Record<string, unknown>;
  return JSON.stringify({ ...sample, cwd: w.repo, transcript_path: transcriptPath, ...overrides });
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function files(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
}

function allText(dir: string): string {
  let out = '';
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out += `\n${readFileSync(p, 'utf8')}`;
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

describe('stop-review --from-stdin (the Codex Stop hook)', () => {
  it('spools the turn, returns {"continue":true}, and the detached worker queues the suggestions', async () => {
    server.setFallback(reply(GOOD_REVIEW));
    const w = world();
    const transcript = writeTranscript(w);
    const result = runCli(['stop-review', '--from-stdin'], { input: stopPayload(w, transcript), env: w.env });
    expect(result).toEqual({ status: 0, stdout: '{"continue":true}\n', stderr: '' });

    const pending = await waitFor(() =>
      files(w.paths.queue.pending).length > 0 ? files(w.paths.queue.pending) : undefined,
    );
    expect(pending).toHaveLength(1);
    const envelope = JSON.parse(readFileSync(join(w.paths.queue.pending, pending[0]!), 'utf8')) as Record<
      string,
      any
    >;
    expect(envelope.state).toBe('pending');
    expect(envelope.thread_id).toBe('01a2161a-5bab-7220-9193-325a99a88743');
    expect(envelope.suggestions).toHaveLength(1);
    expect(envelope.suggestions[0].details.content).toBe('Always use pnpm, never npm, in this repository.');
    await waitFor(() => (files(w.paths.spoolDir).length === 0 ? true : undefined));

    // The reviewer saw the user's words once, and no secret.
    expect(server.requests).toHaveLength(1);
    const body = server.requests[0]!.rawBody;
    expect(body).toContain('always use pnpm in this repo');
    expect(body.split('always use pnpm in this repo').length - 1).toBe(1);
    expect(assertNoSecrets(body)).toEqual([]);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-test-key-for-the-fake-server');
    // No secret in any state file or log.
    expect(assertNoSecrets(allText(w.home))).toEqual([]);
  });

  it('keeps the turn spooled with its reason when the provider is down, and reviews it once it is back', async () => {
    server.setFallback(serverError());
    const w = world();
    const transcript = writeTranscript(w);
    runCli(['stop-review', '--from-stdin'], { input: stopPayload(w, transcript), env: w.env });
    const entry = await waitFor(() => {
      const [name] = files(w.paths.spoolDir);
      if (!name) return undefined;
      const data = JSON.parse(readFileSync(join(w.paths.spoolDir, name), 'utf8')) as Record<string, any>;
      return data.last_error ? data : undefined;
    });
    // A 5xx outage waits without using up the turn's attempts.
    expect(entry.attempts).toBe(0);
    expect(entry.waiting?.reason).toBe('provider_unavailable');
    expect(entry.last_error).toMatch(/500/);
    expect(entry.next_attempt_at).not.toBeNull();
    expect(files(w.paths.queue.pending)).toEqual([]);

    server.setFallback(reply(GOOD_REVIEW));
    const drained = await runCliAsync(['stop-review', '--drain', '--retry-now', '--cwd', w.repo], {
      env: w.env,
    });
    expect(drained.status).toBe(0);
    expect(JSON.parse(drained.stdout)).toMatchObject({ reviewed: 1, retried: 0 });
    expect(files(w.paths.queue.pending)).toHaveLength(1);
    expect(files(w.paths.spoolDir)).toEqual([]);
  });

  it('respects stop_hook_active: a turn already reviewed is not reviewed again', async () => {
    server.setFallback(reply(GOOD_REVIEW));
    const w = world();
    const transcript = writeTranscript(w);
    runCli(['stop-review', '--from-stdin'], { input: stopPayload(w, transcript), env: w.env });
    await waitFor(() => (files(w.paths.queue.pending).length > 0 ? true : undefined));
    await waitFor(() => (files(w.paths.spoolDir).length === 0 ? true : undefined));
    const again = runCli(['stop-review', '--from-stdin'], {
      input: stopPayload(w, transcript, { stop_hook_active: true }),
      env: w.env,
    });
    expect(again).toEqual({ status: 0, stdout: '{"continue":true}\n', stderr: '' });
    expect(files(w.paths.spoolDir)).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('does nothing inside a process this tool started (recursion guard)', () => {
    const w = world();
    const transcript = writeTranscript(w);
    const result = runCli(['stop-review', '--from-stdin'], {
      input: stopPayload(w, transcript),
      env: { ...w.env, CODEX_SELF_EVOLUTION_WORKER: '1' },
    });
    expect(result).toEqual({ status: 0, stdout: '{"continue":true}\n', stderr: '' });
    expect(existsSync(w.paths.stateDir)).toBe(false);
  });

  it.each([
    ['garbage', '{not json'],
    ['an array', '[]'],
  ])('answers {"continue":true} for %s on stdin and spools nothing', (_n, input) => {
    const w = world();
    const result = runCli(['stop-review', '--from-stdin'], { input, env: w.env });
    expect(result).toEqual({ status: 0, stdout: '{"continue":true}\n', stderr: '' });
    expect(existsSync(w.paths.stateDir)).toBe(false);
  });

  it('reviews from the last assistant message when the transcript is missing, and says so', async () => {
    server.setFallback(reply(GOOD_REVIEW));
    const w = world();
    const payloadFile = join(w.root, 'payload.json');
    writeFileSync(payloadFile, stopPayload(w, join(w.root, 'missing.jsonl')));
    const result = await runCliAsync(['stop-review', '--hook-payload', payloadFile], { env: w.env });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as Record<string, any>;
    expect(out).toMatchObject({
      hook: 'Stop',
      reviewer_provider: 'openai-compatible',
      suggestion_count: 1,
      suggestion_families: { memory_updates: 1, recall_candidate: 0, skill_action: 0 },
    });
    expect(out.notes.join('\n')).toMatch(/transcript unavailable/);
    expect(existsSync(out.pending_suggestion_path)).toBe(true);
  });

  it('keeps the raw answer under review/failed/ when the reviewer answers garbage, and the turn stays spooled', async () => {
    server.setFallback(reply('I am sorry, I cannot produce JSON today.'));
    const w = world();
    const transcript = writeTranscript(w);
    runCli(['stop-review', '--from-stdin'], { input: stopPayload(w, transcript), env: w.env });
    await waitFor(() =>
      existsSync(w.paths.reviewFailedDir) && readdirSync(w.paths.reviewFailedDir).length > 0
        ? true
        : undefined,
    );
    const [dump] = readdirSync(w.paths.reviewFailedDir);
    expect(readFileSync(join(w.paths.reviewFailedDir, dump!), 'utf8')).toContain(
      'I am sorry, I cannot produce JSON today.',
    );
    await waitFor(() => {
      const [name] = files(w.paths.spoolDir);
      return name &&
        (JSON.parse(readFileSync(join(w.paths.spoolDir, name), 'utf8')) as { last_error?: string }).last_error
        ? true
        : undefined;
    });
    expect(files(w.paths.queue.pending)).toEqual([]);
    // Let the detached worker finish (it releases its lock last) before the temp dir goes.
    await waitFor(() => (existsSync(join(w.paths.reviewDir, 'worker.lock')) ? undefined : true));
  });
});

describe('a review worker killed mid-review loses nothing', () => {
  it.each(['review:after-claim', 'review:after-enqueue'])(
    'kill -9 at %s, then the next drain finishes exactly once',
    async (point) => {
      server.setFallback(reply(GOOD_REVIEW));
      const w = world();
      const transcript = writeTranscript(w);
      // Hold the bucket's worker lock with a live pid (ours) so the hook only spools.
      mkdirSync(w.paths.reviewDir, { recursive: true });
      writeFileSync(join(w.paths.reviewDir, 'worker.lock'), `${process.pid}\n`);
      const spooled = runCli(['stop-review', '--from-stdin'], {
        input: stopPayload(w, transcript),
        env: w.env,
      });
      expect(spooled.status).toBe(0);
      expect(files(w.paths.spoolDir)).toHaveLength(1);
      unlinkSync(join(w.paths.reviewDir, 'worker.lock'));

      const crashed = await runCliAsync(['stop-review', '--drain', '--cwd', w.repo], {
        env: { ...w.env, CODEX_SELF_EVOLUTION_TEST_CRASH_AT: point },
      });
      expect(crashed.status).toBeNull();
      expect(files(w.paths.spoolDir)).toHaveLength(1);
      expect(files(w.paths.queue.pending)).toHaveLength(point === 'review:after-enqueue' ? 1 : 0);

      // The dead worker's lock is stale; the next drain takes over and completes the turn once.
      const finished = await runCliAsync(['stop-review', '--drain', '--cwd', w.repo], { env: w.env });
      expect(finished.status).toBe(0);
      expect(files(w.paths.spoolDir)).toEqual([]);
      expect(files(w.paths.queue.pending)).toHaveLength(1);
      const envelope = JSON.parse(
        readFileSync(join(w.paths.queue.pending, files(w.paths.queue.pending)[0]!), 'utf8'),
      ) as { suggestions: unknown[] };
      expect(envelope.suggestions).toHaveLength(1);
    },
  );
});
