import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { REDACTION_KINDS, containsSecret, redactText } from '../../../src/core/redact/redact.js';
import { PLANTED_SECRETS, assertNoSecrets, plantedText } from '../../fixtures/secrets/corpus.js';

/** Shapes of the real formats, written independently of the redactor's own patterns. */
const FORMATS: Record<string, RegExp> = {
  openai_key: /^sk-(?:(?:proj|svcacct)-[\w-]{100,}|[A-Za-z0-9]{48})$/,
  anthropic_key: /^sk-ant-(?:api03|admin01)-[\w-]{93}AA$/,
  aws_access_key: /^(?:AKIA|ASIA)[A-Z0-9]{16}$/,
  aws_secret_key: /^[A-Za-z0-9/+]{40}$/,
  github_token: /^(?:gh[ps]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})$/,
  gitlab_token: /^glpat-[\w-]{20}$/,
  slack_token: /^xoxb-\d{11}-\d{13}-[A-Za-z0-9]{24}$/,
  slack_webhook: /^T[A-Z0-9]{8}\/B[A-Z0-9]{10}\/[A-Za-z0-9]{24}$/,
  google_api_key: /^AIza[\w-]{35}$/,
  google_oauth_secret: /^GOCSPX-[\w-]{28}$/,
  google_oauth_token: /^ya29\.[\w-]{100,}$/,
  stripe_key: /^(?:sk_live_[A-Za-z0-9]{99}|whsec_[A-Za-z0-9]{32})$/,
  npm_token: /^npm_[A-Za-z0-9]{36}$/,
  hf_token: /^hf_[A-Za-z]{34}$/,
  twilio_key: /^SK[0-9a-f]{32}$/,
  sendgrid_key: /^SG\.[\w-]{22}\.[\w-]{43}$/,
  discord_token: /^[MNO][A-Za-z0-9_-]{23,27}\.[\w-]{6}\.[\w-]{38}$/,
  heroku_key: /^HRKU-AA[\w-]{58}$/,
  generic_sk_key: /^sk-(?:or-v1-[0-9a-f]{64}|[0-9a-f]{32})$/,
  jwt: /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{43}$/,
  private_key: /^-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----(?:\n|\\n)/,
  basic_auth: /^[A-Za-z0-9+/]+={0,2}$/,
};

describe('planted-secret corpus', () => {
  it('has at least 30 entries and covers every redaction kind', () => {
    expect(PLANTED_SECRETS.length).toBeGreaterThanOrEqual(30);
    const kinds = new Set(PLANTED_SECRETS.map((s) => s.kind));
    expect([...REDACTION_KINDS].filter((k) => !kinds.has(k))).toEqual([]);
    expect([...kinds].filter((k) => !(REDACTION_KINDS as readonly string[]).includes(k))).toEqual([]);
  });

  it('embeds each secret in its context, with unique secrets', () => {
    // A `fold`-wrapped secret is whole once its line breaks are removed.
    for (const { secret, context } of PLANTED_SECRETS) {
      expect(context.includes(secret) || context.replace(/\n/g, '').includes(secret)).toBe(true);
    }
    expect(new Set(PLANTED_SECRETS.map((s) => s.secret)).size).toBe(PLANTED_SECRETS.length);
  });

  it.each(
    PLANTED_SECRETS.filter((s) => FORMATS[s.kind] !== undefined).map((s) => [s.kind, s.secret] as const),
  )('generates a %s in its real format', (kind, secret) => {
    expect(secret).toMatch(FORMATS[kind] as RegExp);
  });

  it('gives JWTs a JSON header and Basic credentials a user:password', () => {
    for (const { kind, secret } of PLANTED_SECRETS) {
      if (kind === 'jwt') {
        const header = JSON.parse(
          Buffer.from(secret.split('.')[0] as string, 'base64url').toString('utf8'),
        ) as { alg?: string };
        expect(header.alg).toBe('HS256');
      }
      if (kind === 'basic_auth')
        expect(Buffer.from(secret, 'base64').toString('utf8')).toMatch(/^deploy:[A-Za-z0-9]{20}$/);
    }
  });

  it('is deterministic across module loads', async () => {
    vi.resetModules();
    const again = (await import('../../fixtures/secrets/corpus.js')).PLANTED_SECRETS;
    expect(again).toEqual(PLANTED_SECRETS);
  });

  it('keeps every secret out of the repository source', () => {
    const source = readFileSync(
      fileURLToPath(new URL('../../fixtures/secrets/corpus.ts', import.meta.url)),
      'utf8',
    );
    expect(assertNoSecrets(source)).toEqual([]);
  });
});

describe('assertNoSecrets', () => {
  it('finds nothing in clean text', () => {
    expect(assertNoSecrets('')).toEqual([]);
    expect(assertNoSecrets('npm test && git log --oneline -5\n[REDACTED:openai_key]')).toEqual([]);
  });

  it('finds a planted secret, whole or truncated', () => {
    const [first, second] = PLANTED_SECRETS;
    if (!first || !second) throw new Error('corpus too small');
    expect(assertNoSecrets(`log line ${first.secret} end`)).toEqual([first.secret]);
    expect(assertNoSecrets(`cut: ${second.secret.slice(0, Math.ceil(second.secret.length * 0.6))}…`)).toEqual(
      [second.secret],
    );
  });

  it('finds every secret of the corpus in the raw text and in its JSON encoding', () => {
    const text = plantedText();
    expect(assertNoSecrets(text)).toHaveLength(PLANTED_SECRETS.length);
    // A JSON body escapes the PEM newlines: the key body must still be recognised.
    expect(assertNoSecrets(JSON.stringify({ input: text }))).toHaveLength(PLANTED_SECRETS.length);
  });
});

describe('redaction of the corpus', () => {
  it.each(PLANTED_SECRETS.map((s, i) => [i, s.kind, s] as const))(
    'entry %i (%s) is redacted in context',
    (_i, kind, planted) => {
      expect(containsSecret(planted.context)).toBe(true);
      const { text, counts } = redactText(planted.context);
      expect(text).not.toContain(planted.secret);
      expect(assertNoSecrets(text)).toEqual([]);
      expect(text).toContain(`[REDACTED:${kind}]`);
      expect(counts[kind]).toBeGreaterThanOrEqual(1);
      expect(containsSecret(text)).toBe(false);
    },
  );

  it('leaves nothing of the whole corpus as one document, raw or JSON-encoded', () => {
    const text = plantedText();
    const { text: out, counts } = redactText(text);
    expect(assertNoSecrets(out)).toEqual([]);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(PLANTED_SECRETS.length);
    expect(assertNoSecrets(redactText(JSON.stringify({ transcript: text })).text)).toEqual([]);
  });

  it('leaves nothing when every context is on one long line (commands follow each other)', () => {
    const contexts = PLANTED_SECRETS.map((s) => s.context);
    for (const line of [
      `Done with ${contexts.join(' ')}`,
      `Deploy with ${contexts.join(' ; ')}`,
      JSON.stringify({ say: contexts.join(' ') }),
    ]) {
      expect(assertNoSecrets(redactText(line).text)).toEqual([]);
    }
  });

  it('keeps a JSON document valid JSON: no escape sequence is ever cut', () => {
    const doc = JSON.stringify(
      { transcript: plantedText(), items: PLANTED_SECRETS.map((s) => ({ text: s.context })) },
      null,
      2,
    );
    const out = redactText(doc).text;
    const parsed = JSON.parse(out) as { transcript: string; items: { text: string }[] };
    expect(parsed.items).toHaveLength(PLANTED_SECRETS.length);
    expect(assertNoSecrets(out)).toEqual([]);
    // Redacting the encoded text gives what encoding the redacted text gives.
    expect(parsed.transcript).toBe(redactText(plantedText()).text);
  });

  it('is idempotent on every entry and on the whole corpus', () => {
    for (const { context } of PLANTED_SECRETS) {
      const once = redactText(context);
      const twice = redactText(once.text);
      expect(twice.text).toBe(once.text);
      expect(twice.counts).toEqual({});
    }
    const once = redactText(plantedText()).text;
    expect(redactText(once).text).toBe(once);
  });
});
