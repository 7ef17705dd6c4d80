/**
 * Where a command's answer goes: printed, or collected by a caller that answers once for several
 * runs (`install --agent all`).
 */
import { printJson, printText } from './output.js';

/** A command's answer: one JSON object (`--json`) or text. */
export interface CommandOutput {
  json(value: Record<string, unknown>): void;
  text(text: string): void;
}

/** Prints as every command does. */
export const PRINT: CommandOutput = { json: printJson, text: printText };
