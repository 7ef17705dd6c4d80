/** Expected errors of the compiler (subclasses of AppError, see src/core/errors.ts). */
import { AppError, type AppErrorOptions } from '../errors.js';

/** The compile lock was taken away while this process held it (defined with the lock). */
export { LockCompromisedError } from '../lock/lock.js';

/** The requested backend cannot run and falling back to `script` is not allowed. */
export class BackendUnavailableError extends AppError {}

/** A batch failed before anything was applied; its envelopes were returned to the queue. */
export class BatchFailedError extends AppError {
  readonly stage: string;

  constructor(stage: string, message: string, options: AppErrorOptions = {}) {
    super(`${stage}: ${message}`, options);
    this.stage = stage;
  }
}

/** The compile was interrupted (SIGINT/SIGTERM) before a batch was applied. */
export class CompileAbortedError extends AppError {}
