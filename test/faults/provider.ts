/**
 * A misbehaving reviewer provider (the fake server of test/helpers on 127.0.0.1): timeouts,
 * 429 with Retry-After, 500 and 529, an HTML page, truncated JSON, a huge answer, dropped
 * connections. Each turn goes through the real Stop hook and its detached worker. A transient
 * fault is retried within the attempt; a lasting one leaves the turn spooled with its reason and a
 * retry time (Retry-After honoured); it is never lost, and once the provider answers it is
 * reviewed and compiled exactly once. The API key never reaches a state file or the log.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drop,
  hang,
  html,
  huge,
  overloaded,
  rateLimited,
  reply,
  serverError,
  startFakeProviderServer,
  truncatedJson,
  type FakeProviderServer,
  type FakeReply,
} from '../helpers/fake-provider-server.js';
import {
  accountSuggestions,
  accountedKeys,
  cli,
  countCase,
  expectHookAnswer,
  expectedKeys,
  queueIds,
  reviewFor,
  sessionIdFor,
  spoolEntries,
  stopPayload,
  treeText,
  waitForWorkers,
  world,
  type World,
} from './helpers.js';

const KEY = 'sk-fault-suite-provider-key-0123456789abcdef';

interface Case {
  name: string;
  /** Replies for the first attempt's requests (then the fallback answers). */
  replies: FakeReply[];
  /** Fallback while the fault lasts. */
  fallback?: FakeReply;
  maxRetries: number;
  /** Expected outcome of the first worker run. */
  outcome: 'reviewed' | 'spooled';
  /** The spool entry's last_error must match. */
  reason?: RegExp;
  /** Minimum seconds until the next attempt (at least the spool's backoff). */
  minDelaySeconds?: number;
  /** The server's Retry-After, when the next attempt should wait for it. */
  retryAfterSeconds?: number;
  /** An outage: the turn waits with this reason and the attempt is not counted. */
  waits?: 'unreachable' | 'rate_limited' | 'provider_unavailable';
}

const CASES: Case[] = [
  {
    name: 'a timeout on every attempt',
    replies: [],
    fallback: hang(),
    maxRetries: 1,
    outcome: 'spooled',
    reason: /timed out/,
    waits: 'unreachable',
  },
  {
    name: '429 once (Retry-After: 1), then an answer',
    replies: [rateLimited({ retryAfter: '1' })],
    maxRetries: 1,
    outcome: 'reviewed',
  },
  {
    name: '429 with Retry-After: 900 and no retries left',
    replies: [],
    fallback: rateLimited({ retryAfter: '900' }),
    maxRetries: 0,
    outcome: 'spooled',
    reason: /429/,
    minDelaySeconds: 55,
    retryAfterSeconds: 900,
    waits: 'rate_limited',
  },
  {
    name: '500 on every attempt',
    replies: [],
    fallback: serverError(),
    maxRetries: 1,
    outcome: 'spooled',
    reason: /500/,
    waits: 'provider_unavailable',
  },
  {
    name: '529 overloaded once, then an answer',
    replies: [overloaded()],
    maxRetries: 1,
    outcome: 'reviewed',
  },
  {
    name: 'an HTML page instead of JSON',
    replies: [],
    fallback: html(),
    maxRetries: 1,
    outcome: 'spooled',
    reason: /html|json|content|unexpected/i,
  },
  {
    name: 'truncated JSON',
    replies: [],
    fallback: truncatedJson(),
    maxRetries: 1,
    outcome: 'spooled',
    reason: /json|parse|truncat|unexpected/i,
  },
  {
    name: 'a 3 MiB answer',
    replies: [],
    fallback: huge(),
    maxRetries: 1,
    outcome: 'spooled',
    reason: /large|MiB|bytes|size/i,
  },
  {
    name: 'the connection dropped',
    replies: [],
    fallback: drop(),
    maxRetries: 1,
    outcome: 'spooled',
    reason: /connection|socket|closed|ECONNRESET|other side/i,
    waits: 'unreachable',
  },
];

function writeConfig(w: World, server: FakeProviderServer, maxRetries: number): void {
  writeFileSync(
    join(w.home, 'config.toml'),
    [
      'schema_version = 2',
      'active_profile = "fake"',
      '[profiles.fake]',
      'provider = "openai-compatible"',
      'model = "fake-model"',
      `base_url = "${server.urls.openai}"`,
      // A key named explicitly: the default OPENAI_API_KEY is never sent to a foreign host.
      'api_key_env = "FAULT_SUITE_KEY"',
      'timeout_seconds = 1.5',
      'max_tokens = 1024',
      `max_retries = ${maxRetries}`,
      'retry_backoff = [0.2]',
      '',
    ].join('\n'),
  );
}

export function providerFaults(): void {
  describe('provider faults against a local fake server', () => {
    let server: FakeProviderServer;
    beforeAll(async () => {
      server = await startFakeProviderServer();
    });
    afterAll(async () => {
      await server.close();
    });

    for (const [n, c] of CASES.entries()) {
      it(`${c.name}: ${c.outcome === 'reviewed' ? 'retried within the attempt' : 'kept spooled with its reason'}, then reviewed exactly once`, async () => {
        server.reset();
        const w = world({ env: { FAULT_SUITE_KEY: KEY } });
        // The configured profile chooses the reviewer (not the suite's default dummy).
        const env = { CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: undefined };
        mkdirSync(w.home, { recursive: true });
        writeConfig(w, server, c.maxRetries);
        const review = reviewFor(`provider-${n}`);
        server.setFallback(c.fallback ?? reply(review.text));
        server.enqueue(...c.replies);
        countCase('provider fault');

        const sessionId = sessionIdFor(n + 1, 'prov');
        const turnId = `turn-${n}`;
        const before = Date.now();
        expect(
          expectHookAnswer(
            await cli(w, ['stop-review', '--from-stdin'], {
              env,
              input: stopPayload(w, { sessionId, turnId, lastAssistant: 'Done: always run make check.' }),
            }),
          ),
        ).toEqual({ continue: true });
        expect(await waitForWorkers(w, 60_000)).toBe(0);
        expect(server.requests.length).toBeGreaterThanOrEqual(1);
        expect(server.requests.length).toBeLessThanOrEqual(c.maxRetries + 1);
        expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);

        if (c.outcome === 'spooled') {
          const [name, ...more] = spoolEntries(w.paths);
          expect(more).toEqual([]);
          const entry = JSON.parse(readFileSync(join(w.paths.spoolDir, name!), 'utf8')) as {
            attempts: number;
            last_error: string;
            next_attempt_at: string;
            waiting?: { reason: string };
          };
          // An outage gives the attempt back; a bad answer counts toward review/spool/dead.
          expect(entry.attempts).toBe(c.waits ? 0 : 1);
          expect(entry.waiting?.reason).toBe(c.waits);
          expect(entry.last_error).toMatch(c.reason!);
          const delay = (Date.parse(entry.next_attempt_at) - before) / 1000;
          expect(delay).toBeGreaterThan(0);
          if (c.minDelaySeconds) expect(delay).toBeGreaterThanOrEqual(c.minDelaySeconds);
          // The spooled retry honours the server's Retry-After even past the 60 s in-attempt cap.
          if (c.retryAfterSeconds) expect(delay).toBeGreaterThanOrEqual(c.retryAfterSeconds - 10);
          expect(Object.values(queueIds(w.paths)).flat()).toEqual([]);
          // The provider is back: the next drain reviews the turn (retry-now skips the backoff).
          server.setFallback(reply(review.text));
          const drained = await cli(w, ['stop-review', '--drain', '--retry-now', '--cwd', w.repo], { env });
          expect(drained.status, drained.stderr).toBe(0);
          expect(JSON.parse(drained.stdout)).toMatchObject({ reviewed: 1, retried: 0, dead: 0 });
        }
        expect(spoolEntries(w.paths)).toEqual([]);
        const compiled = await cli(w, ['compile', '--once', '--repo-root', w.repo], { env });
        expect(compiled.status, compiled.stderr).toBe(0);
        const { lost, duplicated } = accountSuggestions(
          expectedKeys(sessionId, turnId, review.count),
          accountedKeys(w.paths),
        );
        expect(lost).toEqual([]);
        expect(duplicated).toEqual([]);
        expect(treeText(w.home)).not.toContain(KEY);
      }, 90_000);
    }
  });
}
