/**
 * Memory-lifecycle scenarios on real git repositories, through the built CLI: staleness when a script is
 * deleted, supersession with history, five confirmations, skill review into $CODEX_HOME/skills,
 * byte-exact undo, and `memory list` saying what the next session is told and why.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveStatePaths, type StatePaths } from '../../src/core/paths.js';
import { enqueueReviewedTurn } from '../../src/core/queue/queue.js';
import type { Suggestion } from '../../src/core/schemas.js';
import { ensureBuilt } from '../helpers/built.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

beforeAll(() => ensureBuilt(), 120_000);

interface World {
  repo: string;
  home: string;
  codexHome: string;
  env: Record<string, string>;
  paths: StatePaths;
}

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-C', repo, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  });
}

function world(): World {
  const root = tempDir('csep-lessons-');
  const repo = join(root, 'shop');
  mkdirSync(join(repo, 'scripts'), { recursive: true });
  writeFileSync(join(repo, 'scripts', 'deploy.sh'), '#!/bin/sh\necho deploy\n');
  writeFileSync(
    join(repo, 'package.json'),
    JSON.stringify({ name: 'shop', scripts: { test: 'vitest', 'db:migrate': 'node migrate.js' } }),
  );
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'init');
  const home = join(root, 'home');
  const codexHome = join(root, 'codex');
  mkdirSync(codexHome, { recursive: true });
  return {
    repo,
    home,
    codexHome,
    env: { HOME: root, CODEX_SELF_EVOLUTION_HOME: home, CODEX_HOME: codexHome },
    paths: resolveStatePaths({ cwd: repo, home }),
  };
}

let turn = 0;
function learn(w: World, suggestions: Suggestion[], thread = `session-${turn}`): void {
  turn++;
  const r = enqueueReviewedTurn(w.paths, {
    threadId: thread,
    turnId: `turn-${turn}`,
    cwd: w.repo,
    suggestions,
    reviewerProvider: 'dummy',
    timestamp: new Date(Date.UTC(2026, 0, 1) + turn * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
  expect(r.status).toBe('written');
}

const lesson = (summary: string, content: string, extra: Record<string, unknown> = {}): Suggestion => ({
  family: 'memory_updates',
  summary,
  details: {
    action: 'add',
    scope: 'global',
    content,
    evidence: { quote: `the user said: ${content}` },
    ...extra,
  },
  confidence: 0.9,
});

function cli(w: World, ...args: string[]) {
  const result = runCli(args, { env: w.env, cwd: w.repo });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout;
}
const compile = (w: World) => JSON.parse(cli(w, 'compile', '--repo-root', w.repo)) as Record<string, unknown>;
const told = (w: World) =>
  (JSON.parse(cli(w, 'session-start', '--cwd', w.repo)) as { stable_background: { combined_prefix: string } })
    .stable_background.combined_prefix;
const listJson = (w: World, ...flags: string[]) =>
  JSON.parse(cli(w, 'memory', 'list', '--repo', w.repo, '--json', ...flags)) as {
    entries: Array<Record<string, unknown>>;
    injected: number;
    stale: number;
    budget: number;
    context_chars: number;
  };

describe('lessons that stay true (CLI, real git repositories)', () => {
  it('a lesson about scripts/deploy.sh goes stale when the file is deleted, leaves the context, and comes back when re-confirmed', () => {
    const w = world();
    learn(w, [
      lesson('Deploying', 'Deploy with scripts/deploy.sh after the tests pass.', {
        source_paths: ['scripts/deploy.sh'],
      }),
      lesson('Migrations', 'Run npm run db:migrate before the tests.'),
    ]);
    compile(w);
    const head = git(w.repo, 'rev-parse', 'HEAD').trim();
    const before = listJson(w);
    expect(before.entries.map((e) => [e.summary, e.outcome, e.source_commit])).toEqual([
      ['Deploying', 'injected', head],
      ['Migrations', 'injected', head],
    ]);
    expect(told(w)).toContain('scripts/deploy.sh');

    rmSync(join(w.repo, 'scripts', 'deploy.sh'));
    writeFileSync(
      join(w.repo, 'package.json'),
      JSON.stringify({ name: 'shop', scripts: { test: 'vitest' } }),
    );
    git(w.repo, 'commit', '-qam', 'drop the deploy script and the migrate script');
    const result = compile(w);
    expect(result.maintenance).toMatchObject({ stale: 2, git_checked: true });

    const stale = listJson(w, '--stale').entries;
    expect(stale.map((e) => [e.summary, e.stale_reason])).toEqual([
      ['Deploying', 'source_deleted: scripts/deploy.sh'],
      ['Migrations', 'missing_script: db:migrate (not in package.json)'],
    ]);
    expect(told(w)).not.toContain('scripts/deploy.sh');
    expect(told(w)).not.toContain('db:migrate');
    const status = JSON.parse(cli(w, 'status')) as {
      buckets: Array<{
        lessons: { stale: number; active: number; stale_to_reverify: Array<{ reason: string }> };
      }>;
    };
    expect(status.buckets[0]!.lessons).toMatchObject({ stale: 2, active: 0 });
    expect(status.buckets[0]!.lessons.stale_to_reverify.map((s) => s.reason)).toContain(
      'source_deleted: scripts/deploy.sh',
    );
    const text = cli(w, 'memory', 'list', '--repo', w.repo, '--stale');
    expect(text).toContain('left out: stale (source_deleted: scripts/deploy.sh)');

    // Re-confirmed by a later session (say the script came back): active again, at the new commit.
    mkdirSync(join(w.repo, 'scripts'), { recursive: true });
    writeFileSync(join(w.repo, 'scripts', 'deploy.sh'), '#!/bin/sh\necho deploy v2\n');
    git(w.repo, 'add', '.');
    git(w.repo, 'commit', '-qm', 'deploy script is back');
    learn(w, [
      lesson('Deploying', 'Deploy with scripts/deploy.sh after the tests pass.', {
        source_paths: ['scripts/deploy.sh'],
      }),
    ]);
    compile(w);
    const deploying = listJson(w).entries.find((e) => e.summary === 'Deploying')!;
    expect(deploying).toMatchObject({
      status: 'active',
      outcome: 'injected',
      confirmations: 2,
      source_commit: git(w.repo, 'rev-parse', 'HEAD').trim(),
    });
    expect(told(w)).toContain('scripts/deploy.sh');
  });

  it('"use npm" followed later by "use pnpm from now on" leaves one active lesson with history', () => {
    const w = world();
    learn(w, [lesson('Package manager', 'Use npm to install dependencies.')]);
    compile(w);
    learn(w, [lesson('Package manager', 'Use pnpm from now on to install dependencies.')]);
    compile(w);
    const active = listJson(w).entries;
    expect(active.map((e) => e.content)).toEqual(['Use pnpm from now on to install dependencies.']);
    const all = listJson(w, '--all').entries;
    const old = all.find((e) => e.content === 'Use npm to install dependencies.')!;
    expect(old).toMatchObject({ status: 'superseded', superseded_by: active[0]!.id, outcome: 'inactive' });
    expect(active[0]).toMatchObject({ supersedes: [old.id] });
    expect(told(w)).toContain('pnpm');
    expect(told(w)).not.toContain('Use npm');
    const shown = cli(w, 'memory', 'show', String(old.id), '--repo', w.repo);
    expect(shown).toContain('superseded by');
    expect(shown).toContain('Supersession chain');
    expect(shown).toContain('Use pnpm from now on');
  });

  it('the same preference learned in five sessions is one entry, confirmed five times', () => {
    const w = world();
    for (let i = 0; i < 5; i++) {
      learn(
        w,
        [lesson('Package manager', i % 2 === 0 ? 'Use pnpm for installs.' : 'Always use pnpm for installs')],
        `session-five-${i}`,
      );
      compile(w);
    }
    const entries = listJson(w, '--all').entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ confirmations: 5, status: 'active', outcome: 'injected' });
    const shown = JSON.parse(
      cli(w, 'memory', 'show', String(entries[0]!.id), '--repo', w.repo, '--json'),
    ) as { provenance: Array<{ thread_id: string; quote: string }> };
    expect(shown.provenance.map((p) => p.thread_id)).toEqual([
      'session-five-0',
      'session-five-1',
      'session-five-2',
      'session-five-3',
      'session-five-4',
    ]);
    expect(shown.provenance[0]!.quote).toContain('the user said');
  });

  it('an approved skill appears in $CODEX_HOME/skills and a rejected one never does', () => {
    const w = world();
    const skill = (id: string, title: string): Suggestion => ({
      family: 'skill_action',
      summary: title,
      details: {
        action: 'create',
        skill_id: id,
        title,
        description: `Use when ${title.toLowerCase()} in this repository`,
        content: `Run the checks, then ${title.toLowerCase()} with the script, watch the health endpoint for two minutes and roll back on errors.`,
        evidence: { quote: `how do we ${title.toLowerCase()}?` },
      },
      confidence: 1,
    });
    learn(w, [skill('deploy-prod', 'Deploying to production'), skill('drop-db', 'Dropping the database')]);
    const result = compile(w);
    expect(result.staged_count).toBe(2);
    const skillFiles = () => {
      const dir = join(w.codexHome, 'skills');
      try {
        return readdirSync(dir, { recursive: true })
          .map(String)
          .filter((f) => f.endsWith('SKILL.md'))
          .map((f) => readFileSync(join(dir, f), 'utf8'));
      } catch {
        return [];
      }
    };
    expect(skillFiles()).toEqual([]);
    const listed = JSON.parse(cli(w, 'review', 'list', '--repo', w.repo, '--json')) as {
      items: Array<{ id: string; title: string; evidence: { quote: string } }>;
    };
    expect(listed.items.map((i) => i.title).sort()).toEqual([
      'Deploying to production',
      'Dropping the database',
    ]);
    expect(listed.items[0]!.evidence.quote).toMatch(/^how do we/);
    const text = cli(w, 'review', 'list', '--repo', w.repo);
    expect(text).toContain('evidence: “how do we');
    const deploy = listed.items.find((i) => i.title.startsWith('Deploying'))!;
    const drop = listed.items.find((i) => i.title.startsWith('Dropping'))!;
    cli(w, 'review', 'reject', drop.id, '--reason', 'dangerous', '--repo', w.repo);
    cli(w, 'review', 'approve', deploy.id, '--repo', w.repo);
    const published = skillFiles();
    expect(published).toHaveLength(1);
    expect(published[0]).toContain('Deploying to production');
    // Later compiles never bring the rejected one in, and it stays listed with its reason.
    compile(w);
    expect(skillFiles().join('\n')).not.toContain('Dropping the database');
    const all = JSON.parse(cli(w, 'review', 'list', '--all', '--repo', w.repo, '--json')) as {
      items: Array<{ id: string; state: string; reason: string | null }>;
    };
    expect(all.items.find((i) => i.id === drop.id)).toMatchObject({ state: 'rejected', reason: 'dangerous' });
    expect(all.items.find((i) => i.id === deploy.id)).toMatchObject({ state: 'approved' });
  });

  it('undo restores the files byte for byte, refuses while a later compile changed them, and works newest first', () => {
    const w = world();
    learn(w, [
      lesson('Tests', 'Run the tests with vitest --run.'),
      {
        family: 'recall_candidate',
        summary: 'Retry policy',
        details: { content: 'HTTP retries back off from 0.5 s.', source_paths: ['src/http.ts'] },
        confidence: 1,
      },
    ]);
    compile(w);
    const snapshot = () => {
      const out: Record<string, string> = {};
      for (const dir of [w.paths.memoryDir, w.paths.recallDir, w.paths.skillsDir]) {
        for (const f of readdirSync(dir, { recursive: true }).map(String)) {
          const p = join(dir, f);
          if (statSync(p).isFile() && !f.startsWith('usage.'))
            out[relative(w.paths.stateDir, p)] = readFileSync(p).toString('base64');
        }
      }
      return out;
    };
    const before = snapshot();
    learn(w, [
      lesson('Package manager', 'Use pnpm for installs.'),
      lesson('Tests', 'Never run the tests with vitest --run.'),
    ]);
    const first = compile(w) as { receipt_ids: string[] };
    const middle = snapshot();
    expect(middle).not.toEqual(before);
    learn(w, [lesson('Lint', 'Lint with eslint before committing.')]);
    const second = compile(w) as { receipt_ids: string[] };

    const refused = runCli(['undo', first.receipt_ids[0]!, '--repo', w.repo], { env: w.env, cwd: w.repo });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`changed since (by ${second.receipt_ids[0]!}`);
    expect(refused.stderr).toContain(`undo the later receipts first`);

    cli(w, 'undo', second.receipt_ids[0]!, '--repo', w.repo);
    expect(snapshot()).toEqual(middle);
    cli(w, 'undo', first.receipt_ids[0]!, '--repo', w.repo);
    expect(snapshot()).toEqual(before);
    const history = cli(w, 'history', '--repo', w.repo);
    expect(history).toContain(`undid ${first.receipt_ids[0]!}`);
    const again = runCli(['undo', first.receipt_ids[0]!, '--repo', w.repo], { env: w.env, cwd: w.repo });
    expect(again.stderr).toContain('already undone');
  });

  it('memory list shows what the next session will be told and why; forget and restore go through the compiler', () => {
    const w = world();
    learn(w, [
      lesson('Tests', 'Run the tests with vitest --run.'),
      { ...lesson('Style', 'I prefer short commit messages.', { scope: 'user' }) },
    ]);
    compile(w);
    const text = cli(w, 'memory', 'list', '--repo', w.repo);
    expect(text).toContain('What the next session will be told');
    expect(text).toContain('why: injected: active and within the budget');
    expect(text).toContain('learned from session');
    expect(text).toContain('“the user said: Run the tests with vitest --run.”');
    const entries = listJson(w).entries;
    const tests = entries.find((e) => e.summary === 'Tests')!;
    const forgot = JSON.parse(cli(w, 'memory', 'forget', String(tests.id), '--repo', w.repo, '--json')) as {
      receipt_id: string;
      status: string;
    };
    expect(forgot.status).toBe('forgotten');
    expect(told(w)).not.toContain('vitest --run');
    expect(listJson(w, '--all').entries.find((e) => e.id === tests.id)).toMatchObject({
      status: 'forgotten',
      outcome: 'inactive',
    });
    cli(w, 'memory', 'restore', String(tests.id), '--repo', w.repo);
    expect(told(w)).toContain('vitest --run');
    cli(
      w,
      'memory',
      'edit',
      String(tests.id),
      '--content',
      'Run the tests with vitest run --reporter dot.',
      '--repo',
      w.repo,
    );
    expect(told(w)).toContain('--reporter dot');
    expect(listJson(w).entries.find((e) => e.summary === 'Tests')!.id).toBe(tests.id);
  });
});
