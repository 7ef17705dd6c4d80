/**
 * `status`: read-only diagnostics. On a terminal, a short summary for people (built from the same
 * status object, so a field added to it can be shown by adding one line to `renderStatus`); with
 * `--json`, or when stdout is not a terminal, the full JSON document.
 */
import {
  collectStatus,
  describeError,
  loadConfig,
  loadReviewerSettings,
  reviewsTodayStatus,
} from '../../core/index.js';
import { printJson, printText, style } from '../output.js';
import type { CommandContext } from '../context.js';
import { VERSION } from '../version.js';

// Loaded with this module (as static imports were): `idleKeyWarnings` is synchronous.
const { DIALECT_DEFAULTS, HTTP_PROVIDER_NAMES, isPaidReviewer, resolveReviewer } =
  await loadReviewerSettings();

/** Which reviewer the Stop hook would use now, and why (names only, never keys). */
async function reviewerStatus(home: string): Promise<Record<string, unknown>> {
  try {
    const loaded = await loadConfig({ home });
    const selection = resolveReviewer({ config: loaded.config });
    return {
      provider: selection.provider,
      source: selection.source,
      profile: selection.profile,
      offline: !isPaidReviewer(selection.provider),
      max_per_day: loaded.config.review.max_per_day,
      config_path: loaded.path,
      config_exists: loaded.exists,
      warnings: [...loaded.warnings, ...selection.warnings],
      error: null,
    };
  } catch (error) {
    return { provider: null, source: null, error: describeError(error) };
  }
}

/** A provider key set in `.env.provider` does nothing by itself; say so when another reviewer runs. */
export function idleKeyWarnings(keysSet: readonly string[], provider: unknown): string[] {
  const used = (HTTP_PROVIDER_NAMES as readonly string[]).includes(String(provider))
    ? DIALECT_DEFAULTS[provider as (typeof HTTP_PROVIDER_NAMES)[number]].keyVar
    : undefined;
  const idle = keysSet.filter((k) => k !== used);
  if (idle.length === 0) return [];
  return [
    `${idle.join(', ')} ${idle.length === 1 ? 'is' : 'are'} set in .env.provider, but the reviewer in use is ${String(provider)}: a key alone does not ` +
      'switch reviewers; select one with `codex-self-evolution config use <profile>` (see `config list-profiles`)',
  ];
}

type Doc = Record<string, unknown>;
const obj = (v: unknown): Doc => (typeof v === 'object' && v !== null ? (v as Doc) : {});
const when = (v: unknown): string =>
  typeof v === 'string' ? v.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : 'never';

/** The summary for people, from the status document. */
export function renderStatus(doc: Doc): string {
  const lines: string[] = [];
  const warnings = Array.isArray(doc.warnings) ? (doc.warnings as string[]) : [];
  for (const w of warnings) lines.push(style(`warning: ${w}`, 'yellow'));
  if (warnings.length > 0) lines.push('');

  const inst = obj(doc.installation);
  lines.push(
    style(`codex-self-evolution ${String(doc.version)}`, 'bold') + `  (state home ${String(doc.home)})`,
  );
  if (inst.launcher === 'node')
    lines.push(
      `Hooks run:   ${String(inst.cli)} (version ${String(inst.version ?? 'unknown')})${inst.ok ? '' : style(' — broken, see above', 'red')}`,
    );
  else if (inst.launcher === 'npx')
    lines.push(`Hooks run:   npx -y ${String(inst.package)} (fetched by npm on demand)`);
  else lines.push('Hooks run:   nothing (not installed: run `codex-self-evolution install`)');

  const hooks = obj(doc.hook_install);
  const installed = obj(hooks.installed);
  const trusted = obj(hooks.trusted);
  const events = Object.keys(installed);
  const nInstalled = events.filter((e) => installed[e]).length;
  const nTrusted = events.filter((e) => installed[e] && trusted[e]).length;
  lines.push(
    `Hooks:       ${nInstalled}/${events.length} installed, ${nTrusted}/${events.length} trusted in ${String(hooks.file)}` +
      (nInstalled > nTrusted
        ? style(' (untrusted hooks do not run: open Codex and type /hooks, or install --trust)', 'yellow')
        : ''),
  );

  const sched = obj(doc.scheduler);
  const activity = obj(doc.recent_activity);
  lines.push(
    `Scheduler:   ${sched.installed ? `${String(sched.kind)}, every ${String(sched.interval_seconds ?? '?')} s${sched.active === false ? style(' (not active)', 'yellow') : ''}` : 'not installed (run `codex-self-evolution install-scheduler`)'}` +
      `; last scan ${when(activity.last_scan)}`,
  );

  const reviewer = obj(doc.reviewer);
  if (reviewer.error) lines.push(`Reviewer:    ${style(`unusable: ${String(reviewer.error)}`, 'red')}`);
  else {
    const why =
      String(reviewer.source) === 'default'
        ? 'the default'
        : String(reviewer.source)
            .replace(/^profile:/, 'profile ')
            .replace(/^env:/, '$');
    lines.push(`Reviewer:    ${String(reviewer.provider)} (${why}${reviewer.offline ? ', offline' : ''})`);
  }
  const today = doc.reviews_today === undefined ? null : obj(doc.reviews_today);
  if (today !== null) {
    const per = Object.entries(obj(today.by_reviewer)).map(([name, n]) => `${name} ${String(n)}`);
    lines.push(
      `Reviews:     ${String(today.total ?? 0)} paid review(s) today${per.length > 0 ? ` (${per.join(', ')})` : ''}` +
        `, cap ${String(today.max_per_day ?? 'none')}${today.cap_reached ? style(' (reached: turns wait for tomorrow)', 'yellow') : ''}`,
    );
  }

  const buckets = Array.isArray(doc.buckets) ? (doc.buckets as Doc[]) : [];
  const live = buckets.filter((b) => !b.archived);
  lines.push('', style(`Repositories (${live.length})`, 'bold'));
  if (live.length === 0) lines.push('  none yet: the first reviewed turn creates one');
  for (const b of live) {
    const counts = obj(b.counts);
    const receipt = b.last_receipt === null ? null : obj(b.last_receipt);
    const lessons = obj(b.lessons);
    const entries = Number(lessons.active ?? 0);
    const bucketWarnings: string[] = [];
    if (receipt?.error) bucketWarnings.push(`last receipt unreadable`);
    if (Number(counts.failed ?? 0) > 0) bucketWarnings.push(`${String(counts.failed)} failed`);
    if (Number(lessons.stale ?? 0) > 0) bucketWarnings.push(`${String(lessons.stale)} stale`);
    if (Number(lessons.review_waiting ?? 0) > 0)
      bucketWarnings.push(`${String(lessons.review_waiting)} waiting for review`);
    const backlog = obj(b.review_backlog);
    const waiting = Array.isArray(backlog.waiting_reasons) ? (backlog.waiting_reasons as string[]) : [];
    lines.push(
      `  ${String(b.canonical_cwd ?? b.project)}: queue ${String(counts.pending ?? 0)} pending; last compile ${receipt ? when(receipt.timestamp) : 'never'}; ${entries} entr${entries === 1 ? 'y' : 'ies'}` +
        (bucketWarnings.length > 0 ? style(`; ${bucketWarnings.join(', ')}`, 'yellow') : ''),
    );
    for (const reason of waiting) lines.push(style(`    turns waiting: ${reason}`, 'yellow'));
  }
  lines.push('', 'Full details: codex-self-evolution status --json');
  return lines.join('\n');
}

export async function run(options: { home?: string; json?: boolean }, ctx: CommandContext): Promise<number> {
  const status = await collectStatus(ctx.invocation.home, VERSION);
  const reviewer = await reviewerStatus(ctx.invocation.home);
  status.reviewer = reviewer;
  if (typeof reviewer.max_per_day === 'number') {
    status.reviews_today = await reviewsTodayStatus(ctx.invocation.home, reviewer.max_per_day);
  }
  const env = obj(status.env_provider);
  const warnings = status.warnings as string[];
  warnings.push(
    ...idleKeyWarnings(
      Array.isArray(env.keys_set) ? (env.keys_set as string[]) : [],
      obj(status.reviewer).provider,
    ),
  );
  if (options.json || !process.stdout.isTTY) printJson(status);
  else printText(renderStatus(status));
  return 0;
}
