/** `config use`: rewrite only the active_profile line, keep comments, write atomically. */
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigFileError,
  parseConfig,
  rewriteActiveProfile,
  useProfile,
} from '../../../src/core/config/load.js';

describe('rewriteActiveProfile', () => {
  it('replaces only the value, keeping indentation and the trailing comment', () => {
    const text =
      '# my config\nschema_version = 2\n  active_profile = "minimax"   # which reviewer\n\n[profiles.glm] # zhipu\nprovider = "anthropic-style"\n';
    expect(rewriteActiveProfile(text, 'glm')).toBe(
      '# my config\nschema_version = 2\n  active_profile = "glm"   # which reviewer\n\n[profiles.glm] # zhipu\nprovider = "anthropic-style"\n',
    );
  });

  it('handles literal-string and bare values', () => {
    expect(rewriteActiveProfile("active_profile = 'a'\n", 'b')).toBe('active_profile = "b"\n');
    expect(rewriteActiveProfile('active_profile=a#c\n', 'b')).toBe('active_profile="b"#c\n');
  });

  it('inserts after schema_version when the line is absent', () => {
    expect(rewriteActiveProfile('# c\nschema_version = 2 # v\n[profiles.a]\n', 'a')).toBe(
      '# c\nschema_version = 2 # v\nactive_profile = "a"\n[profiles.a]\n',
    );
  });

  it('prepends both lines when neither exists', () => {
    expect(rewriteActiveProfile('[profiles.a]\nprovider = "dummy"\n', 'a')).toBe(
      'schema_version = 2\nactive_profile = "a"\n[profiles.a]\nprovider = "dummy"\n',
    );
  });

  it('never touches an active_profile key inside a table', () => {
    const text = 'schema_version = 2\n[profiles.a]\nactive_profile = "x"\n';
    expect(rewriteActiveProfile(text, 'a')).toBe(
      'schema_version = 2\nactive_profile = "a"\n[profiles.a]\nactive_profile = "x"\n',
    );
  });

  it('keeps CRLF line endings', () => {
    expect(rewriteActiveProfile('schema_version = 2\r\nactive_profile = "a"\r\n', 'b')).toBe(
      'schema_version = 2\r\nactive_profile = "b"\r\n',
    );
  });

  it('escapes odd profile names so the file still parses to that name', () => {
    const name = 'we"ird\\name';
    const text = rewriteActiveProfile(`[profiles.'we"ird\\name']\nprovider = "dummy"\n`, name);
    expect(parseConfig(text, { path: '/x', env: {} }).config.active_profile).toBe(name);
  });
});

describe('useProfile on disk', () => {
  let home: string;
  let file: string;
  const original =
    '# Reviewer choice below.\nschema_version = 2\nactive_profile = "a"  # keep me\n\n[profiles.a]\nprovider = "dummy"\n# b is the fallback\n[profiles.b]\nprovider = "minimax"\n';

  beforeEach(() => {
    home = realpathSync(mkdtempSync(join(tmpdir(), 'cse-use-')));
    file = join(home, 'config.toml');
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('switches, changing exactly one line, keeping the file mode and leaving no temp file', async () => {
    writeFileSync(file, original, { mode: 0o640 });
    const result = await useProfile(home, 'b', { env: {} });
    expect(result).toEqual({ status: 'switched', path: file, activeProfile: 'b' });
    const after = readFileSync(file, 'utf8');
    expect(after).toBe(original.replace('active_profile = "a"', 'active_profile = "b"'));
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(home)).toEqual(['config.toml']);
    expect(parseConfig(after, { path: file, env: {} }).config.active_profile).toBe('b');
  });

  it('unknown profile: nothing written', async () => {
    writeFileSync(file, original);
    expect(await useProfile(home, 'zzz', { env: {} })).toEqual({
      status: 'unknown_profile',
      path: file,
      requested: 'zzz',
      available: ['a', 'b'],
    });
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('no file: no_config', async () => {
    expect(await useProfile(home, 'a', { env: {} })).toEqual({ status: 'no_config', path: file });
  });

  it('a broken file is reported, not rewritten', async () => {
    writeFileSync(file, 'active_profile = \n');
    await expect(useProfile(home, 'a', { env: {} })).rejects.toBeInstanceOf(ConfigFileError);
    expect(readFileSync(file, 'utf8')).toBe('active_profile = \n');
  });

  it('accepts the lifted legacy profile "default"', async () => {
    writeFileSync(file, 'schema_version = 1\n[reviewer]\nprovider = "dummy"\n');
    expect((await useProfile(home, 'default', { env: {} })).status).toBe('switched');
    expect(readFileSync(file, 'utf8')).toBe(
      'schema_version = 1\nactive_profile = "default"\n[reviewer]\nprovider = "dummy"\n',
    );
  });
});
