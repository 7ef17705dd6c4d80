/**
 * Starting a program that outlives us: the Stop hook's review worker.
 *
 * The one place that starts a process without execa. The Stop hook runs at the end of every agent
 * turn and must return in little more than Node's start-up time; importing execa costs tens of
 * milliseconds there (more than the rest of the hook's own imports together), while
 * `node:child_process` is built into Node. Nothing is waited for or captured here, so execa would
 * add nothing but that cost.
 */
import { spawn } from 'node:child_process';

/** How to start a detached program. */
export interface DetachedOptions {
  cwd: string;
  /** The program's whole environment. */
  env: Readonly<Record<string, string | undefined>>;
  /** Called if the program cannot be started after all (an `error` event, e.g. ENOENT). */
  onError: (error: Error) => void;
}

/**
 * Starts `argv` (program first, never through a shell) in its own process group with no stdio
 * shared with us, and does not wait for it: our exit neither waits for nor kills it. Throws when
 * Node refuses the spawn at once; a failure found later goes to `onError`.
 */
export function spawnDetached(argv: readonly string[], options: DetachedOptions): void {
  const [file, ...args] = argv;
  const child = spawn(file!, args, {
    detached: true,
    stdio: 'ignore',
    shell: false,
    cwd: options.cwd,
    env: options.env,
  });
  child.on('error', options.onError);
  child.unref();
}
