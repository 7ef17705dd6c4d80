/**
 * Paid reviews per local day (`[review] max_per_day`).
 *
 * Every model call of an HTTP or agent-CLI reviewer appends one line to
 * `<home>/run/review-usage/<YYYY-MM-DD>.jsonl` before it is made (a call that fails may still
 * have cost money, so it counts). One small O_APPEND write per review is atomic between the
 * workers of different repositories, so no lock is needed; with several workers the cap may be
 * passed by at most the number of workers running at once. Files older than a week are removed.
 *
 * A call that fails as a configuration problem (not installed, not logged in, a key refused) cost
 * nothing: a `refund` line takes it back, so a misconfigured reviewer never eats the day's cap.
 *
 * When the cap is reached the review throws {@link ReviewDeferredError}: the worker leaves the
 * turn spooled until the next local midnight without spending one of its attempts.
 */
import { mkdirSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import { appendNoFollow } from '../fs/safe.js';

/** Days of usage files kept. */
export const USAGE_RETENTION_DAYS = 7;

/** `<home>/run/review-usage`. */
export function usageDir(home: string): string {
  return join(home, 'run', 'review-usage');
}

/** The local calendar day of `date`, `YYYY-MM-DD`. */
export function localDay(date: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The next local midnight after `date`. */
export function nextLocalMidnight(date: Date = new Date()): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1, 0, 0, 0, 0);
}

/** Paid reviews of one day. */
export interface ReviewsToday {
  /** Local day, `YYYY-MM-DD`. */
  date: string;
  total: number;
  /** Count per reviewer name (`codex`, `openai-compatible`, ...). */
  by_reviewer: Record<string, number>;
}

/** Counts today's paid reviews. Unreadable lines are skipped. */
export function readReviewsToday(home: string, now: Date = new Date()): ReviewsToday {
  const date = localDay(now);
  const result: ReviewsToday = { date, total: 0, by_reviewer: {} };
  let text: string;
  try {
    text = readFileSync(join(usageDir(home), `${date}.jsonl`), 'utf8');
  } catch {
    return result;
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: { provider?: unknown; refund?: unknown };
    try {
      parsed = JSON.parse(line) as { provider?: unknown; refund?: unknown };
    } catch {
      continue;
    }
    const provider = parsed.provider;
    if (typeof provider !== 'string' || provider === '') continue;
    const count = result.by_reviewer[provider] ?? 0;
    if (parsed.refund === true) {
      if (count === 0) continue;
      result.total -= 1;
      if (count === 1) delete result.by_reviewer[provider];
      else result.by_reviewer[provider] = count - 1;
      continue;
    }
    result.total += 1;
    result.by_reviewer[provider] = count + 1;
  }
  return result;
}

/** Takes back one review of `provider` recorded today: the call failed before costing anything. */
export function refundReview(home: string, provider: string, turnKey: string, now: Date = new Date()): void {
  const dir = usageDir(home);
  mkdirSync(dir, { recursive: true });
  appendNoFollow(
    join(dir, `${localDay(now)}.jsonl`),
    `${JSON.stringify({ at: now.toISOString(), provider, turn: turnKey, refund: true })}\n`,
    { mode: 0o600 },
  );
}

/** Records one paid review (before the call is made) and prunes old days. */
export function recordReview(home: string, provider: string, turnKey: string, now: Date = new Date()): void {
  const dir = usageDir(home);
  mkdirSync(dir, { recursive: true });
  appendNoFollow(
    join(dir, `${localDay(now)}.jsonl`),
    `${JSON.stringify({ at: now.toISOString(), provider, turn: turnKey })}\n`,
    { mode: 0o600 },
  );
  pruneUsage(dir, now);
}

function pruneUsage(dir: string, now: Date): void {
  const oldest = localDay(new Date(now.getTime() - USAGE_RETENTION_DAYS * 86_400_000));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!/^\d{4}-\d{2}-\d{2}\.jsonl$/.test(name) || name.slice(0, 10) >= oldest) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // Another worker removed it.
    }
  }
}

/**
 * The turn cannot be reviewed now for a reason that is not a failure (the daily cap): the worker
 * keeps it spooled until `until` without counting an attempt.
 */
export class ReviewDeferredError extends AppError {
  readonly until: Date;

  constructor(message: string, until: Date) {
    super(message);
    this.until = until;
  }
}
