/**
 * The Stop hook. The spool and review worker are wired in with issue 3;
 * until then it answers the neutral `{"continue":true}` so an installed hook never fails.
 */
import { CONTINUE, type HookResult } from '../hooks.js';

export async function stopReviewHook(): Promise<HookResult> {
  return { stdout: CONTINUE, extras: { status: 'not_available' } };
}
