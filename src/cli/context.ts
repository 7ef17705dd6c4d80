/** What every command is given: kept apart from program.ts so commands never import the program. */
import type { Invocation } from './invocation.js';

/** State shared with the running command. */
export interface CommandContext {
  invocation: Invocation;
  debug: boolean;
}
