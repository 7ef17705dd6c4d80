/**
 * Entry point of both bins (`codex-self-evolution` and `csep`).
 *
 * Hooks run on every Codex session start, prompt and stop, so they take a fast path that loads
 * neither commander nor zod (together ~60 ms of start-up): `<hook> --from-stdin` goes straight to
 * `hooks.ts`. A plain `recall` call (agents make it mid-turn) skips commander too (`recall-fast.ts`).
 * Everything else goes through the commander program in `program.ts`.
 */
const argv = process.argv.slice(2);
const HOOKS = new Set(['session-start', 'stop-review', 'prompt-recall', 'session-end']);

if (argv[0] !== undefined && HOOKS.has(argv[0]) && argv.includes('--from-stdin')) {
  const { runHook } = await import('./hooks.js');
  process.exitCode = await runHook(argv[0], argv.slice(1));
} else {
  const recall = argv[0] === 'recall' ? await import('./recall-fast.js') : undefined;
  const fast = recall?.parseRecallArgs(argv.slice(1));
  if (recall !== undefined && fast !== undefined) {
    process.exitCode = await recall.runRecallFast(fast);
  } else {
    const { runCli } = await import('./program.js');
    process.exitCode = await runCli(argv);
  }
}
