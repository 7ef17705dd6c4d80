/**
 * The `claude` reviewer with the real Claude Code CLI (@anthropic-ai/claude-code 2.1.332 in
 * node_modules) against the copied harness's fake Messages API on 127.0.0.1: a Stop hook turn
 * is reviewed by `claude -p` into the queue with no tools, no hooks and no session left; a claude
 * that is missing, not logged in, hangs or answers garbage leaves the turn spooled with its reason.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  failedEntry,
  NODE_BIN,
  queuedEnvelope,
  REVIEW_ANSWER,
  startHarnessServer,
  startSilentServer,
  stopHookFixture,
  walk,
} from '../helpers/agent-reviewers.js';
import { tempDir } from '../helpers/tmp.js';

interface Box {
  repo: string;
  home: string;
  claudeConfig: string;
  marker: string;
  env: Record<string, string>;
}

/** An isolated Claude setup (as run-claude-e2e.sh builds it) with a Stop hook that leaves a mark. */
function sandbox(baseURL: string, extra: Record<string, string> = {}): Box {
  const root = tempDir('csep-rev-claude-');
  const repo = join(root, 'repo');
  const home = join(root, 'csep-home');
  const claudeConfig = join(root, 'claude-config');
  const userHome = join(root, 'user-home');
  const marker = join(root, 'claude-hook-fired');
  for (const dir of [repo, claudeConfig, userHome, join(root, 'tmp')]) mkdirSync(dir);
  // A user Stop hook: if hooks ran inside the review, the marker would appear.
  writeFileSync(
    join(claudeConfig, 'settings.json'),
    JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command: `touch '${marker}'` }] }] } }),
  );
  const env = {
    PATH: `${NODE_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: userHome,
    TMPDIR: join(root, 'tmp'),
    CLAUDE_CONFIG_DIR: claudeConfig,
    ANTHROPIC_BASE_URL: baseURL,
    ANTHROPIC_API_KEY: 'fake-key',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
    CODEX_SELF_EVOLUTION_HOME: home,
    CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: 'claude',
    ...extra,
  };
  return { repo, home, claudeConfig, marker, env };
}

const stopHook = (box: Box) => stopHookFixture(box.env, box.repo, box.home);

describe('the claude reviewer (real claude -p 2.1.332, fake model)', () => {
  it('reviews a Stop hook turn into the queue: no tools, no hooks, no session', async () => {
    const root = tempDir('csep-rev-claude-model-');
    const fake = await startHarnessServer('claude-code/fake-anthropic.mjs', join(root, 'model'), [
      '--reply',
      REVIEW_ANSWER,
    ]);
    const box = sandbox(`http://127.0.0.1:${fake.port}`);
    const envelope = await queuedEnvelope(await stopHook(box));
    expect(envelope.reviewer_provider).toBe('claude');
    expect(envelope.suggestions).toHaveLength(1);
    expect(envelope.suggestions[0]).toMatchObject({
      family: 'memory_updates',
      summary: 'Start the db container before migrating',
    });

    const requests = fake.requests();
    expect(requests).toHaveLength(1);
    const request = JSON.stringify(requests[0]);
    expect(request).toContain('run the migrations please');
    expect(request).toContain('Most turns teach nothing.');
    expect(requests[0]!.tools ?? []).toEqual([]);
    expect(existsSync(box.marker)).toBe(false);
    // No transcript of the review under the user's Claude config.
    expect(walk(join(box.claudeConfig, 'projects')).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  }, 120_000);

  it('a missing claude leaves the turn spooled with what to do', async () => {
    const entry = await failedEntry(await stopHook(sandbox('http://127.0.0.1:9', { PATH: '/usr/bin:/bin' })));
    expect(entry.last_error).toMatch(
      /ProviderConfigError: the claude reviewer needs the claude CLI, which was not found/,
    );
  });

  it('a claude that is not logged in leaves the turn spooled with what to do', async () => {
    const box = sandbox('http://127.0.0.1:9');
    delete box.env.ANTHROPIC_API_KEY;
    const entry = await failedEntry(await stopHook(box));
    expect(entry.last_error).toMatch(
      /ProviderConfigError: the claude reviewer is not logged in \(Not logged in/,
    );
    expect(entry.last_error).toContain('log in');
  });

  it('a key the API refuses (401) is a configuration problem too', async () => {
    const root = tempDir('csep-rev-claude-401-');
    const replies = join(root, 'replies.json');
    writeFileSync(
      replies,
      JSON.stringify([
        { status: 401, error: { type: 'authentication_error', message: 'invalid x-api-key' } },
      ]),
    );
    const fake = await startHarnessServer('claude-code/fake-anthropic.mjs', join(root, 'model'), [
      '--replies-file',
      replies,
    ]);
    const entry = await failedEntry(await stopHook(sandbox(`http://127.0.0.1:${fake.port}`)));
    expect(entry.last_error).toMatch(/ProviderConfigError: the claude reviewer is not logged in/);
  });

  it('a claude that hangs past the timeout is killed and the turn stays spooled', async () => {
    const silent = await startSilentServer();
    const box = sandbox(`http://127.0.0.1:${silent.port}`);
    mkdirSync(box.home, { recursive: true });
    writeFileSync(
      join(box.home, 'config.toml'),
      'schema_version = 2\n\n[review.claude]\ntimeout_seconds = 3\n',
    );
    const entry = await failedEntry(await stopHook(box));
    expect(entry.last_error).toMatch(
      /ProviderTimeoutError: the claude review did not finish within 3 s and was killed/,
    );
  });

  it('a claude that answers garbage leaves the turn spooled as a bad response', async () => {
    const root = tempDir('csep-rev-claude-garbage-');
    const fake = await startHarnessServer('claude-code/fake-anthropic.mjs', join(root, 'model'), [
      '--reply',
      'Looks fine to me, nothing to add.',
    ]);
    const box = sandbox(`http://127.0.0.1:${fake.port}`);
    const paths = await stopHook(box);
    const entry = await failedEntry(paths);
    expect(entry.last_error).toMatch(
      /ProviderBadResponseError: claude answered something that is not reviewer JSON/,
    );
    expect(readFileSync(entry.transcript_path!, 'utf8')).toContain('pnpm db:migrate');
  });
});
