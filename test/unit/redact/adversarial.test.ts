import { describe, expect, it } from 'vitest';
import { containsSecret, redactText } from '../../../src/core/redact/redact.js';
import { PLANTED_SECRETS, assertNoSecrets } from '../../fixtures/secrets/corpus.js';

// Inputs built to make a backtracking regex go quadratic or worse: a rule start repeated with no
// end, runs of one character class, unterminated quotes, nested assignments. There is no timing
// assertion: a super-linear rule turns these into a hang, which the test timeout reports.

const MB = 1024 * 1024;
const fill = (unit: string, size: number): string =>
  unit.repeat(Math.ceil(size / unit.length)).slice(0, size);

const FRAGMENTS = [
  'a',
  'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7',
  '-----BEGIN RSA PRIVATE KEY-----',
  '-----BEGIN PRIVATE KEY-----\nQUJDRA\n',
  '----- - -- ---- ',
  'sk-',
  'sk-ant-a',
  'sk-proj-',
  'eyJ',
  'eyJabcdefghij.',
  'ghp_',
  'xoxb-',
  'AKIA',
  'MTk',
  'SG.',
  'a://',
  'http://u:',
  'http://u:p@',
  'PASSWORD=',
  'password="',
  'password=\\"a',
  'token = ',
  '--password ',
  'A=b,c=d;token=e&',
  'CACHE_KEY=',
  'a:',
  '"',
  '\\',
  '\\n',
  'Authorization: ',
  'Bearer ',
  'Bearer a1',
  '+/',
  '/a',
  '0123456789abcdef',
  '-',
  ' \n',
  'aws_secret_access_key=',
  'x=1; y: "z" \'a\' key=val https://h/p?q=1 ',
  'https://hooks.slack.com/services/',
  '这是中文文本，没有秘密。',
  // Position rules, public-material shields and the fold re-join.
  'mysql -p',
  'mysql -h h -u u ',
  'sshpass -p ',
  'docker login -p ',
  '-u a:',
  'curl -u ',
  'login a password ',
  'login a\n',
  'a:1:b:c:',
  'Set-Cookie: a=bcdefghijk1; ',
  '?sig=',
  '&sig=abcdefghijklmnop1',
  'password is ',
  'password for a is ',
  'password ',
  '密码: ',
  '密码',
  '访问密钥是a1',
  'hvs.',
  'key-',
  'dapi0',
  'x:AA',
  'https://0123456789abcdef0123@',
  'a:b@c.',
  'data:image/png;base64,',
  'data:a/b;c=d;',
  'h1:',
  'sha512-',
  'ssh-ed25519 AAAA',
  '-----BEGIN CERTIFICATE-----',
  '-----BEGIN CERTIFICATE-----\nQUJD\n',
  'Qm',
  'bafy',
  'MTAxMjM0NTY3ODkwMTIzNDU2.',
  'aB3dE6gH9jK2mN5p\n',
  'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7\n',
  '\uE000',
  // Base64 of text is decoded and checked again: one huge run, and many separate ones.
  'dGhlIHF1aWNr',
  `${Buffer.from('the quick brown fox jumps over the lazy dog 42 times again').toString('base64')} `,
];

describe('adversarial input', () => {
  it('redacts a 5 MB mix of every adversarial fragment and still finds a secret at its end', () => {
    const slice = Math.floor((5 * MB) / FRAGMENTS.length);
    const tail = PLANTED_SECRETS.map((s) => s.context).join('\n');
    const input = `${FRAGMENTS.map((f) => fill(f, slice)).join('\n')}\n${tail}`;
    expect(input.length).toBeGreaterThan(5 * MB - FRAGMENTS.length);
    const { text } = redactText(input);
    expect(assertNoSecrets(text)).toEqual([]);
    expect(containsSecret(input)).toBe(true);
  });

  it.each(FRAGMENTS.map((f) => [JSON.stringify(f).slice(0, 40), f] as const))(
    'survives 1 MB of %s',
    (_label, fragment) => {
      const input = fill(fragment, MB);
      const once = redactText(input).text;
      // Idempotent, and containsSecret agrees with whether anything was replaced.
      expect(redactText(once).text).toBe(once);
      expect(containsSecret(input)).toBe(once !== input);
    },
  );

  it('leaves long runs of ordinary characters as they are', () => {
    for (const unit of ['a', '-', ' \n', '这是中文文本，没有秘密。', '0123456789abcdef', 'x=1; ']) {
      const input = fill(unit, MB);
      expect(redactText(input).text).toBe(input);
    }
  });

  it('redacts a flood of unterminated PEM headers as private keys', () => {
    const input = fill('-----BEGIN RSA PRIVATE KEY-----', MB);
    const { text, counts } = redactText(input);
    expect(text).not.toContain('PRIVATE KEY');
    expect(counts.private_key).toBeGreaterThan(1000);
  });
});
