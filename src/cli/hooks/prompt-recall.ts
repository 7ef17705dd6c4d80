/**
 * The UserPromptSubmit hook. Prompt-time recall is wired in with the recall engine (issue 5);
 * until then it answers the neutral `{"continue":true}` so an installed hook never fails.
 */
import { CONTINUE, type HookResult } from '../hooks.js';

export async function promptRecallHook(): Promise<HookResult> {
  return { stdout: CONTINUE, extras: { status: 'not_available' } };
}
