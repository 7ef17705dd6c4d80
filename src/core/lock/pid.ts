/** Process liveness, shared by every lock (zod-free: the hooks load it). */

/** True when a process with this pid exists (EPERM means it exists but is not ours). */
export function isPidAlive(pid: unknown): boolean {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How far in the future a heartbeat or creation time may be (clock skew) before it is disbelieved. */
export const FUTURE_TOLERANCE_MS = 60_000;
