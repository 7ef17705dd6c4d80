/**
 * The plugin form of our Claude Code hooks, for users who manage hooks with `claude plugin`.
 *
 * The directory written is a one-plugin marketplace:
 *
 * ```
 * <dir>/.claude-plugin/marketplace.json            the marketplace, listing the plugin
 * <dir>/plugin/.claude-plugin/plugin.json          the plugin
 * <dir>/plugin/hooks/hooks.json                    its hooks: the same commands as settings.json
 * ```
 *
 * `claude plugin marketplace add <dir>`, then
 * `claude plugin install codex-self-evolution@codex-self-evolution`, installs it;
 * `claude --plugin-dir <dir>/plugin` loads it for one session. The hook commands are byte for
 * byte those `install --agent claude-code` writes into settings.json, and Claude Code runs
 * identical commands once, so having both never reviews a turn twice.
 *
 * A directory that holds anything else is refused, so the command never writes into a folder it
 * did not create (apart from an empty one).
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../errors.js';
import { writeFileAtomic } from '../../fs/atomic.js';
import { isRecord } from '../../json.js';
import type { Launcher } from '../types.js';
import { CLAUDE_HOOKS, claudeHookCommand } from './settings.js';

/** Plugin and marketplace name. */
export const PLUGIN_NAME = 'codex-self-evolution';

/** The plugin directory cannot be written (not ours, not a directory). */
export class PluginDirError extends AppError {}

/** The files of the plugin form, relative path → text. */
export function pluginFiles(launcher: Launcher, version: string): Record<string, string> {
  const hooks: Record<string, unknown[]> = {};
  for (const spec of CLAUDE_HOOKS) {
    const handler = {
      type: 'command',
      command: claudeHookCommand(spec.subcommand, launcher),
      timeout: spec.timeout,
    };
    hooks[spec.event] = [
      spec.matcher === undefined ? { hooks: [handler] } : { matcher: spec.matcher, hooks: [handler] },
    ];
  }
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const description =
    'Learns from finished turns and injects what was learned about the repository at session start and on each prompt';
  return {
    '.claude-plugin/marketplace.json': json({
      name: PLUGIN_NAME,
      owner: { name: PLUGIN_NAME },
      plugins: [{ name: PLUGIN_NAME, source: './plugin', description }],
    }),
    'plugin/.claude-plugin/plugin.json': json({ name: PLUGIN_NAME, version, description }),
    'plugin/hooks/hooks.json': json({ description: `${PLUGIN_NAME} ${version} hooks`, hooks }),
  };
}

/** Whether `dir` is empty, missing, or holds our marketplace (and may be (re)written). */
function writable(dir: string): boolean {
  if (!existsSync(dir)) return true;
  if (!lstatSync(dir).isDirectory()) return false;
  if (readdirSync(dir).length === 0) return true;
  try {
    const market: unknown = JSON.parse(readFileSync(join(dir, '.claude-plugin', 'marketplace.json'), 'utf8'));
    return isRecord(market) && market.name === PLUGIN_NAME;
  } catch {
    return false;
  }
}

/**
 * Writes (or refreshes) the plugin form into `dir`. Returns each file with whether it changed.
 * @throws {PluginDirError} when `dir` exists and is not an empty directory or one written by this.
 */
export function writePluginDir(
  dir: string,
  launcher: Launcher,
  version: string,
  dryRun = false,
): Array<{ path: string; changed: boolean }> {
  if (!writable(dir))
    throw new PluginDirError(
      `${dir} exists and is not a codex-self-evolution plugin directory; nothing was written`,
      {
        hint: 'name an empty or new directory',
      },
    );
  const out: Array<{ path: string; changed: boolean }> = [];
  for (const [relative, text] of Object.entries(pluginFiles(launcher, version))) {
    const path = join(dir, relative);
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    const changed = current !== text;
    if (changed && !dryRun) {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileAtomic(path, text, { mode: 0o644 });
    }
    out.push({ path, changed });
  }
  return out;
}
