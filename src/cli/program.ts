/**
 * The commander program. Command definitions live here (cheap); each action lazily imports its
 * implementation from `commands/<verb>.ts` and runs it through `action.ts`, the one place that maps
 * errors to exit codes: 0 ok, 1 failure, 2 usage.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT, loadAgentRegistry, UsageError } from '../core/index.js';
import { type Action, programName, reportError, runAction } from './action.js';
import { VERSION } from './version.js';

// Loaded with this module: the option help names the agents.
const { AGENT_NAMES, DEFAULT_AGENT } = await loadAgentRegistry();

/** Wraps a lazily loaded action so the invocation is logged and errors map to exit codes. */
function lazy<O>(kind: string, load: () => Promise<Action<O>>, options: { hydrate?: boolean } = {}) {
  return async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const opts = command.opts() as O & { home?: string };
    const globals = command.optsWithGlobals() as { debug?: boolean };
    process.exitCode = await runAction(kind, load, opts, command.args, {
      debug: Boolean(globals.debug),
      ...(options.hydrate === false ? { hydrate: false } : {}),
    });
  };
}

/** Builds the program (exported for in-process tests). */
export function buildProgram(): Command {
  const program = new Command(programName())
    .description(
      'Makes OpenAI Codex learn across sessions: learned memory, recall and skills per repository.',
    )
    .version(VERSION)
    .option('--debug', 'print stacks of unexpected errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command('session-start')
    .description('print the learned background of a repository (the SessionStart hook with --from-stdin)')
    .option('--cwd <path>', 'repository or directory the session works in')
    .option('--state-dir <path>', 'use this state directory instead of the repository bucket')
    .option('--home <path>', 'state home (default $CODEX_SELF_EVOLUTION_HOME or ~/.codex-self-evolution)')
    .option('--budget <chars>', 'size budget of the injected text (default 8000)')
    .option('--from-stdin', 'read the Codex hook payload from stdin (hook mode)')
    .action(lazy('session-start', async () => (await import('./commands/session-start.js')).run));

  program
    .command('status')
    .description('read-only diagnostics: a summary on a terminal, the full JSON with --json or when piped')
    .option('--home <path>', 'state home to inspect')
    .option('--json', 'the full JSON document (the default when stdout is not a terminal)')
    .action(lazy('status', async () => (await import('./commands/status.js')).run, { hydrate: true }));

  program
    .command('stop-review')
    .description('review a finished turn (the Stop hook with --from-stdin; --hook-payload for one payload)')
    .option('--from-stdin', 'read the Codex Stop payload from stdin, spool it and return (hook mode)')
    .option('--hook-payload <file>', 'review this payload synchronously and print the result')
    .option('--cleanup-payload', 'delete the --hook-payload file afterwards')
    .option('--state-dir <path>', 'use this state directory instead of the repository bucket')
    .option('--cwd <path>', 'repository the turn belongs to (default: the payload cwd)')
    .option('--home <path>', 'state home')
    .option('--drain', 'review every spooled turn of the bucket (the detached worker)')
    .option('--retry-now', 'with --drain: ignore retry backoff and try every spooled turn once now')
    .option('--retry-dead', 'put turns parked after repeated failures back in the spool')
    .action(lazy('stop-review', async () => (await import('./commands/stop-review.js')).run));

  const cfg = program
    .command('config')
    .description('show, check and switch the reviewer configuration (<home>/config.toml)');
  const loadConfigCommands = async () => import('./commands/config.js');
  const HOME = ['--home <path>', 'state home for this call'] as const;
  cfg
    .command('path')
    .description('print the config file path')
    .option(...HOME)
    .action(lazy('config-path', async () => (await loadConfigCommands()).runPath, { hydrate: false }));
  cfg
    .command('init')
    .description('write the commented template (active profile: local)')
    .option('--force', 'overwrite an existing config.toml')
    .option(...HOME)
    .action(lazy('config-init', async () => (await loadConfigCommands()).runInit, { hydrate: false }));
  cfg
    .command('show')
    .description('the resolved configuration with the source of each value (keys shown only as set/unset)')
    .option('--raw', 'print the file text (secret-looking values masked)')
    .option(...HOME)
    .action(lazy('config-show', async () => (await loadConfigCommands()).runShow));
  cfg
    .command('validate')
    .description('check the file; exit 1 on warnings, 2 on errors')
    .option(...HOME)
    .action(lazy('config-validate', async () => (await loadConfigCommands()).runValidate));
  cfg
    .command('use')
    .description('switch the reviewer: a profile or a reviewer (codex, claude, opencode, local...)')
    .argument('<profile>')
    .option(...HOME)
    .action(lazy('config-use', async () => (await loadConfigCommands()).runUse, { hydrate: false }));
  cfg
    .command('list-profiles')
    .description('the profiles and which one is active')
    .option(...HOME)
    .action(lazy('config-list-profiles', async () => (await loadConfigCommands()).runListProfiles));

  program
    .command('compile')
    .description(
      'compile pending suggestions of a repository into memory, recall and skills (drains the queue in batches)',
    )
    .option('--state-dir <path>', 'use this state directory instead of the repository bucket')
    .option('--repo-root <path>', 'repository whose bucket to compile (default: the current directory)')
    .option('--home <path>', 'state home')
    .option('--once', 'one pass that compiles all pending work, then exit (the default)')
    .option('--interval <seconds>', 'repeat a pass every SECONDS until SIGINT/SIGTERM')
    .option(
      '--backend <name>',
      'script | agent:opencode (default: [compile] backend of config.toml, else script)',
    )
    .option('--batch-size <n>', 'envelopes per batch, each batch one transaction and receipt (default 100)')
    .option('--max-batches <n>', 'stop a pass after this many batches (default 1000)')
    .action(lazy('compile', async () => (await import('./commands/compile.js')).run));

  program
    .command('compile-preflight')
    .description('print whether a compile has work: skip_locked | skip_empty | run (no side effects)')
    .option('--state-dir <path>', 'use this state directory instead of the repository bucket')
    .option('--repo-root <path>', 'repository whose bucket to check (default: the current directory)')
    .option('--home <path>', 'state home')
    .action(lazy('compile-preflight', async () => (await import('./commands/compile-preflight.js')).run));

  program
    .command('scan')
    .description('preflight + compile every repository bucket under the home (what the scheduler runs)')
    .option('--home <path>', 'state home')
    .option(
      '--backend <name>',
      'script | agent:opencode (default: [compile] backend of config.toml, else script)',
    )
    .option('--batch-size <n>', 'envelopes per batch (default 100)')
    .action(lazy('scan', async () => (await import('./commands/scan.js')).run));

  const CODEX_HOME_OPT = ['--codex-home <dir>', 'Codex home (default $CODEX_HOME or ~/.codex)'] as const;
  const AGENT_OPT = [
    '--agent <name>',
    `the agent: ${AGENT_NAMES.join(', ')} (default ${DEFAULT_AGENT})`,
  ] as const;
  const AGENTS_OPT = [
    '--agent <name>',
    `the agent: ${AGENT_NAMES.join(', ')} or all (default ${DEFAULT_AGENT})`,
  ] as const;
  const CONFIG_DIR_OPT = [
    '--config-dir <dir>',
    "the agent's config directory (default: its own, e.g. $CODEX_HOME for Codex)",
  ] as const;
  program
    .command('install')
    .description(
      'add the SessionStart, UserPromptSubmit and Stop hooks to $CODEX_HOME/hooks.json (idempotent, backed up)',
    )
    .option(...AGENTS_OPT)
    .option(...CONFIG_DIR_OPT)
    .option(...CODEX_HOME_OPT)
    .option('--trust', "also write the hooks' trust entries into $CODEX_HOME/config.toml")
    .option(
      '--via-npx',
      "run the hooks through `npx -y codex-self-evolution@<version>` (slower hooks; needs the network whenever npm's cache lost it)",
    )
    .option('--dry-run', 'print the planned change and write nothing')
    .option('--json', 'machine-readable output')
    .option('--reviewer <name>', 'also switch the reviewer: codex, claude, opencode or local')
    .option(
      '--plugin-dir <dir>',
      'Claude Code: write the hooks as a plugin there instead of into settings.json',
    )
    .option('--home <path>', 'state home (where config.toml is)')
    .action(lazy('install', async () => (await import('./commands/install.js')).run, { hydrate: false }));
  program
    .command('uninstall')
    .description("remove exactly the hooks install added (other tools' hooks kept)")
    .option(...AGENTS_OPT)
    .option(...CONFIG_DIR_OPT)
    .option(...CODEX_HOME_OPT)
    .option('--include-legacy', 'also remove hooks of the Python codex-self-evolution-plugin')
    .option('--dry-run', 'print the planned change and write nothing')
    .option('--json', 'machine-readable output')
    .action(lazy('uninstall', async () => (await import('./commands/uninstall.js')).run, { hydrate: false }));
  program
    .command('install-scheduler')
    .description('run `scan` every 5 minutes: launchd (macOS), systemd user timer (Linux), else cron')
    .option('--interval <seconds>', 'seconds between scans (default 300)')
    .option('--kind <kind>', 'launchd | systemd | cron (default: detected)')
    .option('--home <path>', 'state home the scans use')
    .option('--dry-run', 'print the files and commands and change nothing')
    .option('--json', 'machine-readable output')
    .action(
      lazy('install-scheduler', async () => (await import('./commands/install-scheduler.js')).run, {
        hydrate: false,
      }),
    );
  program
    .command('uninstall-scheduler')
    .description('stop and remove the scheduled scan (logs are kept)')
    .option('--kind <kind>', 'launchd | systemd | cron (default: whichever is installed)')
    .option('--home <path>', 'state home')
    .option('--dry-run', 'print the commands and change nothing')
    .option('--json', 'machine-readable output')
    .action(
      lazy('uninstall-scheduler', async () => (await import('./commands/uninstall-scheduler.js')).run, {
        hydrate: false,
      }),
    );

  program
    .command('demo')
    .description('run the whole loop offline in a throwaway home on bundled sample sessions (no API key)')
    .option('--keep', 'keep the throwaway home and print where it is')
    .option('--query <text>', 'the recall question of the last step')
    .option('--json', 'print a machine-readable summary instead of the walkthrough')
    .action(lazy('demo', async () => (await import('./commands/demo.js')).run, { hydrate: false }));

  program
    .command('import')
    .description(
      'bootstrap memory from past Codex sessions ($CODEX_HOME/sessions); each turn is reviewed once, ever',
    )
    .option('--repo <dir>', 'only sessions of this repository (default: the current directory)')
    .option('--all', 'sessions of every repository')
    .option('--since <when>', 'only sessions started since a date (2026-11-01) or a number of days ago (30d)')
    .option('--limit <n>', 'at most this many sessions (the newest)')
    .option('--provider <name>', 'reviewer to use (default: the configured one)')
    .option(...AGENT_OPT)
    .option(...CONFIG_DIR_OPT)
    .option('--codex-home <dir>', 'Codex home (default $CODEX_HOME or ~/.codex)')
    .option('--dry-run', 'count what would be reviewed, review nothing')
    .option('--json', 'print the summary as JSON')
    .option('--home <path>', 'state home')
    .action(lazy('import', async () => (await import('./commands/import.js')).run));

  const FORMAT = (help: string) => new Option('--format <format>', help).choices(['json', 'markdown']);
  program
    .command('recall')
    .description(
      'ranked recall of what earlier sessions learned. `codex-self-evolution recall --query Q`: JSON, top 5. Words, or any call through csep: focused markdown, top 3, always exit 0',
    )
    .argument('[words...]', 'the query as words, csep style')
    .option('--query <text>', 'the query as one argument')
    .option('--cwd <path>', 'directory the question is asked from (default: the current directory)')
    .option('--state-dir <path>', 'use this state directory instead of the repository bucket')
    .option('--home <path>', 'state home')
    .option(
      '--top-k <n>',
      'most results (default 5 with --query, 3 with words or through csep; values below 1 become 1)',
    )
    .addOption(FORMAT('output format (default: json with --query, markdown with words or through csep)'))
    .action(lazy('recall', async () => (await import('./commands/recall.js')).run, { hydrate: false }));
  program
    .command('prompt-recall')
    .description(
      'the UserPromptSubmit hook: with --from-stdin, adds the recall notes that match the prompt to it',
    )
    .option('--from-stdin', 'read the Codex UserPromptSubmit payload from stdin (hook mode; the only mode)')
    .option('--budget <chars>', 'size budget of the added text (default 1500, at least 600)')
    .option('--home <path>', 'state home')
    .action(
      lazy('prompt-recall', async () => async () => {
        // With --from-stdin main.ts never gets here; without it there is nothing to answer.
        throw new UsageError(
          'prompt-recall runs as the Codex UserPromptSubmit hook: pipe the hook payload to `prompt-recall --from-stdin`',
          {
            hint: 'to search recall yourself, use: csep recall "<focused query>"',
          },
        );
      }),
    );
  program
    .command('recall-trigger')
    .description(
      'decide whether a query warrants recall (cues, code questions, --explicit) and print the focused recall',
    )
    .requiredOption('--query <text>', 'the query')
    .option('--cwd <path>', 'directory the question is asked from (default: the current directory)')
    .option('--state-dir <path>', 'use this state directory instead of the repository bucket')
    .option('--home <path>', 'state home')
    .option('--explicit', 'recall was asked for: always trigger')
    .option('--top-k <n>', 'most results (default 3; values below 1 become 1)')
    .addOption(FORMAT('output format').default('markdown'))
    .action(
      lazy('recall-trigger', async () => (await import('./commands/recall-trigger.js')).run, {
        hydrate: false,
      }),
    );

  // Inspect, review and undo what was learned (commands/lessons.ts).
  const lessons = async () => import('./commands/lessons.js');
  const REPO = ['--repo <dir>', 'repository whose lessons to use (default: the current directory)'] as const;
  const STATE = ['--state-dir <path>', 'use this state directory instead of the repository bucket'] as const;
  const JSON_OPT = ['--json', 'machine-readable output'] as const;
  const mem = program
    .command('memory')
    .description('what the next session will be told and why; forget, edit, restore entries');
  mem
    .command('list')
    .description(
      'entries with status, provenance, confidence and whether they are injected (default: active ones)',
    )
    .option('--scope <scope>', 'user | global')
    .option('--stale', 'only stale entries (to re-verify)')
    .option('--all', 'also superseded, stale, archived, retired and forgotten entries')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('memory-list', async () => (await lessons()).runMemoryList));
  mem
    .command('show')
    .argument('<id>')
    .description('one entry: evidence, history, supersession chain')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('memory-show', async () => (await lessons()).runMemoryShow));
  mem
    .command('forget')
    .argument('<id>')
    .description('stop injecting an entry (kept in history; undoable)')
    .option('--reason <text>', 'why')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('memory-forget', async () => (await lessons()).runMemoryForget));
  mem
    .command('edit')
    .argument('<id>')
    .description("change an entry's content or summary (same id; undoable)")
    .option('--content <text>', 'new content')
    .option('--summary <text>', 'new summary')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('memory-edit', async () => (await lessons()).runMemoryEdit));
  mem
    .command('restore')
    .argument('<id>')
    .description('make an archived, stale, forgotten or superseded entry active again')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('memory-restore', async () => (await lessons()).runMemoryRestore));
  const rev = program
    .command('review')
    .description('suggestions waiting for a human ([review] policy in config.toml; skills by default)');
  rev
    .command('list')
    .description('staged items with their evidence')
    .option('--all', 'also approved and rejected items')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('review-list', async () => (await lessons()).runReviewList));
  rev
    .command('show')
    .argument('<id>')
    .description('one item in full')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('review-show', async () => (await lessons()).runReviewShow));
  rev
    .command('approve')
    .argument('<id>')
    .description('apply it (compiles now unless --no-compile)')
    .option('--no-compile', 'only queue it for the next compile')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('review-approve', async () => (await lessons()).runReviewApprove));
  rev
    .command('reject')
    .argument('<id>')
    .description('never apply it (kept with the reason)')
    .option('--reason <text>', 'why')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('review-reject', async () => (await lessons()).runReviewReject));
  rev
    .command('edit')
    .argument('<id>')
    .description('change a staged item before approving it')
    .option('--summary <text>')
    .option('--content <text>')
    .option('--title <text>')
    .option('--description <text>')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('review-edit', async () => (await lessons()).runReviewEdit));
  program
    .command('history')
    .description('compile receipts of a repository, newest first (ids for undo)')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('history', async () => (await lessons()).runHistory));
  program
    .command('undo')
    .argument('<receipt-id>')
    .description(
      "revert one compile's file changes byte for byte (refuses if later changes touched the same files)",
    )
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('undo', async () => (await lessons()).runUndo));

  // Team memory through git (commands/team.ts).
  const teamCommands = async () => import('./commands/team.js');
  const team = program
    .command('team')
    .description('share lessons of this repository with teammates through git (.codex-self-evolution/)');
  team
    .command('share')
    .argument('[ids...]')
    .description('copy eligible entries into the shared store of the checkout (never commits)')
    .option('--all', 'every eligible entry')
    .option('--dry-run', 'list what would be written, write nothing')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('team-share', async () => (await teamCommands()).runShare));
  team
    .command('unshare')
    .argument('<id>')
    .description('remove a shared entry (or skill) from the checkout')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('team-unshare', async () => (await teamCommands()).runUnshare));
  team
    .command('status')
    .description('shared entries, local ones eligible to share, conflicts with personal entries, stale ones')
    .option(...REPO)
    .option(...STATE)
    .option(...JSON_OPT)
    .option('--home <path>', 'state home')
    .action(lazy('team-status', async () => (await teamCommands()).runStatus));

  return program;
}

/** Runs the CLI with `argv` (without node and script). Returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0 through here; usage errors were printed by commander.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(error, argv.includes('--debug'));
  }
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
}

export { Option };
