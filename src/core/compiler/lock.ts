/**
 * The compile lock of a bucket: the heartbeat lock (`../lock/lock.ts`) on `compiler/compile.lock`.
 * One compile per bucket at a time; the memory commands and the search-index repair take the same
 * lock, so the compiler stays the only writer of the assets.
 */
import {
  acquireLock,
  lockDirOf as lockDirOfFile,
  lockStatus as lockStatusOfFile,
  withLock,
  type AcquireResult,
  type HeldLock,
  type LockOptions,
  type LockStatus,
  type WaitOptions,
} from '../lock/lock.js';
import type { StatePaths } from '../paths.js';

export { LOCK_STALE_SECONDS, LOCK_HEARTBEAT_MS, LOCK_OWNER } from '../lock/lock.js';
export type { AcquireResult, LockOptions, LockStatus, StaleReason } from '../lock/lock.js';

/** A held compile lock. */
export type CompileLock = HeldLock;

/** The lock directory of a bucket (`compiler/compile.lock.d`). */
export function lockDirOf(paths: StatePaths): string {
  return lockDirOfFile(paths.lockFile);
}

/** Reads the compile lock state of a bucket (never throws for a damaged lock). */
export function lockStatus(paths: StatePaths, options: LockOptions = {}): LockStatus {
  return lockStatusOfFile(paths.lockFile, options);
}

/** Tries to take the compile lock of a bucket, once; a stale lock is broken and taken over. */
export function acquireCompileLock(paths: StatePaths, options: LockOptions = {}): Promise<AcquireResult> {
  return acquireLock(paths.lockFile, options);
}

/**
 * Runs `fn` while holding the compile lock, releasing it in `finally`. Returns `{acquired:false}`
 * without running `fn` when a live compile holds the lock (after `waitMs`, when given).
 */
export function withCompileLock<T>(
  paths: StatePaths,
  fn: (lock: CompileLock) => T | Promise<T>,
  options: LockOptions & WaitOptions = {},
): Promise<{ acquired: true; value: T } | { acquired: false; status: LockStatus }> {
  return withLock(paths.lockFile, fn, options);
}
