/**
 * Paid reviews per local day (`[review] max_per_day`).
 *
 * Every model call of an HTTP or agent-CLI reviewer appends one line to
 * `<home>/run/review-usage/<YYYY-MM-DD>.jsonl` before it is made (a call that fails may still
 * have cost money, so it counts). The workers of different repositories run at once: the count and
 * the line that claims a review are made under one lock ({@link claimReview}), so the cap is never
 * passed. Files older than a week are removed.
 *
 * A call that fails as a configuration problem (not installed, not logged in, a key refused) cost
 * nothing: a `refund` line takes it back, so a misconfigured reviewer never eats the day's cap.
 *
 * When the cap is reached the review throws {@link ReviewDeferredError}: the worker leaves the
 * turn spooled until the next local midnight without spending one of its attempts.
 */
import { mkdirSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { appendNoFollow } from '../fs/safe.js';
import { withLock } from '../lock/lock.js';

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

/** One line of `<YYYY-MM-DD>.jsonl`: a paid review, or the refund of one whose call failed. */
const UsageLineSchema = z.looseObject({
  at: z.string().optional().catch(undefined),
  provider: z.string().min(1),
  turn: z.string().optional().catch(undefined),
  refund: z.boolean().optional().catch(undefined),
});
type UsageLine = z.infer<typeof UsageLineSchema>;

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
    let parsed: UsageLine;
    try {
      parsed = UsageLineSchema.parse(JSON.parse(line));
    } catch {
      continue;
    }
    const provider = parsed.provider;
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

/** How long a worker waits for another worker's claim (a count and one append: milliseconds). */
const CLAIM_WAIT_MS = 30_000;

/**
 * Claims one paid review of today if fewer than `cap` were made: counts and records under the
 * usage lock, so workers running at once never pass the cap together. Returns the count found
 * (before this claim) and whether the review may go ahead.
 */
export async function claimReview(
  home: string,
  provider: string,
  turnKey: string,
  cap: number,
  now: Date = new Date(),
): Promise<{ claimed: boolean; total: number; busy?: true }> {
  mkdirSync(usageDir(home), { recursive: true });
  const result = await withLock(
    join(usageDir(home), 'claim.lock'),
    () => {
      const today = readReviewsToday(home, now);
      if (today.total >= cap) return { claimed: false, total: today.total };
      recordReview(home, provider, turnKey, now);
      return { claimed: true, total: today.total };
    },
    { waitMs: CLAIM_WAIT_MS, pollMs: 50 },
  );
  // A claim held this long is a hung worker: the review waits a little, like a reached cap.
  if (!result.acquired) return { claimed: false, total: readReviewsToday(home, now).total, busy: true };
  return result.value;
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
