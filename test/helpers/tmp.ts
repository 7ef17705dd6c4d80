/** Temp directories for tests: created with mkdtemp + realpath, removed after the test. */
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * Pids of the processes (other than this one) that name `dir` on their command line or work in
 * it: the detached review workers a test's hooks started, and what they run. Linux only (/proc);
 * elsewhere none are seen.
 */
function processesUsing(dir: string): number[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid);
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const pid of pids) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cmdline.includes(dir) || cwd === dir || cwd.startsWith(`${dir}/`)) found.push(Number(pid));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** Waits (up to `timeoutMs`) until no process uses `dir`. */
async function settled(dir: string, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (processesUsing(dir).length > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
}

/** A fresh temp dir removed when the current test finishes. */
export function tempDir(prefix = 'csep-test-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  onTestFinished(async () => {
    // A detached worker the test's hooks started may still be running (slowly, on a loaded
    // machine): it finishes before its files are removed.
    await settled(dir);
    try {
      chmodSync(dir, 0o700);
    } catch {
      // Ignore: best effort before removal.
    }
    // A detached worker a test started may still be finishing a write (slowly, on a loaded
    // machine): retry with a growing delay, about 20 s in all, instead of failing.
    rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  });
  return dir;
}
