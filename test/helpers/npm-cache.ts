/**
 * An isolated npm cache holding exactly the registry entries (metadata and tarballs) of this
 * package's production dependencies, copied from the machine's npm cache, so a test can run
 * `npm exec --offline` against a packed tarball, then delete that cache, without network.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from './run-cli.js';

interface Cacache {
  ls(cache: string): Promise<Record<string, { key: string; metadata?: unknown }>>;
  get(cache: string, key: string): Promise<{ data: Buffer; metadata?: unknown }>;
  put(cache: string, key: string, data: Buffer, opts: { metadata?: unknown }): Promise<unknown>;
}

/** npm's own copy of cacache (the library npm stores its cache with). */
function loadCacache(): Cacache {
  const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
  return createRequire(join(npmRoot, 'npm', 'package.json'))('cacache') as Cacache;
}

/** The `node_modules/<name>` entries of package-lock.json that a production install needs. */
export function productionPackages(): Array<{ name: string; version: string }> {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; dev?: boolean; devOptional?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.includes('node_modules/') && !p.dev && !p.devOptional && p.version)
    .map(([path, p]) => ({
      name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length),
      version: p.version!,
    }));
}

/** Copies the cache entries of the production dependencies into `<dest>/_cacache`. */
export async function seedNpmCache(
  dest: string,
  source = join(process.env.HOME ?? '', '.npm'),
): Promise<number> {
  const cacache = loadCacache();
  const from = join(source, '_cacache');
  const to = join(dest, '_cacache');
  const entries = await cacache.ls(from);
  const wanted = new Map<string, Set<string>>();
  for (const { name, version } of productionPackages()) {
    const base = name.includes('/') ? name.split('/')[1]! : name;
    const versions = new Set([version]);
    for (const url of [
      `https://registry.npmjs.org/${name}`,
      `https://registry.npmjs.org/${name.replace('/', '%2f')}`,
    ]) {
      const key = `make-fetch-happen:request-cache:${url}`;
      for (const v of wanted.get(key) ?? []) versions.add(v);
      wanted.set(key, versions);
    }
    wanted.set(
      `make-fetch-happen:request-cache:https://registry.npmjs.org/${name}/-/${base}-${version}.tgz`,
      new Set(),
    );
  }
  let copied = 0;
  for (const key of Object.keys(entries)) {
    const versions = wanted.get(key);
    if (versions === undefined) continue;
    const { data, metadata } = await cacache.get(from, key);
    if (key.endsWith('.tgz')) {
      await cacache.put(to, key, data, { metadata });
      copied++;
      continue;
    }
    // A registry document lists every version ever published; without a lockfile (`npm exec` of
    // a tarball has none) npm would pick the newest matching one, whose tarball the machine's
    // cache may not hold. Keep only the locked versions, as a registry would have served them
    // the day the lockfile was written.
    const doc = JSON.parse(data.toString('utf8')) as {
      versions: Record<string, unknown>;
      'dist-tags'?: Record<string, string>;
      time?: unknown;
    };
    doc.versions = Object.fromEntries(Object.entries(doc.versions).filter(([v]) => versions.has(v)));
    doc['dist-tags'] = { latest: Object.keys(doc.versions).at(-1)! };
    delete doc.time;
    const body = Buffer.from(JSON.stringify(doc));
    const meta = metadata as { reqHeaders?: Record<string, string> } & Record<string, unknown>;
    await cacache.put(to, key, body, { metadata: meta });
    // `npm install` asks for the abbreviated document (the install-v1 media type), `npm exec` of
    // a tarball for the full one (application/json), and npm's cache keys entries by media type.
    // The abbreviated document holds every field an install reads, so it answers both.
    await cacache.put(to, key, body, {
      metadata: { ...meta, reqHeaders: { ...meta.reqHeaders, accept: 'application/json' } },
    });
    copied++;
  }
  return copied;
}
