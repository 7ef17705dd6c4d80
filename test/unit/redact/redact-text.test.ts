import { describe, expect, it } from 'vitest';
import {
  REDACTION_KINDS,
  containsSecret,
  isSecretName,
  looksRandomToken,
  redactText,
  redactionMarker,
} from '../../../src/core/redact/redact.js';
import { PLANTED_SECRETS } from '../../fixtures/secrets/corpus.js';

/** The first planted secret of a kind (the corpus builds realistic values; no literal keys here). */
function planted(kind: string, index = 0): string {
  const found = PLANTED_SECRETS.filter((s) => s.kind === kind)[index];
  if (!found) throw new Error(`no planted ${kind} #${index}`);
  return found.secret;
}

describe('redactText: what is kept around a secret', () => {
  it('keeps scheme, user, host, port and path of a URL and redacts only the password', () => {
    const password = planted('url_password');
    const { text, counts } = redactText(
      `psql postgres://app_user:${password}@db.internal:5432/app?sslmode=require`,
    );
    expect(text).toBe(
      'psql postgres://app_user:[REDACTED:url_password]@db.internal:5432/app?sslmode=require',
    );
    expect(counts).toEqual({ url_password: 1 });
  });

  it('takes the last @ of the authority, so a password holding @ does not leak its tail', () => {
    const { text } = redactText('redis://default:p@ss@word-9x@cache.internal:6379');
    expect(text).toBe('redis://default:[REDACTED:url_password]@cache.internal:6379');
  });

  it('keeps the assignment name and its quotes, in .env, shell, YAML, JSON and flag forms', () => {
    const v = planted('env_assignment', 3);
    expect(redactText(`DB_PASSWORD=${v}`).text).toBe('DB_PASSWORD=[REDACTED:env_assignment]');
    expect(redactText(`export API_TOKEN="${v}"`).text).toBe('export API_TOKEN="[REDACTED:env_assignment]"');
    expect(redactText(`  password: ${v}`).text).toBe('  password: [REDACTED:env_assignment]');
    expect(redactText(`{"client_secret": "${v}"}`).text).toBe(
      '{"client_secret": "[REDACTED:env_assignment]"}',
    );
    expect(redactText(`{'Secret': '${v}'}`).text).toBe(`{'Secret': '[REDACTED:env_assignment]'}`);
    expect(redactText(`tool --api-key ${v} --verbose`).text).toBe(
      'tool --api-key [REDACTED:env_assignment] --verbose',
    );
    expect(redactText(`DB_PASS := "${v}"`).text).toBe('DB_PASS := "[REDACTED:env_assignment]"');
  });

  it('finds an assignment hidden behind a non-secret one in the same token', () => {
    const v = planted('env_assignment', 3);
    expect(redactText(`FOO=a,password=${v}`).text).toBe('FOO=a,password=[REDACTED:env_assignment]');
    expect(redactText(`https://api.example.com/v1?format=json&access_token=${v}&page=2`).text).toBe(
      'https://api.example.com/v1?format=json&access_token=[REDACTED:env_assignment]&page=2',
    );
    expect(redactText(`Server=db;User Id=sa;Password=${v};Encrypt=true`).text).toBe(
      'Server=db;User Id=sa;Password=[REDACTED:env_assignment];Encrypt=true',
    );
  });

  it('keeps the scheme word of an Authorization header', () => {
    const token = planted('bearer_token');
    expect(redactText(`Authorization: Bearer ${token}`).text).toBe(
      'Authorization: Bearer [REDACTED:bearer_token]',
    );
    expect(redactText(`authorization: token ${token}`).text).toBe(
      'authorization: token [REDACTED:bearer_token]',
    );
    expect(redactText(`Authorization: ${token}`).text).toBe('Authorization: [REDACTED:bearer_token]');
    const basic = planted('basic_auth');
    expect(redactText(`Proxy-Authorization: Basic ${basic}`).text).toBe(
      'Proxy-Authorization: Basic [REDACTED:basic_auth]',
    );
  });

  it('labels a credential with its most precise kind when several rules could apply', () => {
    // A JWT in a bearer header is a jwt; an OpenAI key assigned to a secret name is an openai_key.
    const token = planted('jwt');
    expect(redactText(`Authorization: Bearer ${token}`).text).toBe('Authorization: Bearer [REDACTED:jwt]');
    expect(redactText(`OPENAI_API_KEY=${planted('openai_key')}`).counts).toEqual({ openai_key: 1 });
    // A GitHub token used as a URL password stays a github_token, and is not counted twice.
    const r = redactText(`https://x-access-token:${planted('github_token', 1)}@github.com/acme/widgets.git`);
    expect(r.counts).toEqual({ github_token: 1 });
  });

  it('replaces a whole PEM block, armour lines included, and a truncated one up to its last base64 line', () => {
    const block = planted('private_key');
    const { text } = redactText(`before\n${block}\nafter`);
    expect(text).toBe('before\n[REDACTED:private_key]\nafter');
    const truncated = planted('private_key', 2);
    const cut = redactText(`${truncated}\nThe rest of the output was cut, see above.`).text;
    expect(cut).toBe('[REDACTED:private_key]\nThe rest of the output was cut, see above.');
  });

  it('redacts a secret that follows a JSON escape, without breaking the escape', () => {
    const key = planted('openai_key');
    const json = JSON.stringify({ output: `line one\n${key}\tdone` });
    const out = redactText(json).text;
    expect(JSON.parse(out)).toEqual({ output: 'line one\n[REDACTED:openai_key]\tdone' });
  });

  it('does not take a vendor prefix inside a longer word for a key', () => {
    // Short enough that only the prefix rules could fire: the word boundary is what stops them.
    for (const text of [
      'desk-0123456789abcdefABCDEF',
      'grisk-ant-0123456789abcdefghij',
      'the asks-0123456789abcdefghijk',
    ]) {
      expect(redactText(text).text).toBe(text);
    }
    expect(redactText('x sk-0123456789abcdefABCDEF').text).toBe('x [REDACTED:generic_sk_key]');
  });

  it('counts every replacement per kind and reports nothing for clean text', () => {
    const a = planted('aws_access_key');
    const r = redactText(`${a} and again ${a}; also ${planted('npm_token')}`);
    expect(r.counts).toEqual({ aws_access_key: 2, npm_token: 1 });
    expect(redactText('nothing to see here').counts).toEqual({});
  });

  it('handles the empty string and text that is only markers', () => {
    expect(redactText('')).toEqual({ text: '', counts: {} });
    const markers = REDACTION_KINDS.map((k) => redactionMarker(k)).join(' ');
    expect(redactText(markers)).toEqual({ text: markers, counts: {} });
    expect(containsSecret(markers)).toBe(false);
  });

  it('never re-redacts markers placed where a secret was', () => {
    const inputs = [
      'API_KEY=[REDACTED:openai_key]',
      'password: "[REDACTED:env_assignment]"',
      'postgres://u:[REDACTED:url_password]@h/db',
      'https://[REDACTED:github_token]@github.com/a/b.git',
      'Authorization: Bearer [REDACTED:jwt]',
      '"private_key": "[REDACTED:private_key]\\n"',
      'token = "Bearer [REDACTED:bearer_token]"',
    ];
    for (const input of inputs) expect(redactText(input).text).toBe(input);
  });
});

describe('references and placeholders are not secrets', () => {
  it.each([
    'curl -H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.com/v1/models',
    'headers: { Authorization: `Bearer ${token}` }',
    'export OPENAI_API_KEY=$(cat ~/.config/openai/key)',
    'OPENAI_API_KEY=<your-api-key>',
    'ANTHROPIC_API_KEY=${ANTHROPIC_API_KEY}',
    'password: ********',
    'api_key: "{{ secrets.API_KEY }}"',
    'const apiKey = process.env.OPENAI_API_KEY;',
    'token = getToken(config)',
    'GOOGLE_APPLICATION_CREDENTIALS=/home/dev/keys/service-account.json',
    'SSH_KEY=~/.ssh/id_ed25519',
    'postgres://user:password@localhost:5432/app',
    'mysql://root:${DB_PASSWORD}@db/app',
    '--password $DB_PASSWORD',
  ])('%s', (text) => {
    expect(redactText(text).text).toBe(text);
    expect(containsSecret(text)).toBe(false);
  });
});

describe('isSecretName', () => {
  it.each([
    'OPENAI_API_KEY',
    'api_key',
    'apiKey',
    'X-Api-Key',
    'AWS_SECRET_ACCESS_KEY',
    'GITHUB_TOKEN',
    'authToken',
    'client_secret',
    'PASSWORD',
    'db_password',
    'PGPASSWORD',
    'MYSQL_PWD',
    'passwd',
    'SMTP_PASS',
    'passphrase',
    'CREDENTIALS',
    'PRIVATE_KEY',
    'private_token',
    'SECRET_KEY_BASE',
    'AccountKey',
    'aws.secret_key',
    'config.apiKey',
  ])('%s is secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each([
    'key',
    'pass',
    'pwd',
    'PWD',
    'PRIMARY_KEY',
    'cache_key',
    'cacheKey',
    'sortKey',
    'PUBLIC_KEY',
    'max_tokens',
    'next_page_token',
    'PASSWORD_MIN_LENGTH',
    'SSH_KEY_PATH',
    'token_count',
    'TOKEN_FILE',
    'access_key_id',
    'Private_identifiers_are_not_allowed_in_variable_declarations',
    'seg.key',
    'this._key',
    'username',
    'tokenizer',
  ])('%s is not secret', (name) => {
    expect(isSecretName(name)).toBe(false);
  });
});

describe('looksRandomToken', () => {
  it('accepts the random values of the corpus', () => {
    for (const { kind, secret } of PLANTED_SECRETS)
      if (kind === 'high_entropy') expect(looksRandomToken(secret)).toBe(true);
  });

  it.each([
    ['a 40-hex commit SHA', '3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39'],
    ['a 64-hex digest', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    ['a UUID', '550e8400-e29b-41d4-a716-446655440000'],
    ['an id wrapping a UUID', 'msg_01a2161a-5bc7-7b23-bbfa-deae3342a7d5'],
    ['a rollout file name', 'rollout-2026-11-26T04-27-01-01a2161b-5cdb-7e32-afd4-a663d1d22680'],
    ['a camelCase identifier', 'getUserProfileSettingsForAccount2Id'],
    ['a PascalCase class', 'ThisIsAVeryLongPascalCaseClassName2Factory'],
    ['a snake_case test name', 'test_redact_handles_long_identifiers_v2_correctly'],
    ['a SCREAMING constant', 'NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS'],
    ['a kebab slug', 'my-super-long-kebab-case-name-2024-edition'],
    ['a relative path', 'packages/core/src/utils/helpers2/formatters'],
    ['an alphabet', '123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ'],
    [
      'base64 of English',
      Buffer.from('the quick brown fox jumps over the lazy dog 42 times').toString('base64'),
    ],
    ['base64 of an alphabet', Buffer.from('abcdefghijklmnopqrstuvwxyz').toString('base64')],
    ['a short token', 'aB3dE6gH9jK2mN5pQ8sT1vW4'],
  ])('rejects %s', (_what, token) => {
    expect(looksRandomToken(token)).toBe(false);
  });

  it('accepts base64 of a secret: encoding does not launder it', () => {
    expect(looksRandomToken(Buffer.from(planted('openai_key', 1)).toString('base64'))).toBe(true);
  });
});
