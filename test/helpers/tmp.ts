/** Temp directories for tests: created with mkdtemp + realpath, removed after the test. */
import { mkdtempSync, realpathSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** A fresh temp dir removed when the current test finishes. */
export function tempDir(prefix = 'csep-test-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  onTestFinished(() => {
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
