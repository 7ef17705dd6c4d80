import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStatePaths } from '../../src/core/paths.js';
import { rolloutText } from '../fixtures/rollouts/rollout-builder.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

const PREFS = [
  'always use pnpm, never npm',
  'never edit files under src/generated',
  'always run make check before saying you are done',
  'we deploy with fly deploy from the repo root',
];

/** Writes `count` rollouts for `repo` under `<codexHome>/sessions/YYYY/MM/DD/`. */
function writeSessions(codexHome: string, repo: string, count: number, day = 20, offset = 0): void {
  const dir = join(codexHome, 'sessions', '2026', '11', String(day));
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const n = offset + i;
    const sessionId = `01a2161a-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
    const text = rolloutText({
      cwd: repo,
      sessionId,
      startedAt: `2026-11-${day}T09:00:00.000Z`,
      turns: [
        { user: `look at issue ${n} please`, steps: [{ say: `Issue ${n} is about the cart.` }] },
        { user: `thanks. ${PREFS[n % PREFS.length]}.`, steps: [{ say: 'Noted.' }] },
      ],
    });
    writeFileSync(join(dir, `rollout-2026-11-${day}T09-00-00-${sessionId}.jsonl`), text);
  }
}

function world() {
  const root = tempDir();
  const repo = join(root, 'shop');
  const other = join(root, 'other');
  mkdirSync(repo);
  mkdirSync(other);
  const codexHome = join(root, 'codex');
  const home = join(root, 'home');
  return {
    root,
    repo,
    other,
    codexHome,
    home,
    env: { HOME: root, CODEX_HOME: codexHome, CODEX_SELF_EVOLUTION_HOME: home },
  };
}

describe('import', () => {
  it('reviews 1,000 past sessions once: a second import adds nothing', () => {
    const w = world();
    writeSessions(w.codexHome, w.repo, 1000);
    const first = runCli(['import', '--all', '--json'], { env: w.env, timeoutMs: 300_000 });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const one = JSON.parse(first.stdout) as Record<string, number>;
    expect(one).toMatchObject({
      rollouts_found: 1000,
      rollouts_selected: 1000,
      turns_reviewed: 2000,
      turns_already_reviewed: 0,
    });
    expect(one.envelopes).toBe(1000);
    const pending = resolveStatePaths({ cwd: w.repo, home: w.home }).queue.pending;
    expect(readdirSync(pending)).toHaveLength(1000);

    const second = runCli(['import', '--all', '--json'], { env: w.env, timeoutMs: 300_000 });
    expect(JSON.parse(second.stdout)).toMatchObject({
      turns_reviewed: 0,
      turns_already_reviewed: 2000,
      envelopes: 0,
    });
    expect(readdirSync(pending)).toHaveLength(1000);
  }, 600_000);

  it('selects one repository (the current one by default) and honours --since', () => {
    const w = world();
    writeSessions(w.codexHome, w.repo, 3, 20, 0);
    writeSessions(w.codexHome, w.other, 2, 21, 100);
    writeSessions(w.codexHome, w.repo, 2, 22, 200);
    const repoOnly = runCli(['import', '--dry-run', '--json'], { env: w.env, cwd: w.repo });
    expect(JSON.parse(repoOnly.stdout)).toMatchObject({
      rollouts_found: 7,
      rollouts_selected: 5,
      turns_reviewed: 10,
    });
    const since = runCli(['import', '--repo', w.repo, '--since', '2026-11-22', '--dry-run', '--json'], {
      env: w.env,
    });
    expect(JSON.parse(since.stdout)).toMatchObject({ rollouts_selected: 2 });
    // A dry run queues nothing.
    expect(() => readdirSync(resolveStatePaths({ cwd: w.repo, home: w.home }).queue.pending)).toThrow();
  });

  it('shows a progress bar on a terminal', () => {
    const w = world();
    writeSessions(w.codexHome, w.repo, 5);
    const env = { ...process.env, ...w.env, NO_COLOR: '1' };
    // `script` gives the CLI a pseudo-terminal, as a user's shell would.
    const result = spawnSync('script', ['-qec', `${process.execPath} ${CLI} import --all`, '/dev/null'], {
      env,
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/\[#{28}\] 5\/5 sessions, \d+ suggestions/);
    expect(result.stdout).toContain('Reviewed 10 turn(s) from 5 of 5 session(s)');
  });

  it('rejects bad arguments with one clear line', () => {
    const w = world();
    expect(runCli(['import', '--since', 'someday'], { env: w.env })).toMatchObject({
      status: 2,
      stderr:
        'codex-self-evolution: --since must be a date (2026-11-01) or a number of days (30d), got "someday"\n',
    });
    expect(runCli(['import', '--all', '--repo', w.repo], { env: w.env }).status).toBe(2);
  });
});
