/**
 * Migration from the Python original: its state home has `recall/index.json` (records only, in its
 * bucket named by the `/`→`-` mangling, with a `.canonical_cwd` marker) and no search index. Right
 * after `install`, prompt-time recall must answer for a bucket of any size; `scan` repairs the
 * same; `recall` builds and saves a missing index before answering.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireCompileLock } from '../../src/core/compiler/lock.js';
import { legacyBucketName, resolveStatePaths, sha1 } from '../../src/core/paths.js';
import { CSEP, runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

const TOPICS = [
  'docker',
  'postgres',
  'kafka',
  'redis',
  'nginx',
  'terraform',
  'celery',
  'graphql',
  'webpack',
  'grpc',
];

/** A Python-written bucket of `n` recall notes for `repo` (no search index). */
function pythonHome(n: number) {
  const root = tempDir('csep-migrate-');
  const repo = join(root, 'shop');
  mkdirSync(join(repo, '.git'), { recursive: true });
  const home = join(root, 'home');
  const bucket = join(home, 'projects', legacyBucketName(repo));
  mkdirSync(join(bucket, 'recall'), { recursive: true });
  writeFileSync(join(bucket, '.canonical_cwd'), `${repo}\n`);
  const fingerprint = resolveStatePaths({ cwd: repo, home }).repoFingerprint;
  const records = Array.from({ length: n }, (_, i) => {
    const topic = TOPICS[i % TOPICS.length]!;
    return {
      id: sha1(`note-${i}`).slice(0, 16),
      summary: `${topic} note ${i}`,
      content: `When the ${topic} service ${i} misbehaves, restart it with make ${topic}-restart-${i}.`,
      source_paths: [`ops/${topic}.md`],
      cwd: repo,
      repo_fingerprint: fingerprint,
      thread_id: `thread-${i}`,
      turn_id: `turn-${i}`,
    };
  });
  records.push({
    id: 'lockfile',
    summary: 'ERR_PNPM_OUTDATED_LOCKFILE in CI',
    content:
      'When pnpm install fails in CI with ERR_PNPM_OUTDATED_LOCKFILE, run pnpm install --no-frozen-lockfile and commit pnpm-lock.yaml.',
    source_paths: ['pnpm-lock.yaml'],
    cwd: repo,
    repo_fingerprint: fingerprint,
    thread_id: 't',
    turn_id: 'u',
  });
  // The original's json.dumps(indent=2, ensure_ascii=False) layout.
  writeFileSync(join(bucket, 'recall', 'index.json'), JSON.stringify({ records }, null, 2));
  const codexHome = join(root, 'codex');
  mkdirSync(codexHome);
  return {
    root,
    repo,
    home,
    bucket,
    env: { HOME: root, CODEX_HOME: codexHome, CODEX_SELF_EVOLUTION_HOME: home },
  };
}

const PROMPT = 'CI fails with ERR_PNPM_OUTDATED_LOCKFILE on pnpm install, how do I fix the lockfile?';

function promptRecall(w: ReturnType<typeof pythonHome>) {
  const r = runCli(['prompt-recall', '--from-stdin'], {
    input: JSON.stringify({
      session_id: 's',
      hook_event_name: 'UserPromptSubmit',
      cwd: w.repo,
      prompt: PROMPT,
    }),
    env: w.env,
  });
  expect(r.status).toBe(0);
  return r.stdout;
}

describe('a state home written by the Python original', () => {
  it('gets prompt-time recall on the first prompt after install (600 notes)', () => {
    const w = pythonHome(600);
    const index = join(w.bucket, 'recall', 'search-index.json');
    // Before: too big to rebuild on a prompt, so nothing is injected.
    expect(promptRecall(w)).not.toContain('no-frozen-lockfile');
    const installed = runCli(['install', '--json'], { env: w.env });
    expect(installed.status, installed.stderr).toBe(0);
    expect(JSON.parse(installed.stdout)).toMatchObject({
      search_indexes: { built: 1, locked: 0, failed: [] },
    });
    expect(existsSync(index)).toBe(true);
    // The bucket is the Python one, reused in place.
    expect(resolveStatePaths({ cwd: w.repo, home: w.home }).stateDir).toBe(w.bucket);
    expect(promptRecall(w)).toContain('no-frozen-lockfile');
    // Idempotent: nothing to build the second time.
    expect(JSON.parse(runCli(['install', '--json'], { env: w.env }).stdout)).toMatchObject({
      search_indexes: { built: 0 },
    });
  });

  it('scan builds the missing index too, and recall builds and saves a missing one before answering', () => {
    const w = pythonHome(50);
    const index = join(w.bucket, 'recall', 'search-index.json');
    const scan = runCli(['scan'], { env: w.env });
    expect(scan.status, scan.stderr).toBe(0);
    expect(existsSync(index)).toBe(true);

    rmSync(index);
    const recall = runCli(['recall', 'pnpm', 'lockfile'], { env: w.env, bin: CSEP, cwd: w.repo });
    expect(recall.status).toBe(0);
    expect(recall.stdout).toContain('no-frozen-lockfile');
    expect(existsSync(index)).toBe(true);
    const log = readFileSync(join(w.home, 'logs', 'plugin.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log.at(-1)).toMatchObject({ kind: 'csep-recall', recall_mode: 'indexed', index_saved: 'built' });
    // The next query uses it and builds nothing.
    runCli(['recall', 'pnpm', 'lockfile'], { env: w.env, bin: CSEP, cwd: w.repo });
    const last = JSON.parse(
      readFileSync(join(w.home, 'logs', 'plugin.log'), 'utf8')
        .trim()
        .split('\n')
        .at(-1)!,
    ) as Record<string, unknown>;
    expect(last).toMatchObject({ recall_mode: 'indexed' });
    expect(last.index_saved).toBeUndefined();
  });

  it('leaves the index alone while a compile holds the lock', async () => {
    const w = pythonHome(20);
    const held = await acquireCompileLock(resolveStatePaths({ cwd: w.repo, home: w.home }));
    expect(held.acquired).toBe(true);
    try {
      const recall = runCli(['recall', 'pnpm', 'lockfile'], { env: w.env, bin: CSEP, cwd: w.repo });
      expect(recall.status).toBe(0);
      expect(recall.stdout).toContain('no-frozen-lockfile');
      expect(existsSync(join(w.bucket, 'recall', 'search-index.json'))).toBe(false);
    } finally {
      if (held.acquired) await held.lock.release();
    }
  });
});
