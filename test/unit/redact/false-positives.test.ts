import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { containsSecret, redactText } from '../../../src/core/redact/redact.js';

const sha1 = createHash('sha1').update('a commit').digest('hex');
const sha256 = createHash('sha256').update('an image').digest('hex');
const integrity = `sha512-${createHash('sha512').update('a tarball').digest('base64')}`;

/** Things a coding session is full of that memory must keep verbatim. */
const ORDINARY: Record<string, string> = {
  'npm and git commands': [
    'npm test',
    'npm run build && npx vitest run test/unit/redact',
    'git log --oneline -5',
    'git commit -m "fix: handle an empty transcript"',
    'git push -u origin main',
    'git remote add origin git@github.com:acme/widgets.git',
    'docker run --rm -it -v "$PWD":/app -w /app node:20 npm ci',
    'ssh -i ~/.ssh/id_ed25519 deploy@10.0.0.12',
  ].join('\n'),
  'commit SHAs and digests': [
    `commit ${sha1} (HEAD -> main, origin/main)`,
    `git show ${sha1}:src/core/review/redact.ts`,
    `Fixed in ${sha1}.`,
    `{"commit": "${sha1}", "parent": "${sha1.slice(0, 7)}"}`,
    `FROM node@sha256:${sha256}`,
    `"integrity": "${integrity}"`,
  ].join('\n'),
  'UUIDs and ids': [
    '550e8400-e29b-41d4-a716-446655440000',
    '{"id": "msg_01a2161a-5bc7-7b23-bbfa-deae3342a7d5", "thread_id": "019a7f3e-55aa-7c41-9b1e-3f8d2c6e4a10"}',
    '/home/dev/.codex/sessions/2026/11/26/rollout-2026-11-26T04-27-01-01a2161b-5cdb-7e32-afd4-a663d1d22680.jsonl',
    'pod/my-app-7d9f8b6c5d-x2v9k restarted',
  ].join('\n'),
  paths: [
    '/Users/alice/Projects/codex-self-evolution/src/core/review/redact.ts',
    '~/.codex-self-evolution/buckets/acme-widgets/suggestions/pending/',
    'C:\\Users\\alice\\AppData\\Roaming\\npm\\node_modules\\codex-self-evolution',
    'packages/core/src/utils/helpers2/formatters/index.ts',
    './node_modules/.pnpm/@vitest+runner@4.1.12/node_modules/@vitest/runner/dist/index.js',
  ].join('\n'),
  'versions and semver': [
    'node v20.20.2, npm 10.8.2, vitest 4.1.12',
    '"version": "0.7.1", "engines": { "node": ">=20" }',
    '1.2.3-beta.4+build.5 and ^4.0.0 and ~1.9.1',
    'golang.org/x/tools v0.0.0-20230101120000-abcdef123456',
  ].join('\n'),
  'URLs without passwords': [
    'https://github.com/openai/codex/blob/main/codex-rs/core/src/lib.rs#L42',
    'https://example.com/search?q=redaction&page=2&sort=desc',
    'http://localhost:3000/api/v1/users/42',
    'ssh://git@github.com:22/acme/widgets.git',
    'https://github.com/acme/widgets/actions/runs/12345678901/job/34567890123',
    'https://user@example.com/path',
  ].join('\n'),
  'CSS colours':
    'color: #ff00aa; background: #1e1e1e; border: 1px solid rgba(0, 0, 0, 0.5); --accent: #3b82f6;',
  'Chinese text': [
    '这是一个关于记忆系统的中文说明，不包含任何秘密。',
    '代码审查：请检查 src/core/review/redact.ts 的实现，然后运行 npm test。',
    '令牌（token）过期了，请重新登录。密码：请在设置页面修改。',
  ].join('\n'),
  'ordinary TypeScript': [
    'const tokens = tokenize(input);',
    'for (const key of Object.keys(obj)) map.set(key, value);',
    'const { apiKey } = options;',
    "if (!apiKey) throw new ConfigError('missing api key');",
    'interface Options { apiKey?: string; token: string; password: string }',
    'function createCipher(algorithm: string, password: BinaryLike): Cipher;',
    'const cacheKey = `${bucket}:${sessionId}`;',
    'let token = tokens[pos];',
    'token = next;',
    'const maxTokens = 1024;',
    'type Kind = "openai_key" | "jwt";',
    'export function getUserProfileSettingsForAccountId(accountId: string): Settings {}',
    'credentials: "include",',
  ].join('\n'),
  'config and prose': [
    'max_tokens: 1024',
    '"max_tokens": 4096',
    '"password_min_length": 12',
    'PWD=/home/dev/project',
    'PRIMARY_KEY=id',
    'cache_key = "user:42"',
    'next_page_token: null',
    'VITE_APP_FEATURE_FLAG_ENABLE_NEW_DASHBOARD_V2=true',
    'Set `OPENAI_API_KEY` in your environment before running the reviewer.',
    'The token expired; please refresh the access token.',
    'Bearer tokens are sent in the Authorization header.',
    'authorization: required',
    'risk-assessment-template-for-2024-q3 and task-runner-configuration-2',
    'The base64 of hello world is aGVsbG8gd29ybGQ= (short and ordinary).',
  ].join('\n'),
  'paths with temp-dir names and hash suffixes': [
    'session-start: /tmp/csep-test-ylKjI0/home/projects/-tmp-csep-test-ylKjI0-repo--518d6d7664/memory/memory.json: Unexpected token',
    'wrote /var/folders/7x/k2j4h5g6f7d8s9a0/T/vitest-Xq9ZkP3mN8/node_modules/.vite/deps_temp_4f2a1b9c/chunk-Q7ZP3XKM.js',
  ].join('\n'),
  'base64 of ordinary text': [
    `echo ${Buffer.from('the quick brown fox jumps over the lazy dog 42 times again').toString('base64')} | base64 -d`,
    `data: ${Buffer.from('{"event":"deploy","status":"ok","duration_ms":1234}').toString('base64url')}`,
  ].join('\n'),
};

describe('ordinary text is left alone', () => {
  it.each(Object.entries(ORDINARY))('%s', (_label, text) => {
    const { text: out, counts } = redactText(text);
    expect(out).toBe(text);
    expect(counts).toEqual({});
    expect(containsSecret(text)).toBe(false);
  });

  it('leaves a long realistic session log untouched', () => {
    const log = Object.values(ORDINARY).join('\n\n').repeat(20);
    expect(redactText(log).text).toBe(log);
  });
});
