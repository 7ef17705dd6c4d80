import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  opencodeEnv,
  restrictedConfigContent,
  runProcess,
} from '../../../src/core/compiler/backends/opencode/run.js';
import { WORKER_ENV } from '../../../src/core/env.js';
import { tempDir } from '../../helpers/tmp.js';

function script(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** True while `pid` runs (a zombie, killed but not yet reaped by its new parent, is dead). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function waitForFile(file: string): Promise<string> {
  for (let i = 0; i < 200 && !existsSync(file); i++) await sleep(25);
  return readFileSync(file, 'utf8').trim();
}

const base = (dir: string) => ({
  cwd: dir,
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  timeoutMs: 20_000,
  killGraceMs: 500,
});

describe('runProcess', () => {
  it('captures stdout, stderr and the exit code, in the given cwd, with stdin closed', async () => {
    const dir = tempDir();
    // `cat` returns at once because stdin is /dev/null, not an open pipe (which hangs opencode).
    const file = script(dir, 'prog', 'cat; pwd; echo "$1|$2"; echo oops >&2; exit 3');
    const out = await runProcess([file, 'a b', '--'], base(dir));
    expect(out).toMatchObject({
      exitCode: 3,
      stdout: `${dir}\na b|--\n`,
      stderr: 'oops\n',
      timedOut: false,
      aborted: false,
      spawnError: undefined,
    });
  });

  it('kills the whole process tree on timeout, children included', async () => {
    const dir = tempDir();
    // Both ignore SIGTERM (an ignored signal is inherited): only the SIGKILL of the group ends them.
    const file = script(
      dir,
      'prog',
      `trap '' TERM\nsleep 300 &\necho $! > '${dir}/child'\necho $$ > '${dir}/self'\nwait`,
    );
    const out = await runProcess([file], { ...base(dir), timeoutMs: 1000 });
    expect(out.timedOut).toBe(true);
    expect(out).toMatchObject({ exitCode: undefined, signal: 'SIGKILL' });
    const child = Number(await waitForFile(join(dir, 'child')));
    const self = Number(await waitForFile(join(dir, 'self')));
    expect(self).toBe(out.pid);
    // The leader ignored SIGTERM: SIGKILL after the grace period took it and its child.
    expect(alive(self)).toBe(false);
    for (let i = 0; i < 40 && alive(child); i++) await sleep(25);
    expect(alive(child)).toBe(false);
  });

  it('kills what the program left running when it exits on its own', async () => {
    const dir = tempDir();
    const file = script(dir, 'prog', `sleep 300 >/dev/null 2>&1 &\necho $! > '${dir}/child'\nexit 0`);
    const out = await runProcess([file], base(dir));
    expect(out.exitCode).toBe(0);
    const child = Number(await waitForFile(join(dir, 'child')));
    for (let i = 0; i < 40 && alive(child); i++) await sleep(25);
    expect(alive(child)).toBe(false);
  });

  it('stops on abort', async () => {
    const dir = tempDir();
    const file = script(dir, 'prog', 'sleep 300');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const out = await runProcess([file], { ...base(dir), signal: controller.signal });
    expect(out).toMatchObject({ aborted: true, timedOut: false });
  });

  it('reports a program that cannot be started', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'noexec'), 'x');
    const out = await runProcess([join(dir, 'noexec')], base(dir));
    expect(out.spawnError).toMatch(/EACCES/);
  });
});

describe('opencodeEnv', () => {
  it('keeps the user environment, drops our settings and what .env.provider set, marks the worker', () => {
    const home = tempDir();
    writeFileSync(join(home, '.env.provider'), 'MINIMAX_API_KEY=mm-secret\nOPENAI_API_KEY=from-file\n');
    const env = opencodeEnv(
      {
        HOME: '/home/me',
        XDG_CONFIG_HOME: '/home/me/.config',
        PATH: '/usr/bin',
        ANTHROPIC_API_KEY: 'user-own-key',
        MINIMAX_API_KEY: 'mm-secret',
        OPENAI_API_KEY: 'exported-by-user',
        CODEX_SELF_EVOLUTION_HOME: '/x',
        CODEX_SELF_EVOLUTION_REVIEWER_API_KEY: 'ours',
        CSEP_DEBUG: '1',
      },
      home,
    );
    expect(env).toEqual({
      HOME: '/home/me',
      XDG_CONFIG_HOME: '/home/me/.config',
      PATH: '/usr/bin',
      ANTHROPIC_API_KEY: 'user-own-key',
      OPENAI_API_KEY: 'exported-by-user',
      [WORKER_ENV]: '1',
    });
  });
});

describe('restrictedConfigContent', () => {
  it('offers only the read tool and denies other directories, over the user inline config', () => {
    expect(JSON.parse(restrictedConfigContent(undefined))).toEqual({
      tools: { '*': false, read: true },
      permission: { external_directory: 'deny' },
    });
    const merged = JSON.parse(
      restrictedConfigContent(
        JSON.stringify({ model: 'a/b', tools: { read: false, bash: true }, permission: { bash: 'allow' } }),
      ),
    );
    expect(merged).toEqual({
      model: 'a/b',
      tools: { read: true, bash: false, '*': false },
      permission: { bash: 'allow', external_directory: 'deny' },
    });
    expect(JSON.parse(restrictedConfigContent('{"permission":"allow"}')).permission).toEqual({
      '*': 'allow',
      external_directory: 'deny',
    });
    expect(JSON.parse(restrictedConfigContent('not json'))).toEqual({
      tools: { '*': false, read: true },
      permission: { external_directory: 'deny' },
    });
  });
});
