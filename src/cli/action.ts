/**
 * Running one command's action, without commander: the invocation is started and logged, and every
 * error maps to one exit code (0 ok, 1 failure, 2 usage). An expected error prints one line (plus a
 * hint); anything else prints "internal error" and its stack only with `--debug`. The commander
 * program (program.ts) and the `recall` fast path (recall-fast.ts) both run actions through here.
 */
import { basename } from 'node:path';
import { describeError, EXIT, isAppError, logError } from '../core/index.js';
import type { CommandContext } from './context.js';
import { finishInvocation, startInvocation, type Invocation } from './invocation.js';
import { VERSION } from './version.js';

/** A command's implementation: its options, the shared context, its positional arguments. */
export type Action<O> = (options: O, ctx: CommandContext, args: string[]) => Promise<number | void>;

/** The bin the user typed (`csep` or `codex-self-evolution`), for messages. */
export function programName(): string {
  const name = basename(process.argv[1] ?? 'codex-self-evolution').replace(/\.js$/, '');
  return name === 'csep' ? 'csep' : 'codex-self-evolution';
}

/**
 * Loads and runs an action with its invocation logged; returns the exit code. `hydrate: false`
 * skips `.env.provider` (commands that never call a provider).
 */
export async function runAction<O extends { home?: string }>(
  kind: string,
  load: () => Promise<Action<O>>,
  opts: O,
  args: string[],
  options: { debug: boolean; hydrate?: boolean },
): Promise<number> {
  let invocation: Invocation;
  try {
    invocation = startInvocation({
      ...(options.hydrate === false ? { hydrate: false } : {}),
      ...(opts.home ? { home: opts.home } : {}),
    });
  } catch (error) {
    // No usable home (HOME unset or missing): a clear message, exit 2, and nothing written.
    return reportError(error, options.debug);
  }
  const ctx: CommandContext = { invocation, debug: options.debug };
  let code: number;
  try {
    const action = await load();
    code = (await action(opts, ctx, args)) ?? EXIT.ok;
  } catch (error) {
    code = reportError(error, ctx.debug);
    ctx.invocation.extras.error_type = error instanceof Error ? error.name : typeof error;
    ctx.invocation.extras.error_message = describeError(error);
    if (!isAppError(error)) logError(`${kind} crashed: ${describeError(error)}`, { kind });
  }
  finishInvocation(ctx.invocation, kind, code);
  return code;
}

/** File-system errors that are about the machine, not a bug. */
const ENVIRONMENT_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EMFILE: 'too many open files',
};

/** Prints an error the way a user can act on, returns its exit code. */
export function reportError(error: unknown, debug: boolean): number {
  const prog = programName();
  if (isAppError(error)) {
    process.stderr.write(`${prog}: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  // The machine, not the program: a full disk, a read-only or forbidden path. Say so plainly.
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && ENVIRONMENT_ERRORS[code]) {
    process.stderr.write(
      `${prog}: ${ENVIRONMENT_ERRORS[code]}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.stderr.write(
      'hint: nothing was half-written; queued work stays queued and is retried on the next run\n',
    );
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return EXIT.failure;
  }
  process.stderr.write(`${prog}: internal error: ${describeError(error)}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  else
    process.stderr.write(
      `(run again with --debug for the stack; please report it with version ${VERSION})\n`,
    );
  return EXIT.failure;
}
