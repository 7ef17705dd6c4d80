/**
 * The process runner (src/core/process): the tree-killing timeout and abort of `runProcess`, the
 * typed outcome of both forms (start failures, output caps, Node's own error messages), and the
 * detached start of the review worker.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { spawnDetached } from '../../../src/core/process/detached.js';
import { runProcess, runSync } from '../../../src/core/process/run.js';
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

async function waitDead(pid: number): Promise<boolean> {
  for (let i = 0; i < 80 && alive(pid); i++) await sleep(25);
  return !alive(pid);
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
      outputTooLarge: false,
      spawnError: undefined,
      systemError: undefined,
    });
  });

  it('passes arguments as they are, never through a shell', async () => {
    const dir = tempDir();
    const file = script(dir, 'prog', 'printf "%s\\n" "$@"');
    const out = await runProcess([file, '$(touch pwned)', '; echo x', '*'], base(dir));
    expect(out.stdout).toBe('$(touch pwned)\n; echo x\n*\n');
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('gives the child exactly the environment it is handed, and writes input to its stdin', async () => {
    const dir = tempDir();
    const file = script(dir, 'prog', 'echo "${ONLY:-unset}|${HOME:-nohome}"; cat');
    const out = await runProcess([file], {
      ...base(dir),
      env: { PATH: process.env.PATH, ONLY: 'yes', DROPPED: undefined },
      input: 'from stdin',
    });
    expect(out.stdout).toBe('yes|nohome\nfrom stdin');
  });

  it('kills the whole process tree on timeout: a sleep the child started dies too', async () => {
    const dir = tempDir();
    // Both ignore SIGTERM (an ignored signal is inherited): only the SIGKILL of the group ends them.
    const file = script(
      dir,
      'prog',
      `trap '' TERM\nsleep 300 &\necho $! > '${dir}/child'\necho $$ > '${dir}/self'\nwait`,
    );
    const out = await runProcess([file], { ...base(dir), timeoutMs: 1000 });
    expect(out.timedOut).toBe(true);
    expect(out).toMatchObject({ exitCode: undefined, signal: 'SIGKILL', aborted: false });
    const child = Number(await waitForFile(join(dir, 'child')));
    const self = Number(await waitForFile(join(dir, 'self')));
    expect(self).toBe(out.pid);
    // The leader ignored SIGTERM: SIGKILL after the grace period took it and its child.
    expect(alive(self)).toBe(false);
    expect(await waitDead(child)).toBe(true);
  });

  it('a grandchild that does not ignore SIGTERM dies at the first signal of the group', async () => {
    const dir = tempDir();
    const file = script(dir, 'prog', `sleep 300 &\necho $! > '${dir}/child'\nwait`);
    const out = await runProcess([file], { ...base(dir), timeoutMs: 800, killGraceMs: 60_000 });
    expect(out).toMatchObject({ timedOut: true, signal: 'SIGTERM' });
    expect(await waitDead(Number(await waitForFile(join(dir, 'child'))))).toBe(true);
  });

  it('kills what the program left running when it exits on its own', async () => {
    const dir = tempDir();
    const file = script(dir, 'prog', `sleep 300 >/dev/null 2>&1 &\necho $! > '${dir}/child'\nexit 0`);
    const out = await runProcess([file], base(dir));
    expect(out.exitCode).toBe(0);
    expect(await waitDead(Number(await waitForFile(join(dir, 'child'))))).toBe(true);
  });

  it('stops the process tree on abort', async () => {
    const dir = tempDir();
    const file = script(dir, 'prog', `sleep 300 &\necho $! > '${dir}/child'\nwait`);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const out = await runProcess([file], { ...base(dir), signal: controller.signal });
    expect(out).toMatchObject({ aborted: true, timedOut: false, exitCode: undefined });
    expect(await waitDead(Number(await waitForFile(join(dir, 'child'))))).toBe(true);
  });

  it('an already aborted signal stops the run at once', async () => {
    const dir = tempDir();
    const file = script(dir, 'prog', 'sleep 300');
    const out = await runProcess([file], { ...base(dir), signal: AbortSignal.abort() });
    expect(out).toMatchObject({ aborted: true, timedOut: false });
    expect(out.durationMs).toBeLessThan(20_000);
  });

  it('reports a program that is not there as a start failure, with its code', async () => {
    const dir = tempDir();
    const out = await runProcess([join(dir, 'missing')], base(dir));
    expect(out).toMatchObject({ exitCode: undefined, spawnErrorCode: 'ENOENT', timedOut: false });
    expect(out.spawnError).toMatch(/ENOENT/);
    expect(out.systemError).toBe(out.spawnError);
  });

  it('reports a program that cannot be executed', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'noexec'), 'x');
    const out = await runProcess([join(dir, 'noexec')], base(dir));
    expect(out.spawnError).toMatch(/EACCES/);
    expect(out.spawnErrorCode).toBe('EACCES');
  });

  it('stops a child that prints more than the cap and says so', async () => {
    const dir = tempDir();
    const file = script(dir, 'prog', `head -c 200000 /dev/zero | tr '\\0' x\nsleep 300`);
    const out = await runProcess([file], { ...base(dir), maxOutputBytes: 1000 });
    expect(out).toMatchObject({ outputTooLarge: true, timedOut: false, spawnError: undefined });
    expect(out.stdout.length).toBeLessThanOrEqual(1000);
    expect(out.exitCode).toBeUndefined();
  });

  it('caps stderr too', async () => {
    const dir = tempDir();
    const file = script(dir, 'prog', `head -c 200000 /dev/zero | tr '\\0' x >&2`);
    const out = await runProcess([file], { ...base(dir), maxOutputBytes: 1000 });
    expect(out.outputTooLarge).toBe(true);
    expect(out.stderr.length).toBeLessThanOrEqual(1000);
  });
});

describe('runSync', () => {
  it('captures stdout, stderr and the exit code, in the given cwd, with the given input', () => {
    const dir = tempDir();
    const file = script(dir, 'prog', 'pwd; echo "$1"; cat; echo oops >&2; exit 4');
    const out = runSync([file, 'a b'], { cwd: dir, timeoutMs: 20_000, input: 'in' });
    expect(out).toMatchObject({
      exitCode: 4,
      signal: undefined,
      stdout: `${dir}\na b\nin`,
      stderr: 'oops\n',
      timedOut: false,
      outputTooLarge: false,
      spawnError: undefined,
      systemError: undefined,
    });
  });

  it('uses our environment by default and exactly the one given otherwise', () => {
    const dir = tempDir();
    const file = script(dir, 'prog', 'echo "${CSEP_RUN_TEST_VAR:-unset}"');
    process.env.CSEP_RUN_TEST_VAR = 'ours';
    try {
      expect(runSync([file], { timeoutMs: 20_000 }).stdout).toBe('ours\n');
      expect(runSync([file], { timeoutMs: 20_000, env: { PATH: process.env.PATH } }).stdout).toBe('unset\n');
    } finally {
      delete process.env.CSEP_RUN_TEST_VAR;
    }
  });

  it('kills the child on timeout and keeps Node message for it', () => {
    const dir = tempDir();
    const file = script(dir, 'prog', 'exec sleep 300');
    const out = runSync([file], { timeoutMs: 500 });
    expect(out).toMatchObject({
      timedOut: true,
      exitCode: undefined,
      signal: 'SIGTERM',
      spawnError: undefined,
    });
    expect(out.systemError).toMatch(/ETIMEDOUT/);
  });

  it('reports a missing program as a start failure, in the words spawnSync used', () => {
    const out = runSync(['csep-no-such-program-here'], { timeoutMs: 20_000 });
    expect(out).toMatchObject({
      exitCode: undefined,
      spawnErrorCode: 'ENOENT',
      spawnError: 'spawnSync csep-no-such-program-here ENOENT',
      systemError: 'spawnSync csep-no-such-program-here ENOENT',
    });
  });

  it('stops a child that prints more than the cap', () => {
    const dir = tempDir();
    const file = script(dir, 'prog', `head -c 200000 /dev/zero | tr '\\0' x`);
    const out = runSync([file], { timeoutMs: 20_000, maxOutputBytes: 1000 });
    expect(out.outputTooLarge).toBe(true);
    expect(out.stdout.length).toBeLessThanOrEqual(1000);
    expect(out.systemError).toMatch(/ENOBUFS/);
  });
});

describe('spawnDetached', () => {
  it('starts the program in its own process group with our arguments and environment, unwaited', async () => {
    const dir = tempDir();
    const file = script(
      dir,
      'prog',
      `ps -o pgid= -p $$ | tr -d ' ' > '${dir}/pgid.tmp'; echo "$$ $1 $MARK" >> '${dir}/pgid.tmp'; mv '${dir}/pgid.tmp' '${dir}/out'`,
    );
    const errors: Error[] = [];
    spawnDetached([file, 'arg one'], {
      cwd: dir,
      env: { PATH: process.env.PATH, MARK: 'set' },
      onError: (e) => errors.push(e),
    });
    const [pgid, line] = (await waitForFile(join(dir, 'out'))).split('\n');
    const [pid, ...rest] = line!.split(' ');
    // Its own group: it leads it, so a signal to our group never reaches it.
    expect(pgid).toBe(pid);
    expect(rest.join(' ')).toBe('arg one set');
    expect(errors).toEqual([]);
  });

  it('hands a start failure found later to onError instead of throwing', async () => {
    const dir = tempDir();
    const errors: Error[] = [];
    expect(() =>
      spawnDetached([join(dir, 'missing')], { cwd: dir, env: {}, onError: (e) => errors.push(e) }),
    ).not.toThrow();
    for (let i = 0; i < 80 && errors.length === 0; i++) await sleep(25);
    expect(errors[0]?.message).toMatch(/ENOENT/);
  });
});
