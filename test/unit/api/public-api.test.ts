/**
 * The public API (dist/core/index.js) is imported by every hook, so importing it must stay cheap:
 * it loads none of zod, commander, undici or execa, and only light modules of ours; the heavy
 * parts load when an operation is first called. Checked in a fresh Node process with a module
 * loader hook that records every module Node loads.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../helpers/built.js';
import { REPO_ROOT } from '../../helpers/run-cli.js';

const HEAVY = ['zod', 'commander', 'undici', 'execa'];
const INDEX = pathToFileURL(join(REPO_ROOT, 'dist', 'core', 'index.js')).href;

/** Loader hooks (run in Node's hooks thread): append every module URL to a file before it loads. */
const HOOKS = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) {
  file = data.file;
}
export async function load(url, context, next) {
  appendFileSync(file, url + '\\n');
  return next(url, context);
}
`;

/** A \`--import\` module registering the hooks; the file is complete whenever an import has settled. */
const RECORDER = `
import { register } from 'node:module';
register('./hooks.mjs', import.meta.url, { data: { file: process.env.CSEP_LOADED_OUT } });
`;

/**
 * Runs `script` (an ES module body) in a fresh process with the recorder. The script calls
 * `mark(name)` after each step; returns, per mark, the module URLs loaded until then.
 */
function loadedModules(dir: string, script: string): Record<string, string[]> {
  const recorder = join(dir, 'recorder.mjs');
  const out = join(dir, 'loaded.txt');
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(recorder, RECORDER);
  writeFileSync(out, '');
  const prelude =
    "import { readFileSync as __read } from 'node:fs';\n" +
    'const mark = (name) => { const urls = __read(process.env.CSEP_LOADED_OUT, "utf8").split("\\n").filter(Boolean);' +
    ' process.stdout.write(JSON.stringify({ name, urls }) + "\\n"); };\n';
  const result = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(recorder).href, '--input-type=module', '-e', prelude + script],
    { cwd: dir, env: { ...process.env, CSEP_LOADED_OUT: out }, encoding: 'utf8', timeout: 60_000 },
  );
  expect(result.status, result.stderr).toBe(0);
  const marks: Record<string, string[]> = {};
  for (const line of result.stdout.split('\n').filter(Boolean)) {
    const { name, urls } = JSON.parse(line) as { name: string; urls: string[] };
    marks[name] = urls;
  }
  return marks;
}

/** A glob of the lint config's layer map (`**`, `*`, `{a,b}`) as a regular expression. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '{') re += '(?:';
    else if (c === '}') re += ')';
    else if (c === ',') re += '|';
    else re += c.replace(/[.+?^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Bare package names among loaded URLs. */
function packages(urls: readonly string[]): string[] {
  const names = new Set<string>();
  for (const url of urls) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m) names.add(m[1]!);
  }
  return [...names].sort();
}

/** Our modules among loaded URLs, relative to dist/. */
function ours(urls: readonly string[]): string[] {
  const dist = pathToFileURL(join(REPO_ROOT, 'dist')).href + '/';
  return urls.filter((u) => u.startsWith(dist)).map((u) => u.slice(dist.length));
}

describe('public API (dist/core/index.js)', () => {
  beforeAll(() => ensureBuilt());

  let loaded: Record<string, string[]>;
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'csep-api-')));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    loaded = loadedModules(
      dir,
      `
      const api = await import(${JSON.stringify(INDEX)});
      mark('imported');
      await api.loadConfigFormat();
      mark('config');
    `,
    );
  }, 90_000);

  it('importing it loads none of zod, commander, undici or execa', () => {
    expect(loaded.imported).toBeDefined();
    expect(packages(loaded.imported!).filter((p) => HEAVY.includes(p))).toEqual([]);
  });

  it('importing it loads only modules of the infrastructure layer (eslint.config.js)', async () => {
    const modules = ours(loaded.imported!);
    expect(modules).toContain('core/index.js');
    expect(modules).toContain('core/errors.js');
    // The lint config's layer map (plain JavaScript, so imported by URL: it has no types).
    const { LAYERS } = (await import(pathToFileURL(join(REPO_ROOT, 'eslint.config.js')).href)) as {
      LAYERS: Array<{ name: string; files: string[] }>;
    };
    const infrastructure = LAYERS.find((l) => l.name === 'infrastructure')!.files.map(globToRegExp);
    const outside = modules
      .filter((m) => m !== 'core/index.js')
      .map((m) => `src/${m.replace(/\.js$/, '.ts')}`)
      .filter((file) => !infrastructure.some((re) => re.test(file)));
    expect(outside).toEqual([]);
  });

  it('an operation loads its implementation on first call (the recorder does see heavy packages)', () => {
    expect(ours(loaded.config!)).toContain('core/config/load.js');
    expect(packages(loaded.config!)).toContain('zod');
  });
});
