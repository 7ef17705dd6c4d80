/**
 * The runtime import graph of the sources, for the tests that keep zod, commander, undici and
 * execa off the hook paths. Follows static imports, re-exports and dynamic imports (`import type`
 * excluded). The public API (src/core/index.ts) is followed the way it loads: its static
 * re-exports always, the module behind one of its lazy members only from a file that imports that
 * member (`import { buildSessionContext } from '../../core/index.js'` reaches core/session-start.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { expect } from 'vitest';

export const SRC = join(import.meta.dirname, '..', '..', 'src');
const INDEX = join(SRC, 'core', 'index.ts');

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function staticImports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(
    /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm,
  ))
    found.push(m[1]!);
  return found;
}

let lazyMembers: Map<string, string[]> | undefined;

/** Each lazy member of the index → the absolute source files its first call imports. */
export function indexLazyMembers(): Map<string, string[]> {
  if (lazyMembers) return lazyMembers;
  lazyMembers = new Map();
  const text = stripComments(readFileSync(INDEX, 'utf8'));
  const chunks = text.split(/^(?=export )/m);
  for (const chunk of chunks) {
    const name = /^export (?:const|async function|function) (\w+)/.exec(chunk)?.[1];
    if (!name) continue;
    const specs = [...chunk.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) =>
      resolve(dirname(INDEX), m[1]!.replace(/\.js$/, '.ts')),
    );
    if (specs.length > 0) lazyMembers.set(name, specs);
  }
  return lazyMembers;
}

/** Names (not types) a file takes from core/index.js, statically or by `await import`. */
function namesFromIndex(file: string, text: string): string[] {
  const names: string[] = [];
  const patterns = [
    /^\s*import\s+(?!type\s)\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/gm,
    /\{([^}]*)\}\s*=\s*await\s+import\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns)
    for (const m of text.matchAll(pattern)) {
      if (resolve(dirname(file), m[2]!.replace(/\.js$/, '.ts')) !== INDEX) continue;
      for (const part of m[1]!.split(',')) {
        const name = part
          .trim()
          .split(/\s+as\s+/)[0]!
          .trim();
        if (name && !name.startsWith('type ')) names.push(name);
      }
    }
  return names;
}

/**
 * Runtime import specifiers of a module: relative or bare as written, or absolute source paths
 * for the modules behind the index members it uses.
 */
export function importsOf(file: string): string[] {
  const text = stripComments(readFileSync(file, 'utf8'));
  const found = staticImports(text);
  if (file === INDEX) return found; // its dynamic imports run only when a member is called
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  const lazy = indexLazyMembers();
  for (const name of namesFromIndex(file, text)) found.push(...(lazy.get(name) ?? []));
  return found;
}

/** Every module reachable from `roots`, as absolute source paths or bare package names. */
export function closure(
  roots: string[],
  follow: (from: string, spec: string) => boolean = () => true,
): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.startsWith('/')) continue; // a package or node: builtin
    for (const spec of importsOf(file)) {
      if (!follow(file, spec)) continue;
      if (spec.startsWith('/')) queue.push(spec);
      else if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        expect(existsSync(target), `${file} imports ${spec}`).toBe(true);
        queue.push(target);
      } else queue.push(spec.startsWith('node:') ? spec : spec.split('/')[0]!);
    }
  }
  return seen;
}
