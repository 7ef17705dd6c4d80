/**
 * The `codex` reviewer with the real Codex CLI (@openai/codex 0.169.0 in node_modules) against
 * a fake Responses API on 127.0.0.1: a Stop hook turn of a real `codex exec` session, with our
 * hooks installed and trusted, is reviewed by a second, invisible `codex exec` into the queue;
 * and a codex that is missing, not logged in, hangs or answers garbage leaves the turn spooled
 * with its reason.
 */
import { execa } from 'execa';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStatePaths } from '../../src/core/paths.js';
import { reviewsTodayStatus } from '../../src/core/status.js';
import {
  CODEX_BIN,
  failedEntry,
  jsonFiles,
  NODE_BIN,
  startSilentServer,
  stopHookFixture,
  waitFor,
  walk,
  writeCodexConfig,
} from '../helpers/agent-reviewers.js';
import {
  responsesText,
  startFakeResponsesModel,
  type FakeResponsesTurn,
} from '../helpers/fake-responses-model.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

const PREFERENCE = 'From now on always use pnpm, never npm, in this repository.';
/** A marker of prompts/reviewer.md: the review request carries it as its instructions. */
const REVIEWER_MARKER = 'Most turns teach nothing.';
const REVIEW_ANSWER = JSON.stringify({
  memory_updates: [
    {
      summary: 'Use pnpm, never npm',
      // Nulls are what the strict output schema makes a model write for unused fields.
      details: {
        action: 'add',
        scope: 'global',
        old_summary: null,
        content: 'Always use pnpm, never npm, in this repository.',
        source_paths: [],
        evidence: { turn: null, quote: 'always use pnpm, never npm' },
      },
      confidence: 0.9,
    },
  ],
  recall_candidate: [],
  skill_action: [],
});

const isReview = (body: Record<string, unknown>) => responsesText(body).includes(REVIEWER_MARKER);

interface Sandbox {
  root: string;
  repo: string;
  home: string;
  codexHome: string;
  env: Record<string, string>;
}

function sandbox(baseURL: string, extraEnv: Record<string, string> = {}): Sandbox {
  const root = tempDir('csep-rev-codex-');
  const repo = join(root, 'repo');
  const home = join(root, 'csep-home');
  const codexHome = join(root, 'codex-home');
  const userHome = join(root, 'user-home');
  mkdirSync(repo);
  mkdirSync(userHome);
  writeCodexConfig(codexHome, baseURL);
  const env = {
    PATH: `${NODE_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: userHome,
    SHELL: '/bin/sh',
    CODEX_HOME: codexHome,
    CODEX_SELF_EVOLUTION_HOME: home,
    CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: 'codex',
    ...extraEnv,
  };
  return { root, repo, home, codexHome, env };
}

const stopHook = (box: Sandbox) => stopHookFixture(box.env, box.repo, box.home);

describe('the codex reviewer (real codex exec 0.169, fake model)', () => {
  it('reviews a Stop hook turn of a real Codex session into the queue, invisibly, no recursion', async () => {
    const model = await startFakeResponsesModel((body): FakeResponsesTurn =>
      isReview(body) ? { text: REVIEW_ANSWER } : { text: 'Done.' },
    );
    try {
      const box = sandbox(model.baseURL);
      // Our hooks are installed and trusted first: if they fired inside the review, they would run.
      const installed = runCli(['install', '--trust'], { env: box.env, cwd: box.repo });
      expect(installed.status, installed.stderr).toBe(0);

      const session = await execa(CODEX_BIN, ['exec', '--skip-git-repo-check', PREFERENCE], {
        cwd: box.repo,
        env: box.env,
        extendEnv: false,
        stdin: 'ignore',
        reject: false,
        timeout: 120_000,
      });
      expect(session.exitCode, session.stderr).toBe(0);
      expect(session.stderr).toContain('hook: Stop Completed');

      const paths = resolveStatePaths({ cwd: box.repo, home: box.home });
      await waitFor(
        'the codex review to reach the queue',
        () => jsonFiles(paths.queue.pending).length > 0 && jsonFiles(paths.spoolDir).length === 0,
      );
      await waitFor('the worker to finish', () => !readdirSync(paths.reviewDir).includes('worker.lock'));

      const [envelopeFile] = jsonFiles(paths.queue.pending);
      const envelope = JSON.parse(readFileSync(join(paths.queue.pending, envelopeFile!), 'utf8')) as {
        reviewer_provider: string;
        reviewer_provider_source: string;
        suggestions: Array<{ family: string; summary: string; details: Record<string, unknown> }>;
      };
      expect(envelope.reviewer_provider).toBe('codex');
      expect(envelope.reviewer_provider_source).toBe('env:CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER');
      expect(envelope.suggestions).toHaveLength(1);
      expect(envelope.suggestions[0]).toMatchObject({
        family: 'memory_updates',
        summary: 'Use pnpm, never npm',
      });
      expect(envelope.suggestions[0]!.details).not.toHaveProperty('old_summary');

      // Two model calls: the session's turn and the review. The review saw the user's words,
      // under our reviewer prompt instead of Codex's coding-agent instructions, with the schema.
      expect(model.requests).toHaveLength(2);
      const review = model.requests.find(isReview)!;
      expect(responsesText(review)).toContain(PREFERENCE);
      expect(responsesText(review)).not.toContain('You are a coding agent running in the Codex CLI');
      expect((review.text as { format?: { type?: string } }).format?.type).toBe('json_schema');
      expect(review.reasoning).toMatchObject({ effort: 'low' });
      const tools = ((review.tools as Array<{ name?: string }> | undefined) ?? []).map((t) => t.name);
      expect(tools).not.toContain('exec_command');
      expect(tools).not.toContain('shell');

      // No recursion: one turn spooled and queued, one bucket; no rollout of the review.
      expect(readdirSync(join(paths.suggestionsDir, '.keys'))).toHaveLength(1);
      expect(readdirSync(join(box.home, 'projects'))).toHaveLength(1);
      const rollouts = walk(join(box.codexHome, 'sessions')).filter((f) => f.endsWith('.jsonl'));
      expect(rollouts).toHaveLength(1);
      expect(readFileSync(join(box.codexHome, 'sessions', rollouts[0]!), 'utf8')).not.toContain(
        REVIEWER_MARKER,
      );
      // Today's paid reviews are counted for status and the daily cap.
      expect(reviewsTodayStatus(box.home, 200)).toMatchObject({
        total: 1,
        by_reviewer: { codex: 1 },
        max_per_day: 200,
        cap_reached: false,
      });
    } finally {
      await model.close();
    }
  }, 180_000);

  it('a missing codex leaves the turn spooled with what to do', async () => {
    const box = sandbox('http://127.0.0.1:9/v1', { PATH: '/usr/bin:/bin' });
    const entry = await failedEntry(await stopHook(box));
    expect(entry.last_error).toMatch(
      /ProviderConfigError: the codex reviewer needs the codex CLI, which was not found/,
    );
    expect(entry.last_error).toContain('[review.codex] path');
  });

  it('a codex that is not logged in leaves the turn spooled with what to do', async () => {
    const model = await startFakeResponsesModel(() => ({
      status: 401,
      body: '{"error":{"message":"Missing bearer authentication in header","type":"invalid_request_error"}}',
    }));
    try {
      const entry = await failedEntry(await stopHook(sandbox(model.baseURL)));
      expect(entry.last_error).toMatch(/ProviderConfigError: the codex reviewer is not logged in/);
      expect(entry.last_error).toContain('codex login');
      expect(model.requests).toHaveLength(1);
    } finally {
      await model.close();
    }
  });

  it('a codex without any credential is reported as not logged in before anything is spent', async () => {
    const box = sandbox('http://127.0.0.1:9/v1');
    writeFileSync(join(box.codexHome, 'config.toml'), 'model = "gpt-5.4-mini"\n');
    const entry = await failedEntry(await stopHook(box));
    expect(entry.last_error).toMatch(/ProviderConfigError: the codex reviewer is not logged in/);
    expect(entry.last_error).toContain('(no Codex credentials found); run `codex login`');
  });

  it('a codex that hangs past the timeout is killed and the turn stays spooled', async () => {
    const silent = await startSilentServer();
    const box = sandbox(`http://127.0.0.1:${silent.port}/v1`);
    mkdirSync(box.home, { recursive: true });
    writeFileSync(
      join(box.home, 'config.toml'),
      'schema_version = 2\n\n[review.codex]\ntimeout_seconds = 2\n',
    );
    const entry = await failedEntry(await stopHook(box));
    expect(entry.last_error).toMatch(
      /ProviderTimeoutError: the codex review did not finish within 2 s and was killed/,
    );
    expect(silent.connections()).toBeGreaterThan(0);
    // The process group was killed: its connection to the model is gone.
    await waitFor('the killed codex to drop its connection', () => silent.open() === 0, 10_000);
  });

  it('a codex that answers garbage leaves the turn spooled as a bad response', async () => {
    const model = await startFakeResponsesModel(() => ({
      text: 'I looked at the session and it seems fine to me.',
    }));
    try {
      const box = sandbox(model.baseURL);
      const paths = await stopHook(box);
      const entry = await failedEntry(paths);
      expect(entry.last_error).toMatch(
        /ProviderBadResponseError: codex answered something that is not reviewer JSON/,
      );
      expect(readdirSync(paths.reviewFailedDir).length).toBe(1);
    } finally {
      await model.close();
    }
  });

  it('a rate-limited codex leaves the turn spooled for a later retry', async () => {
    const model = await startFakeResponsesModel(() => ({
      status: 429,
      body: '{"error":{"message":"Rate limit reached","type":"rate_limit_exceeded"}}',
    }));
    try {
      const entry = await failedEntry(await stopHook(sandbox(model.baseURL)));
      expect(entry.last_error).toMatch(
        /ProviderRateLimitError: the codex reviewer hit a rate or usage limit/,
      );
      expect(entry.next_attempt_at).not.toBeNull();
    } finally {
      await model.close();
    }
  });
});
