/**
 * Makes sure `dist/` is built from the current sources before a test spawns the CLI.
 *
 * `npm test` builds first, so in CI this does nothing. When a developer runs one test file after
 * editing `src/`, it builds once; concurrent test files wait for that build instead of starting
 * their own (two `tsc` runs rewriting dist/ under a running CLI made spawned processes import
 * half-written modules).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './run-cli.js';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  try {
    return statSync(join(REPO_ROOT, 'dist', 'cli', 'main.js')).mtimeMs >= newestMtime(join(REPO_ROOT, 'src'));
  } catch {
    return false;
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Builds dist/ when it is older than src/, one build at a time across test workers. */
export function ensureBuilt(): void {
  if (isFresh()) return;
  const lock = join(REPO_ROOT, '.build-lock');
  const deadline = Date.now() + 170_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another worker is building: wait for it, then use its result.
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${lock} (remove it if no build is running)`);
      sleep(200);
      if (isFresh()) return;
    }
  }
  try {
    if (isFresh()) return;
    const build = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
  } finally {
    rmdirSync(lock);
  }
}
