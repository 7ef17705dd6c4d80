/**
 * The `recall` fast path. Agents call `csep recall "<query>"` in the middle of a turn, so its
 * start-up counts: a plain call (the query as words or `--query`, and the options below with their
 * values) runs the recall command without loading commander or building the program (~15 ms of a
 * ~100 ms call). Anything else (help, `--debug`, `--`, an unknown or incomplete option, a value
 * that looks like an option or a format commander would reject) goes through the full program,
 * which prints its usual help and errors; so the fast path never answers differently.
 */
import type { RecallOptions } from './commands/recall.js';
import { runAction } from './action.js';

/** Options of `recall` that take a value, by flag. */
const VALUE_OPTIONS: Readonly<Record<string, keyof RecallOptions>> = {
  '--query': 'query',
  '--cwd': 'cwd',
  '--state-dir': 'stateDir',
  '--home': 'home',
  '--top-k': 'topK',
  '--format': 'format',
};

/**
 * The options and words of `recall <args>` when the call is plain enough for the fast path,
 * `undefined` otherwise. Like commander: `--flag value` or `--flag=value`, options anywhere among
 * the words, the last of a repeated option wins.
 */
export function parseRecallArgs(
  args: readonly string[],
): { options: RecallOptions; words: string[] } | undefined {
  const options: Record<string, string> = {};
  const words: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (!arg.startsWith('-')) {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const key = VALUE_OPTIONS[flag];
    if (key === undefined) return undefined;
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = args[i + 1];
      i += 1;
      if (value === undefined || value.startsWith('-')) return undefined;
    }
    if (key === 'format' && value !== 'json' && value !== 'markdown') return undefined;
    options[key] = value;
  }
  return { options: options as RecallOptions, words };
}

/** Runs `recall` with already parsed arguments; returns the exit code. */
export function runRecallFast(parsed: { options: RecallOptions; words: string[] }): Promise<number> {
  return runAction(
    'recall',
    async () => (await import('./commands/recall.js')).run,
    parsed.options,
    parsed.words,
    { debug: false, hydrate: false },
  );
}
