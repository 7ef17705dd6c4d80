/**
 * The agent-CLI reviewers' pieces that need no binary: the registry, selection of their
 * settings, the codex command line, the logged-out pre-check, failure classes, the strict output
 * schema and the shared parser's reading of null fields.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/core/config/load.js';
import { PROFILE_PROVIDERS } from '../../../src/core/config/schema.js';
import { parseReviewerOutput } from '../../../src/core/review/parse.js';
import { classifyAgentFailure, errorLines } from '../../../src/core/review/providers/agent-cli.js';
import {
  CODEX_DISABLED_FEATURES,
  codexArgv,
  codexCertainlyLoggedOut,
} from '../../../src/core/review/providers/codex.js';
import { claudeArgv } from '../../../src/core/review/providers/claude.js';
import {
  ProviderBadResponseError,
  ProviderConfigError,
  ProviderConnectionError,
  ProviderRateLimitError,
  ProviderServerError,
} from '../../../src/core/review/providers/errors.js';
import { getProvider, PROVIDER_NAMES, resolveReviewer } from '../../../src/core/review/providers/index.js';
import { renderReviewInput } from '../../../src/core/review/providers/opencode.js';
import { REVIEWER_OUTPUT_JSON_SCHEMA } from '../../../src/core/review/providers/reviewer-schema.js';
import { tempDir } from '../../helpers/tmp.js';

describe('one reviewer registry', () => {
  it('builds every name; config profiles accept exactly the same names', async () => {
    expect(PROFILE_PROVIDERS).toBe(PROVIDER_NAMES);
    expect(PROVIDER_NAMES).toEqual(
      expect.arrayContaining(['local', 'codex', 'claude', 'opencode', 'openai-compatible']),
    );
    for (const name of PROVIDER_NAMES) {
      const provider = await getProvider(name, { apiKey: 'k-test-1234' });
      expect(provider.name).toBe(name);
    }
    await expect(getProvider('codex-cli')).rejects.toBeInstanceOf(ProviderConfigError);
  });

  it('a codex profile no longer warns as an unknown provider', () => {
    const loaded = parseConfig('active_profile = "codex"\n[profiles.codex]\nprovider = "codex"\n', {
      path: '/h/config.toml',
      env: {},
    });
    expect(loaded.warnings).toEqual([]);
  });
});

describe('selection of an agent reviewer', () => {
  const cfg = parseConfig(
    '[review.codex]\npath = "/opt/codex"\nmodel = "gpt-5.4-mini"\ntimeout_seconds = 90\n',
    { path: '/h/config.toml', env: {} },
  ).config;

  it('CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER=codex selects it with the [review.codex] settings', () => {
    const selection = resolveReviewer({
      config: cfg,
      env: { CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: 'codex' },
    });
    expect(selection.provider).toBe('codex');
    expect(selection.settings).toMatchObject({
      program: '/opt/codex',
      model: 'gpt-5.4-mini',
      timeoutSeconds: 90,
      reasoningEffort: 'low',
    });
    expect(selection.sources).toMatchObject({
      path: 'review.codex',
      model: 'review.codex',
      timeout_seconds: 'review.codex',
    });
  });

  it('the reviewer model variable still overrides the config', () => {
    const selection = resolveReviewer({
      config: cfg,
      env: {
        CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER: 'codex',
        CODEX_SELF_EVOLUTION_REVIEWER_MODEL: 'o4-mini',
      },
    });
    expect(selection.settings.model).toBe('o4-mini');
  });

  it('the default stays local', () => {
    expect(resolveReviewer({ config: cfg, env: {} }).provider).toBe('local');
  });
});

describe('the codex command line (verified against codex exec 0.169.0)', () => {
  it('is ephemeral, hook-less, read-only, schema-bound and reads the input from stdin', () => {
    const argv = codexArgv(
      '/bin/codex',
      { prompt: '/t/reviewer.md', schema: '/t/s.json', answer: '/t/a.json' },
      CODEX_DISABLED_FEATURES,
      'gpt-5.4-mini',
      'low',
    );
    expect(argv.slice(0, 3)).toEqual(['/bin/codex', 'exec', '--ephemeral']);
    expect(argv.join(' ')).toContain('--disable hooks');
    expect(argv.join(' ')).toContain('--disable shell_tool');
    expect(argv.join(' ')).toContain('-s read-only --skip-git-repo-check');
    expect(argv).toContain('model_instructions_file="/t/reviewer.md"');
    expect(argv.join(' ')).toContain(
      '-c model_reasoning_effort="low" --output-schema /t/s.json -o /t/a.json -m gpt-5.4-mini',
    );
    expect(argv.at(-1)).toBe('-');
  });
});

describe('codex certainly logged out', () => {
  function home(files: Record<string, string>): string {
    const dir = join(tempDir(), 'codex-home');
    mkdirSync(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };

  it('no auth.json, no key, the OpenAI provider: logged out', () => {
    expect(codexCertainlyLoggedOut({ CODEX_HOME: home({}) }, read)).toBe(true);
    expect(codexCertainlyLoggedOut({ CODEX_HOME: home({ 'config.toml': 'model = "x"\n' }) }, read)).toBe(
      true,
    );
  });

  it('a login, a key, another provider or a keyring store: not certain', () => {
    expect(codexCertainlyLoggedOut({ CODEX_HOME: home({ 'auth.json': '{}' }) }, read)).toBe(false);
    expect(codexCertainlyLoggedOut({ CODEX_HOME: home({}), OPENAI_API_KEY: 'sk-x' }, read)).toBe(false);
    expect(
      codexCertainlyLoggedOut({ CODEX_HOME: home({ 'config.toml': 'model_provider = "ollama"\n' }) }, read),
    ).toBe(false);
    expect(
      codexCertainlyLoggedOut(
        { CODEX_HOME: home({ 'config.toml': 'cli_auth_credentials_store = "keyring"\n' }) },
        read,
      ),
    ).toBe(false);
    // A model_provider inside a table is not the root setting.
    expect(
      codexCertainlyLoggedOut(
        { CODEX_HOME: home({ 'config.toml': '[profiles.x]\nmodel_provider = "ollama"\n' }) },
        read,
      ),
    ).toBe(true);
  });
});

describe('failure classes (the same for every reviewer)', () => {
  it.each([
    ['ERROR: unexpected status 401 Unauthorized: Missing bearer', ProviderConfigError],
    ['Not logged in · Please run /login', ProviderConfigError],
    ['ERROR: exceeded retry limit, last status: 429 Too Many Requests', ProviderRateLimitError],
    ['ERROR: Quota exceeded. Check your plan and billing details.', ProviderRateLimitError],
    ['API Error: Repeated 529 Overloaded errors.', ProviderServerError],
    [
      'ERROR: stream disconnected before completion: stream closed before response.completed',
      ProviderConnectionError,
    ],
  ])('%s', (text, cls) => {
    const error = classifyAgentFailure('codex', text);
    expect(error).toBeInstanceOf(cls);
  });

  it('a not-logged-in error says what to do', () => {
    expect(classifyAgentFailure('claude', 'Not logged in · Please run /login').message).toContain('log in');
    expect(classifyAgentFailure('codex', 'HTTP 401').message).toContain('`codex login`');
  });

  it('only error lines of stderr are kept: the echoed transcript never reaches the spool', () => {
    const stderr =
      'user\n"transcript": "the error was a secret plan"\nwarning: x\n' +
      'ERROR: unexpected status 401 Unauthorized\n';
    expect(errorLines(stderr)).toBe('ERROR: unexpected status 401 Unauthorized');
    expect(errorLines('user\nsome words\nlast line')).toBe('last line');
  });
});

describe('claude command line', () => {
  // Not --bare: it ignores a subscription login.
  it('no tools, hooks off through settings, no session kept', () => {
    const argv = claudeArgv('/bin/claude', 'SYSTEM', 'claude-haiku-4-5');
    expect(argv).toEqual([
      '/bin/claude',
      '-p',
      '--output-format',
      'json',
      '--tools',
      '',
      '--strict-mcp-config',
      '--disable-slash-commands',
      '--settings',
      '{"disableAllHooks":true}',
      '--no-session-persistence',
      '--system-prompt',
      'SYSTEM',
      '--model',
      'claude-haiku-4-5',
    ]);
    expect(argv).not.toContain('--bare');
  });
});

describe('opencode review input file', () => {
  it("keeps every field, as text, with no line over opencode's 2000-character cut", () => {
    const transcript = `user: ${'x'.repeat(5000)}\nassistant: done`;
    const text = renderReviewInput(
      JSON.stringify({ repository: 'r', transcript, existing_memory: { user_md: '', memory_md: '' } }),
    );
    expect(text).toContain('## transcript\nuser: xxx');
    expect(text).toContain('assistant: done');
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(1800);
    expect(text.replace(/\n/g, '')).toContain('x'.repeat(5000));
  });
});

describe('the strict output schema', () => {
  it('lists every property as required and forbids others, at every level (OpenAI strict mode)', () => {
    const visit = (node: unknown, at: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as {
        type?: unknown;
        properties?: Record<string, unknown>;
        required?: string[];
        additionalProperties?: unknown;
        items?: unknown;
      };
      const types = Array.isArray(n.type) ? n.type : [n.type];
      if (types.includes('object')) {
        expect(n.additionalProperties, at).toBe(false);
        expect([...(n.required ?? [])].sort(), at).toEqual(Object.keys(n.properties ?? {}).sort());
      }
      for (const [key, child] of Object.entries(n.properties ?? {})) visit(child, `${at}.${key}`);
      if (n.items) visit(n.items, `${at}[]`);
    };
    visit(REVIEWER_OUTPUT_JSON_SCHEMA, '$');
  });

  it("an answer shaped by it (nulls for unused fields) parses like any other reviewer's", () => {
    const parsed = parseReviewerOutput(
      JSON.stringify({
        memory_updates: [
          {
            summary: 'Use pnpm',
            details: {
              action: 'add',
              scope: null,
              old_summary: null,
              content: 'Use pnpm.',
              source_paths: [],
              evidence: null,
            },
            confidence: 0.8,
          },
        ],
        recall_candidate: [],
        skill_action: [],
      }),
    );
    expect(parsed.skipped).toEqual([]);
    expect(parsed.suggestions[0]!.details).toEqual({ action: 'add', content: 'Use pnpm.', source_paths: [] });
  });

  it('prose is still a bad answer', () => {
    expect(() => parseReviewerOutput('Nothing to remember.')).toThrow(/no JSON object/);
    expect(new ProviderBadResponseError('x', { provider: 'codex' }).retryable).toBe(false);
  });
});
