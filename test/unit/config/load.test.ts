/** Loading config.toml: defaults, sections, legacy lifting, active profile, warnings, errors. */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigFileError, loadConfig, parseConfig } from '../../../src/core/config/load.js';
import { PROFILE_PROVIDERS } from '../../../src/core/config/schema.js';
import { CONFIG_TEMPLATE } from '../../../src/core/config/template.js';

const PATH = '/home/u/.codex-self-evolution/config.toml';
const parse = (text: string | undefined, env: Record<string, string> = {}) =>
  parseConfig(text, { path: PATH, env });

describe('defaults', () => {
  it('no file: built-in defaults, every source "default", no active profile', () => {
    const loaded = parse(undefined);
    expect(loaded.exists).toBe(false);
    expect(loaded.schemaVersion).toBe(2);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.config).toEqual({
      schema_version: 2,
      active_profile: null,
      profiles: {},
      compile: {
        backend: 'script',
        allow_fallback: true,
        opencode: { model: '', agent: '', timeout_seconds: 900 },
        memory: {},
      },
      scheduler: { backend: 'agent:opencode', interval_seconds: 300 },
      recall: { top_k: 5 },
      session_start: { budget_chars: 8000 },
      log: { retention_days: 14 },
      review: {
        memory: 'auto',
        recall: 'auto',
        skills: 'review',
        max_per_day: 200,
        codex: { path: '', model: '', timeout_seconds: 180, reasoning_effort: 'low' },
        claude: { path: '', model: '', timeout_seconds: 180, reasoning_effort: 'low' },
        opencode: { path: '', model: '', timeout_seconds: 180, reasoning_effort: 'low' },
      },
      team: { enabled: true, auto_share: false },
    });
    expect(loaded.sources['compile.opencode.timeout_seconds']).toBe('default');
    expect(loaded.sources['session_start.budget_chars']).toBe('default');
    expect(loaded.sources['active_profile']).toBe('default');
  });
});

describe('the config init template', () => {
  const loaded = parse(CONFIG_TEMPLATE);

  it('parses without warnings and keeps the offline reviewer active', () => {
    expect(loaded.warnings).toEqual([]);
    expect(loaded.config.active_profile).toBe('local');
    expect(loaded.activeProfileSource).toBe('config.toml');
  });

  it('has full endpoint URLs for deepseek and gemini (the original stopped at /v1)', () => {
    expect(loaded.config.profiles['deepseek']?.base_url).toBe('https://api.deepseek.com/v1/chat/completions');
    expect(loaded.config.profiles['gemini']?.base_url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/openai/chat/completions',
    );
  });

  it('names only known providers, and every profile with a base_url names its key variable', () => {
    for (const [name, profile] of Object.entries(loaded.config.profiles)) {
      expect(PROFILE_PROVIDERS, name).toContain(profile.provider);
      if (profile.base_url !== undefined) expect(profile.api_key_env, name).toMatch(/^[A-Z_]+$/);
    }
  });
});

describe('sections', () => {
  const text = `
schema_version = 2
active_profile = "glm"

[profiles.glm]
provider = "anthropic-style"
model = "glm-5"
base_url = "https://open.bigmodel.cn/api/anthropic/v1/messages"
api_key_env = "ZHIPU_API_KEY"
timeout_seconds = 60
max_retries = 1
retry_backoff = [3.0, 8.0]

[compile]
backend = "agent:opencode"
allow_fallback = false

[compile.opencode]
model = "openrouter/some-model"
timeout_seconds = 600.5

[scheduler]
interval_seconds = 120

[recall]
top_k = 9

[session_start]
budget_chars = 4000
`;

  it('returns every section, with file values labelled config.toml', () => {
    const loaded = parse(text);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.config.active_profile).toBe('glm');
    expect(loaded.config.profiles['glm']).toEqual({
      provider: 'anthropic-style',
      model: 'glm-5',
      base_url: 'https://open.bigmodel.cn/api/anthropic/v1/messages',
      api_key_env: 'ZHIPU_API_KEY',
      timeout_seconds: 60,
      max_retries: 1,
      retry_backoff: [3, 8],
    });
    expect(loaded.config.compile).toEqual({
      backend: 'agent:opencode',
      allow_fallback: false,
      opencode: { model: 'openrouter/some-model', agent: '', timeout_seconds: 600.5 },
      memory: {},
    });
    expect(loaded.config.scheduler).toEqual({ backend: 'agent:opencode', interval_seconds: 120 });
    expect(loaded.config.recall.top_k).toBe(9);
    expect(loaded.config.session_start.budget_chars).toBe(4000);
    expect(loaded.sources['compile.opencode.model']).toBe('config.toml');
    expect(loaded.sources['compile.opencode.agent']).toBe('default');
    expect(loaded.sources['profiles.glm.model']).toBe('config.toml');
    expect(loaded.sources['active_profile']).toBe('config.toml');
  });

  it('environment overrides the file for compile settings', () => {
    const loaded = parse(text, {
      CODEX_SELF_EVOLUTION_COMPILE_BACKEND: 'script',
      CODEX_SELF_EVOLUTION_OPENCODE_AGENT: 'reviewer',
      CODEX_SELF_EVOLUTION_OPENCODE_MODEL: '   ',
    });
    expect(loaded.config.compile.backend).toBe('script');
    expect(loaded.sources['compile.backend']).toBe('env:CODEX_SELF_EVOLUTION_COMPILE_BACKEND');
    expect(loaded.config.compile.opencode.agent).toBe('reviewer');
    // Blank means unset: the file's value stays.
    expect(loaded.config.compile.opencode.model).toBe('openrouter/some-model');
  });

  it('treats empty strings in a profile as unset', () => {
    const loaded = parse('[profiles.a]\nprovider = "minimax"\nmodel = ""\nbase_url = ""\napi_key_env = ""\n');
    expect(loaded.config.profiles['a']).toEqual({ provider: 'minimax' });
  });
});

describe('legacy schema 1', () => {
  it('lifts [reviewer] into a "default" profile with a deprecation warning', () => {
    const loaded = parse(
      'schema_version = 1\n[reviewer]\nprovider = "openai-compatible"\nmodel = "gpt-x"\ntimeout_seconds = 12.5\n',
    );
    expect(loaded.schemaVersion).toBe(1);
    expect(loaded.config.profiles['default']).toEqual({
      provider: 'openai-compatible',
      model: 'gpt-x',
      timeout_seconds: 12.5,
    });
    expect(loaded.config.active_profile).toBe('default');
    expect(loaded.activeProfileSource).toBe('config.toml (auto)');
    expect(loaded.warnings).toHaveLength(1);
    expect(loaded.warnings[0]).toMatch(/^reviewer: .*deprecated schema-1 layout.*profile "default"/);
    expect(loaded.sources['profiles.default.model']).toBe('config.toml [reviewer] (legacy)');
  });

  it('keeps an explicit [profiles.default] and warns that [reviewer] is ignored', () => {
    const loaded = parse('[reviewer]\nmodel = "old"\n[profiles.default]\nprovider = "dummy"\n');
    expect(loaded.config.profiles['default']).toEqual({ provider: 'dummy' });
    expect(loaded.warnings.join('\n')).toMatch(/ignored because \[profiles.default\] exists/);
  });
});

describe('active profile', () => {
  it('an unknown active_profile warns and falls back to no profile', () => {
    const loaded = parse(
      'active_profile = "nope"\n[profiles.a]\nprovider = "dummy"\n[profiles.b]\nprovider = "dummy"\n',
    );
    expect(loaded.config.active_profile).toBeNull();
    expect(loaded.warnings).toEqual([
      'active_profile: no profile named "nope" (available: a, b); using the built-in reviewer defaults',
    ]);
  });

  it('without active_profile: the only profile, else "default", else none', () => {
    expect(parse('[profiles.only]\nprovider = "dummy"\n').config.active_profile).toBe('only');
    expect(parse('[profiles.x]\n[profiles.default]\n').config.active_profile).toBe('default');
    expect(parse('[profiles.x]\n[profiles.y]\n').config.active_profile).toBeNull();
  });
});

describe('warnings', () => {
  it('reports unknown keys with their path (typos), without failing', () => {
    const loaded = parse(
      'schema_version = 2\nactiv_profile = "x"\n[profiles.a]\nprovider = "dummy"\nmodle = "m"\n[compile.opencode]\nagnet = "x"\n[recall]\ntopk = 3\n',
    );
    expect(loaded.warnings).toEqual([
      'activ_profile: unknown key (typo?); ignored',
      'profiles.a.modle: unknown key (typo?); ignored',
      'recall.topk: unknown key (typo?); ignored',
      'compile.opencode.agnet: unknown key (typo?); ignored',
    ]);
  });

  it('flags secret-looking keys without echoing their values', () => {
    const loaded = parse(
      '[profiles.a]\nprovider = "minimax"\napi_key = "sk-abcdef123456"\n[log]\nslack_token = "xoxb-999"\n',
    );
    const joined = loaded.warnings.join('\n');
    expect(joined).toMatch(/profiles\.a\.api_key: looks like an API key/);
    expect(joined).toMatch(/log\.slack_token: looks like an API key/);
    expect(joined).not.toContain('sk-abcdef123456');
    expect(joined).not.toContain('xoxb-999');
    // The pasted key is not carried into the resolved config either.
    expect(JSON.stringify(loaded.config)).not.toContain('sk-abcdef123456');
  });

  it('warns about providers this version does not have and about subprocess settings', () => {
    const loaded = parse(
      '[profiles.codex]\nprovider = "codex-cli"\n[profiles.codex.subprocess]\ncommand = ["codex"]\n',
    );
    expect(loaded.warnings).toEqual([
      'profiles.codex.provider: unknown provider "codex-cli" (known: local, dummy, openai-compatible, anthropic-style, minimax, codex, claude, opencode); this profile cannot select a reviewer',
      'profiles.codex.subprocess: subprocess reviewers are not supported by this version; ignored',
    ]);
  });
});

describe('errors name the file and the place', () => {
  it('bad TOML: file, line and column, but not the text of the line', () => {
    let caught: unknown;
    try {
      parse('schema_version = 2\napi_key = "sk-secret-on-the-bad-line\n[profiles.a]\n');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigFileError);
    const error = caught as ConfigFileError;
    expect(error.message).toMatch(new RegExp(`^${PATH.replace(/\./g, '\\.')}:2:\\d+: invalid TOML: `));
    expect(error.line).toBe(2);
    expect(error.message).not.toContain('sk-secret');
    expect(error.exitCode).toBe(2);
  });

  it('wrong type: file and key path', () => {
    expect(() => parse('[profiles.glm]\ntimeout_seconds = "sixty"\n')).toThrow(
      new RegExp(`^${PATH.replace(/\./g, '\\.')}: profiles\\.glm\\.timeout_seconds: `),
    );
    expect(() => parse('[session_start]\nbudget_chars = -1\n')).toThrow(/session_start\.budget_chars: /);
    expect(() => parse('[profiles.a]\nbase_url = "ftp://x"\n')).toThrow(
      /profiles\.a\.base_url: expected an http\(s\) URL/,
    );
  });

  it('schema_version outside 1..2', () => {
    expect(() => parse('schema_version = 3\n')).toThrow(
      /schema_version: this version reads schema_version up to 2/,
    );
    expect(() => parse('schema_version = 0\n')).toThrow(/schema_version: must be 1 or 2/);
  });
});

describe('loadConfig on disk', () => {
  let home: string;
  beforeEach(() => {
    home = realpathSync(mkdtempSync(join(tmpdir(), 'cse-config-')));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('reads <home>/config.toml', async () => {
    writeFileSync(join(home, 'config.toml'), '[recall]\ntop_k = 2\n');
    const loaded = await loadConfig({ home, env: {} });
    expect(loaded.path).toBe(join(home, 'config.toml'));
    expect(loaded.exists).toBe(true);
    expect(loaded.config.recall.top_k).toBe(2);
  });

  it('a directory in place of the file is a ConfigFileError', async () => {
    mkdirSync(join(home, 'config.toml'));
    await expect(loadConfig({ home, env: {} })).rejects.toThrow(/config\.toml: not a regular file/);
  });
});
