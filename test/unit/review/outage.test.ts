/** Outage classification of failed reviews. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ProviderAuthError,
  ProviderBadResponseError,
  ProviderConfigError,
  ProviderConnectionError,
  ProviderRateLimitError,
  ProviderRequestError,
  ProviderServerError,
  ProviderTimeoutError,
} from '../../../src/core/review/providers/errors.js';
import {
  MAX_REVIEW_ATTEMPTS,
  OUTAGE_BACKOFF_CAP_SECONDS,
  classifyReviewFailure,
  isDue,
  markReviewerHealthy,
  readSpoolEntry,
  recordFailure,
  recordWait,
  spoolEntryPath,
  waitingTurns,
  writeSpoolEntry,
  type SpoolEntry,
} from '../../../src/core/spool/spool.js';
import { bucket } from '../compiler/helpers.js';

const opts = { provider: 'openai-compatible' };

describe('classifyReviewFailure', () => {
  it('keys outages on the ProviderError kind', () => {
    expect(classifyReviewFailure(new ProviderConnectionError('refused', opts)).wait).toBe('unreachable');
    expect(classifyReviewFailure(new ProviderTimeoutError('timed out', opts)).wait).toBe('unreachable');
    expect(classifyReviewFailure(new ProviderRateLimitError('429', opts)).wait).toBe('rate_limited');
    expect(classifyReviewFailure(new ProviderServerError('503', opts)).wait).toBe('provider_unavailable');
    expect(classifyReviewFailure(new ProviderConfigError('no key', opts))).toEqual({
      wait: 'config',
      provider: 'openai-compatible',
    });
  });

  it('counts bad answers, 4xx and other errors', () => {
    expect(classifyReviewFailure(new ProviderBadResponseError('html', opts)).wait).toBeNull();
    expect(classifyReviewFailure(new ProviderAuthError('401', opts)).wait).toBeNull();
    expect(
      classifyReviewFailure(new ProviderRequestError('400', { ...opts, retryable: false })).wait,
    ).toBeNull();
    expect(classifyReviewFailure(new Error('boom')).wait).toBeNull();
  });

  it('recognises an agent CLI error by its kind, and a bare network error by its code', () => {
    expect(
      classifyReviewFailure(
        Object.assign(new Error('codex exec: not logged in'), { kind: 'config', provider: 'codex' }),
      ),
    ).toEqual({ wait: 'config', provider: 'codex' });
    expect(
      classifyReviewFailure(
        Object.assign(new Error('x'), { cause: Object.assign(new Error('y'), { code: 'ECONNREFUSED' }) }),
      ).wait,
    ).toBe('unreachable');
  });
});

function entry(key: string): SpoolEntry {
  return {
    schema_version: 1,
    key,
    session_id: 's',
    turn_id: 't',
    cwd: '/r',
    transcript_path: null,
    transcript_size: null,
    last_assistant_message: '',
    model: null,
    stop_hook_active: false,
    reviewer_provider: null,
    spooled_at: new Date().toISOString(),
    attempts: 1,
    last_error: null,
    next_attempt_at: null,
    history: [],
  };
}

describe('waiting out an outage', () => {
  it('never parks a turn in dead however long the outage lasts, with a capped backoff', () => {
    const paths = bucket();
    let e = entry('a'.repeat(16));
    writeSpoolEntry(paths, e);
    for (let i = 0; i < MAX_REVIEW_ATTEMPTS * 3; i++) {
      e = { ...e, attempts: e.attempts + 1 };
      expect(recordWait(paths, e, 'unreachable', 'openai-compatible', 'connection refused')).toBe('waiting');
      e = readSpoolEntry(spoolEntryPath(paths, e.key))!;
    }
    expect(e.attempts).toBe(1);
    expect(e.waiting).toMatchObject({ reason: 'unreachable', failures: MAX_REVIEW_ATTEMPTS * 3 });
    const delay = (Date.parse(e.next_attempt_at!) - Date.now()) / 1000;
    expect(delay).toBeLessThanOrEqual(OUTAGE_BACKOFF_CAP_SECONDS + 1);
    // A counted failure clears the wait.
    expect(recordFailure(paths, { ...e, attempts: 2 }, 'bad answer')).toBe('retry');
    expect(readSpoolEntry(spoolEntryPath(paths, e.key))!.waiting).toBeUndefined();
  });

  it('a successful review of the same reviewer makes the waiting turns due at once; a config wait stays', () => {
    const paths = bucket();
    const a = entry('b'.repeat(16));
    const c = entry('c'.repeat(16));
    recordWait(paths, a, 'unreachable', 'openai-compatible', 'refused');
    recordWait(paths, c, 'config', 'openai-compatible', 'no key');
    const waitingA = readSpoolEntry(spoolEntryPath(paths, a.key))!;
    const waitingC = readSpoolEntry(spoolEntryPath(paths, c.key))!;
    expect(isDue(waitingA, Date.now(), paths.home)).toBe(false);
    const status = waitingTurns(paths);
    expect(status).toMatchObject({ waiting: 2, by_reason: { unreachable: 1, config: 1 } });
    expect(status.oldest_since).not.toBeNull();
    // The clock of the marker is the file system's: wait past the failure's millisecond.
    const until = Date.now() + 20;
    while (Date.now() < until) {
      /* spin */
    }
    markReviewerHealthy(paths.home, 'openai-compatible');
    expect(isDue(waitingA, Date.now(), paths.home)).toBe(true);
    expect(isDue(waitingC, Date.now(), paths.home)).toBe(false);
    expect(readFileSync(spoolEntryPath(paths, a.key), 'utf8')).toContain('"reason": "unreachable"');
  });
});
