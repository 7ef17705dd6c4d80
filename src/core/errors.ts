/**
 * Error hierarchy. Expected errors are `AppError` subclasses: the CLI prints their message on one
 * line (and a hint when there is one) with the exit code they carry. Anything else is a bug and is
 * printed with its stack only under `--debug`.
 */

/** Exit codes, decided in one place (the CLI maps errors to these). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface AppErrorOptions {
  cause?: unknown;
  hint?: string;
  exitCode?: ExitCode;
}

/** Base class of every expected error. */
export class AppError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? EXIT.failure;
    this.hint = options.hint;
  }
}

/** Bad command-line usage or a bad argument value (exit 2). */
export class UsageError extends AppError {
  constructor(message: string, options: Omit<AppErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: EXIT.usage });
  }
}

/** A configuration file or environment value that cannot be used (exit 2). */
export class ConfigError extends AppError {
  constructor(message: string, options: Omit<AppErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: EXIT.usage });
  }
}

/**
 * A state file that does not match its schema or is not JSON. The message names the file and
 * the JSON path of the first problems, e.g. `…/memory.json: user[2].summary: expected string`.
 */
export class SchemaError extends AppError {
  readonly file: string | undefined;
  readonly issues: readonly string[];

  constructor(file: string | undefined, issues: readonly string[], options: AppErrorOptions = {}) {
    const where = file ?? '<input>';
    super(
      `${where}: ${issues.slice(0, 3).join('; ')}${issues.length > 3 ? ` (+${issues.length - 3} more)` : ''}`,
      options,
    );
    this.file = file;
    this.issues = issues;
  }
}

/** True when `error` is one of ours (an expected error). */
export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** One-line description of any thrown value, for logs and soft failures. Never includes a stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `${error.name}${code ? ` ${code}` : ''}: ${error.message}`.slice(0, 400);
  }
  return String(error).slice(0, 400);
}
