/**
 * The reviewer part of `install`: `install --reviewer <name>` switches the reviewer
 * like `config use <name>`, and a plain `install` on a machine with `codex` on PATH mentions, in
 * one line, that the codex reviewer learns more and what it costs. Kept apart from install.ts so
 * that command only calls in.
 */
import { EXIT, loadConfig, loadReviewerNames, loadReviewerSettings, locateProgram } from '../core/index.js';
import { configUseCommand } from './config-use.js';

/** What the reviewer step of install did, for the text and JSON outputs. */
export interface ReviewerChoice {
  exitCode: number;
  /** Lines for the human output. */
  lines: string[];
  /** For `--json`. */
  json: Record<string, unknown> | null;
}

/** Applies `--reviewer <name>` (switches the active profile in `<home>/config.toml`). */
export async function chooseReviewer(home: string, name: string): Promise<ReviewerChoice> {
  const { isProviderName, PROVIDER_NAMES } = await loadReviewerNames();
  if (!isProviderName(name)) {
    return {
      exitCode: EXIT.usage,
      lines: [
        `error: --reviewer ${JSON.stringify(name)} is not a reviewer (known: ${PROVIDER_NAMES.join(', ')})`,
      ],
      json: { status: 'unknown_reviewer', requested: name, known: [...PROVIDER_NAMES] },
    };
  }
  const result = await configUseCommand(home, name);
  const out = result.output;
  if (result.exitCode !== EXIT.ok) {
    return {
      exitCode: result.exitCode,
      lines: [`error: could not switch the reviewer to ${name}: ${String(out['error'] ?? out['status'])}`],
      json: out,
    };
  }
  const lines = [`Reviewer: ${name} (active_profile in ${String(out['config_path'])}).`];
  if (typeof out['note'] === 'string') lines.push(`  Note: ${out['note']}.`);
  return { exitCode: EXIT.ok, lines, json: out };
}

/**
 * The one-line hint of a plain install: only when `codex` is on PATH and the reviewer in use is
 * still the default offline one (a user who chose a reviewer is not told again).
 */
export async function codexReviewerHint(
  home: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (!(await locateProgram('codex', env))) return undefined;
  try {
    const { resolveReviewer } = await loadReviewerSettings();
    if (resolveReviewer({ config: (await loadConfig({ home })).config, env }).provider !== 'local')
      return undefined;
  } catch {
    // An unreadable config.toml: the hint is still true.
  }
  return (
    'Tip: `codex-self-evolution install --reviewer codex` learns far more, through your own Codex login: ' +
    'one small model ' +
    'call per non-trivial turn, capped by [review] max_per_day (default 200; see docs/reviewers.md).'
  );
}
