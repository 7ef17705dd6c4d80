/**
 * Spawns the built CLI (`bin/*.js` → `dist/`) in a clean environment, the way Codex runs a hook:
 * fresh process, payload on stdin, stdout/stderr/exit code captured.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(REPO_ROOT, 'bin', 'codex-self-evolution.js');
export const CSEP = join(REPO_ROOT, 'bin', 'csep.js');

export interface CliResult {
  stdout: string;
  stderr: string;
  status: number | null;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  bin?: string;
  timeoutMs?: number;
}

/** Runs the CLI with `args`. `env` is added to a minimal environment ({PATH, NO_COLOR}). */
export function runCli(args: readonly string[], options: RunOptions = {}): CliResult {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1' };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  const result = spawnSync(process.execPath, [options.bin ?? CLI, ...args], {
    input: options.input ?? '',
    env,
    cwd: options.cwd ?? REPO_ROOT,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 30_000,
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/**
 * Like {@link runCli} but asynchronous: use it when the test process itself serves something the
 * CLI talks to (a fake provider on 127.0.0.1), since `spawnSync` would block that server.
 */
export function runCliAsync(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1' };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.bin ?? CLI, ...args], {
      env,
      cwd: options.cwd ?? REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status });
    });
    child.stdin.end(options.input ?? '');
  });
}
