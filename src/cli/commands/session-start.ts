/** `session-start --cwd DIR`: the full session object the Python package returned (read-only). */
import {
  buildSessionContext,
  logWarn,
  readRegularText,
  resolveContextBudget,
  resolveStatePaths,
  resolveTeamSettings,
  sessionStartObject,
  UsageError,
} from '../../core/index.js';
import { printJson } from '../output.js';
import type { CommandContext } from '../context.js';

export interface SessionStartOptions {
  cwd?: string;
  stateDir?: string;
  budget?: string;
  fromStdin?: boolean;
}

function readOr(file: string, fallback: string): string {
  try {
    return readRegularText(file);
  } catch {
    return fallback;
  }
}

export async function run(options: SessionStartOptions, ctx: CommandContext): Promise<number> {
  if (!options.cwd)
    throw new UsageError('session-start needs --cwd <path> (or --from-stdin with a Codex payload)');
  let budget: number | undefined;
  if (options.budget !== undefined) {
    budget = Number(options.budget);
    if (!Number.isInteger(budget) || budget <= 0)
      throw new UsageError(`--budget must be a positive integer, got "${options.budget}"`);
  }
  const paths = resolveStatePaths({
    cwd: options.cwd,
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    home: ctx.invocation.home,
  });
  const team = (await resolveTeamSettings(ctx.invocation.home)).enabled;
  const context = await buildSessionContext(paths, {
    budgetChars: budget ?? (await resolveContextBudget(ctx.invocation.home)),
    team,
  });
  for (const problem of context.problems) logWarn(`session-start: ${problem}`, { kind: 'session-start' });
  printJson(
    await sessionStartObject(paths, context, {
      userMd: readOr(paths.userMd, '# USER\n\n_No entries yet._\n'),
      memoryMd: readOr(paths.memoryMd, '# MEMORY\n\n_No entries yet._\n'),
    }),
  );
  return 0;
}
