/**
 * `--agent all` for install and uninstall: the command runs once per registered agent, each in its
 * own config directory, and answers once (one JSON object with every agent's answer, or the
 * reports one after the other). `--config-dir` names one agent's directory and is refused here;
 * `--codex-home` still names Codex's.
 */
import { loadAgentRegistry, UsageError } from '../core/index.js';
import { printJson, printText } from './output.js';
import type { CommandContext } from './context.js';
import type { CommandOutput } from './command-output.js';

const { AGENT_NAMES, DEFAULT_AGENT } = await loadAgentRegistry();

/** The options `--agent all` looks at; the rest is passed to each agent's run as it is. */
interface AllOptions {
  agent?: string;
  configDir?: string;
  codexHome?: string;
  reviewer?: string;
  pluginDir?: string;
  json?: boolean;
}

/** Runs `runOne` for every agent and prints one answer. Returns the worst exit code. */
export async function forEachAgent<O extends AllOptions>(
  options: O,
  _ctx: CommandContext,
  runOne: (options: O, out: CommandOutput) => Promise<number>,
  command: 'install' | 'uninstall',
): Promise<number> {
  if (options.configDir !== undefined)
    throw new UsageError(
      `--config-dir names one agent's directory; with --agent all each agent uses its own`,
      {
        hint: `run ${command} --agent <name> --config-dir DIR for that agent (--codex-home still names Codex's)`,
      },
    );
  if (options.pluginDir !== undefined)
    throw new UsageError('--plugin-dir is a Claude Code plugin; use it with --agent claude-code');
  const answers: Record<string, Record<string, unknown>> = {};
  const texts: string[] = [];
  let code = 0;
  for (const [i, name] of AGENT_NAMES.entries()) {
    const one = { ...options, agent: name } as O;
    delete one.configDir;
    if (name !== DEFAULT_AGENT) delete one.codexHome;
    // The reviewer is switched once.
    if (i > 0) delete one.reviewer;
    code = Math.max(
      code,
      await runOne(one, {
        json: (value) => (answers[name] = value),
        text: (text) => texts.push(text.replace(/\n$/, '')),
      }),
    );
  }
  if (options.json) {
    const statuses = Object.values(answers).map((a) => a.status);
    printJson({
      status: statuses.every((s) => s === statuses[0]) ? statuses[0] : 'mixed',
      agents: answers,
    });
  } else printText(texts.join('\n\n'));
  return code;
}
