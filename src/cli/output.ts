/**
 * Output helpers: stdout carries results (JSON for the Python package's subcommands and `--json`),
 * stderr carries diagnostics. No colour unless stdout is a TTY and NO_COLOR is unset.
 */
import { stableStringify } from '../core/index.js';

/** Prints `value` as sorted, 2-space JSON (the Python package's format, non-ASCII kept readable). */
export function printJson(value: unknown): void {
  process.stdout.write(`${stableStringify(value)}\n`);
}

/** Prints a line of text to stdout. */
export function printText(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** True when colour may be used on `stream`. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

/** Wraps text in an ANSI style when colour is on. */
export function style(
  text: string,
  code: 'bold' | 'dim' | 'green' | 'yellow' | 'red' | 'cyan',
  stream?: NodeJS.WriteStream,
): string {
  if (!useColor(stream)) return text;
  const codes = {
    bold: [1, 22],
    dim: [2, 22],
    green: [32, 39],
    yellow: [33, 39],
    red: [31, 39],
    cyan: [36, 39],
  } as const;
  const [open, close] = codes[code];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}
