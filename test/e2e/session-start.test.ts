import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStatePaths } from '../../src/core/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

const SAMPLES = join(import.meta.dirname, '..', 'fixtures', 'codex-samples');

function world() {
  const root = tempDir();
  const home = join(root, 'csep-home');
  const repo = join(root, 'repo');
  mkdirSync(repo);
  const env = { HOME: root, CODEX_SELF_EVOLUTION_HOME: home, CODEX_HOME: join(root, 'codex') };
  return { root, home, repo, env };
}

/** Writes learned memory for `repo` the way the compiler does. */
function seedMemory(home: string, repo: string, memory: { user: object[]; global: object[] }): string {
  const paths = resolveStatePaths({ cwd: repo, home });
  mkdirSync(paths.memoryDir, { recursive: true });
  writeFileSync(paths.memoryJson, JSON.stringify(memory));
  return paths.stateDir;
}

function payloadFor(cwd: string): string {
  const sample = JSON.parse(readFileSync(join(SAMPLES, 'session-start.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return JSON.stringify({ ...sample, cwd });
}

function logLines(home: string): Array<Record<string, unknown>> {
  return readFileSync(join(home, 'logs', 'plugin.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('session-start --from-stdin (the Codex SessionStart hook)', () => {
  it('prints hook JSON with the learned memory for the real Codex payload', () => {
    const { home, repo, env } = world();
    seedMemory(home, repo, {
      user: [
        {
          scope: 'user',
          summary: 'Package manager',
          content: 'Always use pnpm, never npm.',
          source_paths: [],
          confidence: 1,
          provenance: [],
        },
      ],
      global: [
        {
          scope: 'global',
          summary: 'Tests',
          content: 'Run `pnpm vitest run` before committing.',
          source_paths: [],
          confidence: 0.9,
          provenance: [],
        },
      ],
    });
    const result = runCli(['session-start', '--from-stdin'], { input: payloadFor(repo), env });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as {
      hookSpecificOutput: { hookEventName: string; additionalContext: string };
    };
    expect(Object.keys(out)).toEqual(['hookSpecificOutput']);
    expect(Object.keys(out.hookSpecificOutput).sort()).toEqual(['additionalContext', 'hookEventName']);
    expect(out.hookSpecificOutput.hookEventName).toBe('SessionStart');
    expect(out.hookSpecificOutput.additionalContext).toContain('Always use pnpm, never npm.');
    expect(out.hookSpecificOutput.additionalContext).toContain('Run `pnpm vitest run` before committing.');
    expect(out.hookSpecificOutput.additionalContext).toMatch(/^ {4}\S.* recall "<focused query>"$/m);
    expect(result.stdout.endsWith('\n')).toBe(true);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    const summary = logLines(home).at(-1)!;
    expect(summary).toMatchObject({
      msg: 'cli command completed',
      kind: 'session-start',
      exit_code: 0,
      mode: 'from_stdin',
    });
    expect(JSON.stringify(logLines(home))).not.toContain('Always use pnpm');
  });

  it('creates no bucket tree for a repository it has never seen', () => {
    const { home, repo, env } = world();
    const result = runCli(['session-start', '--from-stdin'], { input: payloadFor(repo), env });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).hookSpecificOutput.additionalContext).toContain('_No entries yet._');
    expect(existsSync(join(home, 'projects'))).toBe(false);
  });

  it.each([
    ['garbage', 'this is not json {', /invalid codex payload/],
    ['a JSON array', '[1,2,3]', /codex payload is not an object/],
    ['binary junk', '\u0000\u00ff\u0001\u0002', /invalid codex payload/],
  ])('answers {"continue":true} and logs the reason for %s on stdin', (_name, input, reason) => {
    const { home, env } = world();
    const result = runCli(['session-start', '--from-stdin'], { input, env });
    expect(result).toEqual({ status: 0, stdout: '{"continue":true}\n', stderr: '' });
    const lines = logLines(home);
    expect(lines.some((l) => l.level === 'WARNING' && reason.test(String(l.msg)))).toBe(true);
    expect(lines.at(-1)).toMatchObject({ kind: 'session-start', exit_code: 0 });
  });

  it('answers {"continue":true} when neither the payload nor --cwd names a directory', () => {
    const { home, env } = world();
    const result = runCli(['session-start', '--from-stdin'], {
      input: '{"hook_event_name":"SessionStart"}',
      env,
    });
    expect(result).toEqual({ status: 0, stdout: '{"continue":true}\n', stderr: '' });
    expect(logLines(home).some((l) => /no cwd/.test(String(l.msg)))).toBe(true);
  });

  it('uses --cwd when the payload has no cwd', () => {
    const { home, repo, env } = world();
    seedMemory(home, repo, {
      user: [],
      global: [{ summary: 'Fact', content: 'The API lives in services/api.' }],
    });
    const result = runCli(['session-start', '--from-stdin', '--cwd', repo], { input: '{}', env });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).hookSpecificOutput.additionalContext).toContain(
      'The API lives in services/api.',
    );
  });

  it('still injects from MEMORY.md when memory.json is corrupted, and logs the damage', () => {
    const { home, repo, env } = world();
    const stateDir = seedMemory(home, repo, { user: [], global: [] });
    writeFileSync(join(stateDir, 'memory', 'memory.json'), '{"user": [tru');
    writeFileSync(
      join(stateDir, 'memory', 'MEMORY.md'),
      '# MEMORY\n\n## Deploy\n\nWe deploy with `make ship`.\n',
    );
    const result = runCli(['session-start', '--from-stdin'], { input: payloadFor(repo), env });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout).hookSpecificOutput.additionalContext).toContain(
      'We deploy with `make ship`.',
    );
    expect(logLines(home).some((l) => l.level === 'WARNING' && String(l.msg).includes('memory.json'))).toBe(
      true,
    );
  });

  it('injects nothing broken for a cwd that does not exist', () => {
    const { root, env } = world();
    const result = runCli(['session-start', '--from-stdin'], {
      input: payloadFor(join(root, 'missing', 'dir')),
      env,
    });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout).hookSpecificOutput.hookEventName).toBe('SessionStart');
  });

  it('exits 0 with valid output when the home is not writable (logs go nowhere, the hook still answers)', () => {
    const { root, repo, env } = world();
    const home = join(root, 'ro-home');
    // A file where the home directory should be: nothing can be created under it.
    writeFileSync(home, 'not a directory');
    const result = runCli(['session-start', '--from-stdin'], {
      input: payloadFor(repo),
      env: { ...env, CODEX_SELF_EVOLUTION_HOME: home },
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).hookSpecificOutput.hookEventName).toBe('SessionStart');
  });

  it('keeps the injected text within the budget and says what it left out', () => {
    const { home, repo, env } = world();
    const global = Array.from({ length: 200 }, (_, i) => ({
      summary: `Lesson ${i}`,
      content: `Detail number ${i}: ${'x'.repeat(200)}`,
      confidence: 0.5,
    }));
    seedMemory(home, repo, { user: [{ summary: 'Pref', content: 'Answer in English.' }], global });
    const result = runCli(['session-start', '--from-stdin', '--budget', '3000'], {
      input: payloadFor(repo),
      env,
    });
    const text = JSON.parse(result.stdout).hookSpecificOutput.additionalContext as string;
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).toContain('Answer in English.');
    expect(text).toMatch(/Left out to stay within 3000 characters: \d+ MEMORY entries/);
    expect(text).toMatch(/Look them up with `.+ recall "<focused query>"`/);
    const defaults = runCli(['session-start', '--from-stdin'], { input: payloadFor(repo), env });
    expect(
      (JSON.parse(defaults.stdout).hookSpecificOutput.additionalContext as string).length,
    ).toBeLessThanOrEqual(8000);
    // The floor: a smaller budget is raised to 1,600 characters, and the text stays within it.
    const floor = runCli(['session-start', '--from-stdin', '--budget', '500'], {
      input: payloadFor(repo),
      env,
    });
    const small = JSON.parse(floor.stdout).hookSpecificOutput.additionalContext as string;
    expect(small.length).toBeLessThanOrEqual(1600);
    expect(small).toMatch(/Left out to stay within 1600 characters/);
    expect(small).toMatch(/^ {4}\S.* recall "<focused query>"$/m);
  });

  it('never injects superseded or stale entries', () => {
    const { home, repo, env } = world();
    seedMemory(home, repo, {
      user: [
        { summary: 'PM', content: 'Use npm.', status: 'superseded', superseded_by: 'x' },
        { summary: 'PM', content: 'Use pnpm from now on.' },
      ],
      global: [{ summary: 'Deploy', content: 'Run scripts/deploy.sh', status: 'stale' }],
    });
    const text = JSON.parse(
      runCli(['session-start', '--from-stdin'], { input: payloadFor(repo), env }).stdout,
    ).hookSpecificOutput.additionalContext as string;
    expect(text).toContain('Use pnpm from now on.');
    expect(text).not.toContain('Use npm.');
    expect(text).not.toContain('deploy.sh');
  });
});

describe('session-start --cwd (manual)', () => {
  it('prints the session object with the original keys', () => {
    const { home, repo, env } = world();
    seedMemory(home, repo, { user: [{ summary: 'P', content: 'Be brief.' }], global: [] });
    const result = runCli(['session-start', '--cwd', repo], { env });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as Record<string, any>;
    expect(Object.keys(out)).toEqual(
      expect.arrayContaining([
        'hook',
        'cwd',
        'repo_fingerprint',
        'state_dir',
        'stable_background',
        'recall',
        'runtime',
      ]),
    );
    expect(out.hook).toBe('SessionStart');
    expect(out.stable_background.combined_prefix).toContain('Be brief.');
    expect(out.recall.skill.skill_id).toBe('session_recall');
  });

  it('is a usage error (exit 2, one line) without --cwd', () => {
    const { env } = world();
    const result = runCli(['session-start'], { env });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'codex-self-evolution: session-start needs --cwd <path> (or --from-stdin with a Codex payload)\n',
    );
  });

  it('rejects a bad --budget clearly', () => {
    const { repo, env } = world();
    const result = runCli(['session-start', '--cwd', repo, '--budget', 'lots'], { env });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('codex-self-evolution: --budget must be a positive integer, got "lots"\n');
  });
});

describe('CLI basics', () => {
  it('unknown commands are usage errors (exit 2)', () => {
    const { env } = world();
    const result = runCli(['frobnicate'], { env });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
  });

  it('--version prints the package version', () => {
    const { env } = world();
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(runCli(['--version'], { env })).toEqual({ status: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('status is read-only and reports buckets and queue counts', () => {
    const { home, repo, env } = world();
    seedMemory(home, repo, { user: [], global: [] });
    const before = readdirSync(join(home, 'projects'));
    const result = runCli(['status'], { env });
    expect(result.status).toBe(0);
    const status = JSON.parse(result.stdout) as Record<string, any>;
    expect(status.home).toBe(home);
    expect(status.buckets).toHaveLength(1);
    expect(status.buckets[0].counts).toEqual({ pending: 0, processing: 0, done: 0, failed: 0, discarded: 0 });
    expect(readdirSync(join(home, 'projects'))).toEqual(before);
  });

  it('status never prints provider key values', () => {
    const { home, env } = world();
    mkdirSync(home, { recursive: true });
    writeFileSync(
      join(home, '.env.provider'),
      'OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789\n',
    );
    chmodSync(join(home, '.env.provider'), 0o600);
    const result = runCli(['status'], { env });
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain('sk-proj-abcdef');
    expect(JSON.parse(result.stdout).env_provider.keys_set).toEqual(['OPENAI_API_KEY']);
  });

  it('names a recall command that finds a note from /bin/sh with a plain PATH, in the repository', () => {
    const { home, repo, env } = world();
    mkdirSync(join(repo, '.git'));
    const paths = resolveStatePaths({ cwd: repo, home });
    mkdirSync(paths.recallDir, { recursive: true });
    const record = {
      id: 'r1',
      summary: 'Database migrations',
      content: 'Run migrations with `make migrate-up` against the docker compose db.',
      source_paths: [],
      cwd: repo,
      repo_fingerprint: paths.repoFingerprint,
      thread_id: 't',
      turn_id: 'u',
    };
    writeFileSync(paths.recallIndex, `${JSON.stringify({ records: [record] })}\n`);
    const result = runCli(['session-start', '--from-stdin'], { input: payloadFor(repo), env });
    const context = (JSON.parse(result.stdout) as { hookSpecificOutput: { additionalContext: string } })
      .hookSpecificOutput.additionalContext;
    const line = /^ {4}(.+) recall "<focused query>"$/m.exec(context);
    expect(line, context).not.toBeNull();
    const command = `${line![1]!} recall "how are database migrations run"`;
    const shell = spawnSync('/bin/sh', ['-c', command], {
      cwd: repo,
      env: { PATH: '/usr/bin:/bin', HOME: env.HOME, CODEX_SELF_EVOLUTION_HOME: home },
      encoding: 'utf8',
    });
    expect(shell.stderr).toBe('');
    expect(shell.status).toBe(0);
    expect(shell.stdout).toContain('make migrate-up');
  });
});
