/**
 * Global setup: in-process code that defaults to `$CODEX_HOME` (native skill projection, hook
 * inspection) must never touch the real ~/.codex (nor ~/.claude), so the whole run gets a temp CODEX_HOME
 * (inherited by the test workers) that is removed at the end. Tests that need a specific one
 * pass it explicitly.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'csep-codex-home-')));
  process.env.CODEX_HOME = dir;
  // Likewise Claude Code's config dir (its hooks, skills and sessions default to ~/.claude).
  process.env.CLAUDE_CONFIG_DIR = join(dir, 'claude-config');
  return () => rmSync(dir, { recursive: true, force: true });
}
