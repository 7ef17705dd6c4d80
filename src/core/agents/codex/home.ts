/** Where Codex keeps its configuration, sessions and skills. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { readEnv } from '../../env.js';

/** `--codex-home`, else `$CODEX_HOME`, else `~/.codex` (absolute). */
export function resolveCodexHome(override?: string, env: NodeJS.ProcessEnv = process.env): string {
  const raw = override ?? readEnv('CODEX_HOME', env) ?? join(homedir(), '.codex');
  if (raw === '~') return homedir();
  return resolve(raw.startsWith('~/') ? join(homedir(), raw.slice(2)) : raw);
}
