/**
 * Team memory through git, end to end through the built CLI on real git repositories:
 * a bare remote and two clones with separate state homes stand for two machines.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveStatePaths, type StatePaths } from '../../src/core/paths.js';
import { enqueueReviewedTurn } from '../../src/core/queue/queue.js';
import type { Suggestion } from '../../src/core/schemas.js';
import { ensureBuilt } from '../helpers/built.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

beforeAll(() => ensureBuilt(), 120_000);

const GIT_ENV = {
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};
function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-C', cwd, '-c', 'init.defaultBranch=main', '-c', 'pull.rebase=false', ...args],
    { encoding: 'utf8', env: { ...process.env, ...GIT_ENV }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

interface Machine {
  name: string;
  repo: string;
  home: string;
  env: Record<string, string>;
  paths: StatePaths;
}

/** A bare remote with one commit and two clones, each with its own home (two machines). */
function team(): { remote: string; a: Machine; b: Machine } {
  const root = tempDir('csep-team-e2e-');
  const remote = join(root, 'remote.git');
  git(root, 'init', '-q', '--bare', remote);
  const seed = join(root, 'seed');
  mkdirSync(join(seed, 'scripts'), { recursive: true });
  writeFileSync(join(seed, 'scripts', 'deploy.sh'), '#!/bin/sh\necho deploy\n');
  writeFileSync(
    join(seed, 'package.json'),
    JSON.stringify({ name: 'shop', scripts: { test: 'vitest', 'db:migrate': 'node migrate.js' } }),
  );
  git(root, 'init', '-q', seed);
  git(seed, 'add', '.');
  git(seed, 'commit', '-q', '-m', 'init');
  git(seed, 'push', '-q', remote, 'HEAD:main');
  const machine = (name: string): Machine => {
    const dir = join(root, name);
    mkdirSync(dir);
    const repo = join(dir, 'shop');
    git(dir, 'clone', '-q', '-b', 'main', remote, repo);
    const home = join(dir, 'state');
    const codexHome = join(dir, 'codex');
    mkdirSync(codexHome);
    return {
      name,
      repo,
      home,
      env: { HOME: dir, CODEX_SELF_EVOLUTION_HOME: home, CODEX_HOME: codexHome },
      paths: resolveStatePaths({ cwd: repo, home }),
    };
  };
  return { remote, a: machine('alice'), b: machine('bob') };
}

let turn = 0;
function learn(m: Machine, suggestions: Suggestion[]): void {
  turn++;
  const r = enqueueReviewedTurn(m.paths, {
    threadId: `${m.name}-session-${turn}`,
    turnId: `turn-${turn}`,
    cwd: m.repo,
    suggestions,
    reviewerProvider: 'dummy',
    timestamp: new Date(Date.UTC(2026, 0, 1) + turn * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
  expect(r.status).toBe('written');
  cli(m, 'compile', '--repo-root', m.repo);
}

const lesson = (
  summary: string,
  content: string,
  scope: 'global' | 'user' = 'global',
  extra: Record<string, unknown> = {},
): Suggestion => ({
  family: 'memory_updates',
  summary,
  details: { action: 'add', scope, content, evidence: { quote: `the session showed: ${content}` }, ...extra },
  confidence: 0.9,
});
const note = (summary: string, content: string, sourcePaths: string[] = []): Suggestion => ({
  family: 'recall_candidate',
  summary,
  details: { content, source_paths: sourcePaths },
  confidence: 1,
});

function cli(m: Machine, ...args: string[]): string {
  const r = runCli(args, { env: m.env, cwd: m.repo });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** What the SessionStart hook injects (the real hook path, payload on stdin). */
function sessionStart(m: Machine): string {
  const r = runCli(['session-start', '--from-stdin'], {
    env: m.env,
    cwd: m.repo,
    input: JSON.stringify({
      hook_event_name: 'SessionStart',
      session_id: 's',
      cwd: m.repo,
      source: 'startup',
    }),
  });
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout) as { hookSpecificOutput?: { additionalContext: string } };
  return out.hookSpecificOutput?.additionalContext ?? '';
}

function storeText(repo: string): string {
  const dir = join(repo, '.codex-self-evolution');
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .map((n) => readFileSync(join(dir, n), 'utf8'))
    .join('\n');
}

const A_LESSON = 'Run npm run db:migrate before the integration tests, or they fail on a missing table.';
const A_PREF = 'Alice prefers short answers without emojis.';
const B_LESSON = 'Deploy with scripts/deploy.sh after the tests pass; never deploy from a feature branch.';
const B_PREF = 'Bob wants every answer in French.';

describe('team memory through git (two machines, one remote)', () => {
  it('each one shares a repository lesson, commits, pulls and pushes without a conflict; personal preferences stay home', () => {
    const { a, b } = team();
    learn(a, [lesson('Migrations first', A_LESSON), lesson('Answer style', A_PREF, 'user')]);
    learn(b, [
      lesson('Deploying', B_LESSON, 'global', { source_paths: ['scripts/deploy.sh'] }),
      lesson('Language', B_PREF, 'user'),
    ]);

    // Status before: the global lesson is eligible, the USER entry is not.
    const statusA = JSON.parse(cli(a, 'team', 'status', '--json')) as {
      eligible: Array<{ id: string; title: string }>;
      not_eligible: Array<{ title: string; reasons: string[] }>;
      exists: boolean;
    };
    expect(statusA.exists).toBe(false);
    expect(statusA.eligible.map((e) => e.title)).toEqual(['Migrations first']);
    expect(statusA.not_eligible).toEqual([
      expect.objectContaining({ title: 'Answer style', reasons: [expect.stringMatching(/USER entry/)] }),
    ]);

    // A dry run writes nothing.
    expect(cli(a, 'team', 'share', '--all', '--dry-run')).toMatch(
      /would be created\s+\.codex-self-evolution\/m-[0-9a-f]{10}\.md/,
    );
    expect(existsSync(join(a.repo, '.codex-self-evolution'))).toBe(false);

    // Both share at the same time, nothing is committed by the tool.
    expect(cli(a, 'team', 'share', '--all')).toMatch(/Nothing was committed/);
    cli(b, 'team', 'share', '--all');
    expect(git(a.repo, 'status', '--porcelain')).toMatch(/\?\? \.codex-self-evolution\//);
    expect(git(a.repo, 'log', '--oneline').trim().split('\n')).toHaveLength(1);
    for (const [m, mine, pref] of [
      [a, A_LESSON, A_PREF],
      [b, B_LESSON, B_PREF],
    ] as const) {
      const text = storeText(m.repo);
      expect(text).toContain(mine);
      expect(text).not.toContain(pref);
      expect(text).not.toContain(m.home);
      expect(text).not.toContain(`${m.name}-session`);
      expect(text).toMatch(/^source_commit: [0-9a-f]{40}$/m);
    }
    expect(storeText(b.repo)).toMatch(/^source_paths: \["scripts\/deploy\.sh"\]$/m);

    git(a.repo, 'add', '.codex-self-evolution');
    git(a.repo, 'commit', '-q', '-m', 'team: share migrations lesson');
    git(a.repo, 'push', '-q', 'origin', 'main');
    git(b.repo, 'add', '.codex-self-evolution');
    git(b.repo, 'commit', '-q', '-m', 'team: share deploy lesson');
    git(b.repo, 'pull', '-q', '--no-edit', 'origin', 'main'); // a merge: both added files, README.md identical
    expect(git(b.repo, 'status', '--porcelain')).toBe('');
    git(b.repo, 'push', '-q', 'origin', 'main');
    git(a.repo, 'pull', '-q', '--no-edit', 'origin', 'main');

    const seenByA = sessionStart(a);
    const seenByB = sessionStart(b);
    expect(seenByA).toContain(B_LESSON);
    expect(seenByA).toContain(A_PREF);
    expect(seenByA).not.toContain(B_PREF);
    expect(seenByB).toContain(A_LESSON);
    expect(seenByB).toContain(B_PREF);
    expect(seenByB).not.toContain(A_PREF);
    // Team entries are labelled, and one's own shared lesson is not shown twice.
    expect(seenByB).toMatch(
      /## Team \(shared in the repository's \.codex-self-evolution\/\)\n\n### Migrations first\n/,
    );
    expect(seenByA.split(A_LESSON)).toHaveLength(2);
    expect(seenByB.split(B_LESSON)).toHaveLength(2);

    const statusB = JSON.parse(cli(b, 'team', 'status', '--json')) as {
      shared: Array<{ title: string; stale: string | null }>;
      eligible: unknown[];
    };
    expect(statusB.shared.map((s) => s.title).sort()).toEqual(['Deploying', 'Migrations first']);
    expect(statusB.eligible).toEqual([]);
  }, 120_000);

  it('[team] auto_share = true writes eligible entries into the working tree after a compile, never committing', () => {
    const { a } = team();
    mkdirSync(a.home, { recursive: true });
    writeFileSync(join(a.home, 'config.toml'), '[team]\nauto_share = true\n');
    learn(a, [lesson('Migrations first', A_LESSON), lesson('Answer style', A_PREF, 'user')]);
    const text = storeText(a.repo);
    expect(text).toContain(A_LESSON);
    expect(text).not.toContain(A_PREF);
    expect(git(a.repo, 'status', '--porcelain')).toMatch(/^\?\? \.codex-self-evolution\/$/m);
    expect(git(a.repo, 'log', '--oneline').trim().split('\n')).toHaveLength(1);
    expect(readFileSync(join(a.home, 'logs', 'plugin.log'), 'utf8')).toMatch(/auto_share wrote 1 entry/);
  }, 60_000);

  it('a secret planted in a lesson never reaches the shared store', () => {
    const { a } = team();
    const secret = 'sk-proj-Zt8pQ2vN5xR7mK1wL4jH9bC3dF6gS0aY2eU5iO8';
    learn(a, [
      lesson('OpenAI key', `The integration tests read OPENAI_API_KEY=${secret} from the environment.`),
      lesson('Redacted key', 'Tests use the key [REDACTED:openai_key] from CI settings.'),
      lesson('Cache dir', 'Build caches live in /home/alice/.cache/shop-build between runs.'),
      lesson('Harmless', 'Run the linter before committing.'),
    ]);
    const shared = JSON.parse(cli(a, 'team', 'share', '--all', '--json')) as {
      outcomes: Array<{ title: string; action: string }>;
    };
    expect(shared.outcomes.map((o) => [o.title, o.action])).toEqual([['Harmless', 'created']]);
    const status = JSON.parse(cli(a, 'team', 'status', '--json')) as {
      not_eligible: Array<{ id: string; title: string; reasons: string[] }>;
    };
    const why = Object.fromEntries(status.not_eligible.map((n) => [n.title, n.reasons.join('; ')]));
    expect(why['OpenAI key']).toMatch(/secret found by the redactor/);
    expect(why['Redacted key']).toMatch(/redaction marker/);
    expect(why['Cache dir']).toMatch(/local path outside the repository/);
    // Asking for it by id is refused with the reason (exit 1), and still writes nothing.
    const id = status.not_eligible.find((n) => n.title === 'OpenAI key')!.id;
    const r = runCli(['team', 'share', id], { env: a.env, cwd: a.repo });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/refused.*\n.*secret found by the redactor/);
    const text = storeText(a.repo);
    expect(text).toContain('Run the linter before committing.');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('REDACTED');
    expect(text).not.toContain('/home/alice');
  }, 60_000);

  it('an edited or deleted shared file changes what the next session sees; a malformed file is skipped with one log line', () => {
    const { a, b } = team();
    learn(a, [lesson('Migrations first', A_LESSON)]);
    cli(a, 'team', 'share', '--all');
    git(a.repo, 'add', '.');
    git(a.repo, 'commit', '-q', '-m', 'share');
    git(a.repo, 'push', '-q', 'origin', 'main');
    git(b.repo, 'pull', '-q', '--no-edit', 'origin', 'main');
    expect(sessionStart(b)).toContain(A_LESSON);

    const dir = join(b.repo, '.codex-self-evolution');
    const file = readdirSync(dir).find((n) => n.startsWith('m-'))!;
    const edited = readFileSync(join(dir, file), 'utf8').replace(
      A_LESSON,
      'Run npm run db:migrate:test before the integration tests (the test database only).',
    );
    writeFileSync(join(dir, file), edited);
    writeFileSync(
      join(dir, 'm-badbadbad0.md'),
      '---\nid: m-badbadbad0\nkind: memory\ntitle: "no closing line"\n',
    );
    const afterEdit = sessionStart(b);
    expect(afterEdit).toContain('db:migrate:test before the integration tests');
    expect(afterEdit).not.toContain(A_LESSON);
    const logged = readFileSync(join(b.home, 'logs', 'plugin.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('m-badbadbad0.md'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/skipped \(malformed\)/);

    // The author receives the edit too: the reviewed shared copy wins over the personal one.
    git(b.repo, 'add', '.codex-self-evolution/' + file);
    git(b.repo, 'commit', '-q', '-m', 'team: narrow the migrations lesson');
    git(b.repo, 'push', '-q', 'origin', 'main');
    git(a.repo, 'pull', '-q', '--no-edit', 'origin', 'main');
    const authorSees = sessionStart(a);
    expect(authorSees).toContain('db:migrate:test');
    expect(authorSees).not.toContain(A_LESSON);
    const conflicts = (
      JSON.parse(cli(a, 'team', 'status', '--json')) as { conflicts: Array<{ winner: string }> }
    ).conflicts;
    expect(conflicts).toEqual([expect.objectContaining({ winner: 'team' })]);

    rmSync(join(dir, file));
    const afterDelete = sessionStart(b);
    expect(afterDelete).not.toContain('db:migrate');
  }, 120_000);

  it('shared recall notes answer recall and prompt-time recall on a machine that never learned them; stale ones are flagged', () => {
    const { a, b } = team();
    learn(a, [
      note(
        'Webhook signatures',
        'Stripe webhook signature errors came from the proxy re-encoding the body; verify against the raw bytes.',
        ['scripts/deploy.sh'],
      ),
    ]);
    cli(a, 'team', 'share', '--all');
    git(a.repo, 'add', '.');
    git(a.repo, 'commit', '-q', '-m', 'share');
    git(a.repo, 'push', '-q', 'origin', 'main');
    git(b.repo, 'pull', '-q', '--no-edit', 'origin', 'main');

    const recall = JSON.parse(cli(b, 'recall', '--query', 'stripe webhook signature errors')) as {
      count: number;
      results: Array<{ summary: string; origin?: string; shared_path?: string }>;
    };
    expect(recall.count).toBe(1);
    expect(recall.results[0]).toMatchObject({
      summary: '[team] Webhook signatures',
      origin: 'team',
      shared_path: expect.stringMatching(/^\.codex-self-evolution\/[0-9a-f]{12}\.md$/),
    });
    const hook = runCli(['prompt-recall', '--from-stdin'], {
      env: b.env,
      cwd: b.repo,
      input: JSON.stringify({
        hook_event_name: 'UserPromptSubmit',
        session_id: 's',
        cwd: b.repo,
        prompt: 'stripe webhook signature errors again?',
      }),
    });
    expect(hook.status).toBe(0);
    expect(JSON.parse(hook.stdout).hookSpecificOutput.additionalContext).toContain(
      '[team] Webhook signatures',
    );
    // A's own recall shows the note once (personal and shared copies are one).
    const own = JSON.parse(cli(a, 'recall', '--query', 'stripe webhook signature errors')) as {
      count: number;
    };
    expect(own.count).toBe(1);

    // The note depends on scripts/deploy.sh: once it is gone, the note is stale for the reader.
    git(b.repo, 'rm', '-q', 'scripts/deploy.sh');
    const status = JSON.parse(cli(b, 'team', 'status', '--json')) as { stale: Array<{ reason: string }> };
    expect(status.stale).toEqual([expect.objectContaining({ reason: 'source_deleted: scripts/deploy.sh' })]);
    expect(
      (JSON.parse(cli(b, 'recall', '--query', 'stripe webhook signature errors')) as { count: number }).count,
    ).toBe(0);

    // unshare removes the file; [team] enabled = false stops reading the store.
    const id = (JSON.parse(cli(b, 'team', 'status', '--json')) as { shared: Array<{ id: string }> })
      .shared[0]!.id;
    git(b.repo, 'reset', '-q', '--hard', 'HEAD');
    mkdirSync(b.home, { recursive: true });
    writeFileSync(join(b.home, 'config.toml'), '[team]\nenabled = false\n');
    expect(
      (JSON.parse(cli(b, 'recall', '--query', 'stripe webhook signature errors')) as { count: number }).count,
    ).toBe(0);
    rmSync(join(b.home, 'config.toml'));
    expect(
      (JSON.parse(cli(b, 'recall', '--query', 'stripe webhook signature errors')) as { count: number }).count,
    ).toBe(1);
    expect(cli(b, 'team', 'unshare', id)).toMatch(/Removed \.codex-self-evolution\//);
    expect(
      (JSON.parse(cli(b, 'recall', '--query', 'stripe webhook signature errors')) as { count: number }).count,
    ).toBe(0);
  }, 120_000);
});
