/** The `config` subcommands: output keys, exit codes, and no key values anywhere in the output. */
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  configInitCommand,
  configListProfilesCommand,
  configPathCommand,
  configShowCommand,
  configValidateCommand,
  runPath,
  runUse,
} from '../../../src/cli/commands/config.js';
import { configUseCommand } from '../../../src/cli/config-use.js';
import type { CommandContext } from '../../../src/cli/context.js';
import { CONFIG_TEMPLATE } from '../../../src/core/config/template.js';

const SECRET = 'sk-zhipu-SECRET-abcdef0123456789';

let home: string;
let file: string;
beforeEach(() => {
  home = realpathSync(mkdtempSync(join(tmpdir(), 'cse-cmd-')));
  file = join(home, 'config.toml');
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('path and init', () => {
  it('path', () => {
    expect(configPathCommand(home)).toEqual({ exitCode: 0, output: { config_path: file } });
  });

  it('init creates, refuses to overwrite without --force, overwrites with it', async () => {
    expect(await configInitCommand(home)).toEqual({
      exitCode: 0,
      output: { status: 'created', config_path: file },
    });
    expect(readFileSync(file, 'utf8')).toBe(CONFIG_TEMPLATE);
    writeFileSync(file, '# mine\n');
    const again = await configInitCommand(home);
    expect(again.exitCode).toBe(1);
    expect(again.output).toMatchObject({ status: 'exists', config_path: file });
    expect(String(again.output['error'])).toMatch(/--force/);
    expect(readFileSync(file, 'utf8')).toBe('# mine\n');
    expect(await configInitCommand(home, { force: true })).toEqual({
      exitCode: 0,
      output: { status: 'overwritten', config_path: file },
    });
    expect(readFileSync(file, 'utf8')).toBe(CONFIG_TEMPLATE);
  });
});

describe('show', () => {
  it('resolves the active profile and says whether its key is set, never the key', async () => {
    await configInitCommand(home);
    await configUseCommand(home, 'glm', { env: {} });
    const result = await configShowCommand(home, { env: { ZHIPU_API_KEY: SECRET } });
    expect(result.exitCode).toBe(0);
    const out = result.output;
    expect(JSON.stringify(out)).not.toContain(SECRET);
    expect(out).toMatchObject({ config_path: file, config_exists: true, schema_version: 2, warnings: [] });
    expect(out['reviewer']).toMatchObject({
      provider: 'anthropic-style',
      source: 'profile:glm',
      profile: 'glm',
      base_url: 'https://open.bigmodel.cn/api/anthropic/v1/messages',
      base_url_source: 'profile:glm',
      model: 'glm-5',
      api_key_env: 'ZHIPU_API_KEY',
      api_key_set: true,
      timeout_seconds: 60,
    });
    expect((out['resolved'] as { active_profile: string }).active_profile).toBe('glm');
    expect((out['sources'] as Record<string, string>)['active_profile']).toBe('config.toml');
    expect(out['env_provider']).toMatchObject({ path: join(home, '.env.provider'), exists: false });
  });

  it('warns when the selected provider has no key', async () => {
    await configInitCommand(home);
    await configUseCommand(home, 'deepseek', { env: {} });
    const result = await configShowCommand(home, { env: {} });
    expect(result.output['warnings']).toEqual([
      'reviewer: DEEPSEEK_API_KEY is not set; reviews will fail until it is',
    ]);
    expect(result.output['reviewer']).toMatchObject({ api_key_set: false, api_key_usable: false });
  });

  it('without a file: defaults and the local reviewer', async () => {
    const result = await configShowCommand(home, { env: {} });
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatchObject({
      config_exists: false,
      reviewer: { provider: 'local', source: 'default', profile: null },
    });
  });

  it('--raw prints the text with secret-looking values masked', async () => {
    writeFileSync(
      file,
      `# note\n[profiles.glm]\nprovider = "anthropic-style"\napi_key = "${SECRET}"\n"access_token" = '${SECRET}'\napi_key_env = "ZHIPU_API_KEY"\n`,
    );
    const result = await configShowCommand(home, { raw: true });
    expect(result.exitCode).toBe(0);
    expect(result.output).toEqual({
      config_path: file,
      config_exists: true,
      raw: `# note\n[profiles.glm]\nprovider = "anthropic-style"\napi_key = "<redacted>"\n"access_token" = "<redacted>"\napi_key_env = "ZHIPU_API_KEY"\n`,
    });
  });

  it('a TOML syntax error is a parse_error with exit 2', async () => {
    writeFileSync(file, 'schema_version = 2\n[profiles.a\n');
    const result = await configShowCommand(home, { env: {} });
    expect(result.exitCode).toBe(2);
    expect(result.output['status']).toBe('parse_error');
    expect(String(result.output['error'])).toContain(`${file}:2:`);
  });
});

describe('validate', () => {
  it('0 when clean, 1 with warnings, 2 when unreadable', async () => {
    expect((await configValidateCommand(home, { env: {} })).exitCode).toBe(0);
    await configInitCommand(home);
    expect(await configValidateCommand(home, { env: {} })).toEqual({
      exitCode: 0,
      output: { status: 'ok', config_path: file, config_exists: true, warnings: [] },
    });
    writeFileSync(file, `[profiles.a]\nprovider = "dummy"\ntoken = "${SECRET}"\n`);
    const warned = await configValidateCommand(home, { env: {} });
    expect(warned.exitCode).toBe(1);
    expect(warned.output['status']).toBe('warnings');
    expect(JSON.stringify(warned.output)).not.toContain(SECRET);
    writeFileSync(file, '[profiles.a]\nmax_tokens = "many"\n');
    const broken = await configValidateCommand(home, { env: {} });
    expect(broken.exitCode).toBe(2);
    expect(String(broken.output['error'])).toMatch(/profiles\.a\.max_tokens/);
  });
});

describe('use and list-profiles', () => {
  it('use: switched / unknown_profile / no_config', async () => {
    expect(await configUseCommand(home, 'nope', { env: {} })).toMatchObject({
      exitCode: 1,
      output: { status: 'no_config' },
    });
    expect(existsSync(file)).toBe(false);
    await configInitCommand(home);
    expect(await configUseCommand(home, 'kimi', { env: {} })).toEqual({
      exitCode: 0,
      output: { status: 'switched', active_profile: 'kimi', config_path: file },
    });
    const unknown = await configUseCommand(home, 'nope', { env: {} });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.output).toMatchObject({ status: 'unknown_profile', requested: 'nope' });
    expect(unknown.output['available']).toContain('kimi');
  });

  it('use: a profile of the built-in template works before `config init` (the file is created from it)', async () => {
    expect(await configUseCommand(home, 'glm', { env: {} })).toMatchObject({
      exitCode: 0,
      output: { status: 'switched', active_profile: 'glm' },
    });
    expect(readFileSync(file, 'utf8')).toMatch(/^active_profile = "glm"/m);
    expect(readFileSync(file, 'utf8')).toContain('[profiles.kimi]');
  });

  it('list-profiles names profiles and key presence, not key values', async () => {
    await configInitCommand(home);
    const result = await configListProfilesCommand(home, { env: { KIMI_API_KEY: SECRET } });
    expect(result.exitCode).toBe(0);
    expect(result.output['active_profile']).toBe('local');
    expect(result.output['profiles']).toEqual([
      'anthropic',
      'claude',
      'codex',
      'deepseek',
      'gemini',
      'glm',
      'kimi',
      'local',
      'minimax',
      'openai',
      'opencode',
    ]);
    const details = result.output['details'] as Record<string, Record<string, unknown>>;
    expect(details['kimi']).toMatchObject({
      provider: 'anthropic-style',
      api_key_env: 'KIMI_API_KEY',
      api_key_set: true,
    });
    expect(details['minimax']).toMatchObject({ api_key_env: 'MINIMAX_API_KEY', api_key_set: false });
    expect(details['local']).toEqual({ provider: 'local', model: null, base_url: null, api_key_env: null });
    expect(JSON.stringify(result.output)).not.toContain(SECRET);
  });
});

describe('program actions', () => {
  function context(): CommandContext {
    return { invocation: { home, started: 0, extras: {}, hydrated: [] }, debug: false };
  }

  it('print sorted, 2-space JSON and return the exit code', async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      expect(await runPath({}, context())).toBe(0);
      expect(await runUse({}, context(), ['x'])).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(writes[0]).toBe(`{\n  "config_path": ${JSON.stringify(file)}\n}\n`);
    expect(writes[1]).toMatch(
      /^\{\n {2}"config_path": .*,\n {2}"error": .*,\n {2}"status": "no_config"\n\}\n$/,
    );
  });
});
