/**
 * Fault injection for the crash tests: when `CODEX_SELF_EVOLUTION_TEST_CRASH_AT` names a point
 * (e.g. `review:after-enqueue`), the process SIGKILLs itself there, exactly as `kill -9` would.
 * Unset in normal use; costs one env lookup per point.
 */
export function crashPoint(name: string): void {
  const at = process.env.CODEX_SELF_EVOLUTION_TEST_CRASH_AT;
  if (at && at.split(',').includes(name)) process.kill(process.pid, 'SIGKILL');
}
