/**
 * Loads the existing assets a compile merges into, surviving damage:
 *
 * - A file that is not valid JSON (or not the expected shape) is moved aside as
 *   `<file>.corrupt-<ts>` with `quarantineFile` and reported; the compile goes on from what else
 *   there is: memory from USER.md/MEMORY.md, recall from compiled.md, the manifest from the files
 *   in `skills/managed/`. It is never silently replaced.
 * - Single bad entries (a record without content, a manifest entry with an empty id) are dropped
 *   and reported, and a copy of the file as it was is kept aside the same way.
 * - Unknown fields of records are kept (other issues extend provenance and lifecycle fields).
 */
import { copyFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PLUGIN_OWNER, utcNow, type MemoryScope } from '../constants.js';
import { quarantineFile } from '../fs/atomic.js';
import { sortKeysDeep } from '../json.js';
import { parseMemoryMarkdown } from '../memory/view.js';
import type { StatePaths } from '../paths.js';
import { parseRecallSearchIndex, isRecallSearchIndexFresh } from '../recall/index-build.js';
import { MemoryRecordSchema, type MemoryRecord } from '../memory/schema.js';
import {
  RecallRecordSchema,
  SkillManifestEntrySchema,
  partitionValid,
  type RecallRecord,
  type SkillManifestEntry,
} from '../schemas.js';
import { dedupeKey, recallIdFor, SKILL_ID_PATTERN } from './normalize.js';
import { readRegularText } from '../fs/safe.js';

/** A problem found while loading an asset, as reported in the receipt. */
export interface AssetProblem {
  file: string;
  problem: string;
  /** Where the damaged file (or a copy of it) was kept, if it was. */
  kept_aside: string | null;
}

/** Existing assets a compile starts from. Treated as read-only by backends. */
export interface CompileContext {
  memory: Record<MemoryScope, MemoryRecord[]>;
  recall: RecallRecord[];
  /** Every valid manifest entry, including entries this tool does not own. */
  manifest: SkillManifestEntry[];
  /** Current text of the files the compiler rewrites (absolute path → text), to skip unchanged writes. */
  texts: Map<string, string>;
  /** True when `recall/search-index.json` matches `recall` (no rebuild needed if recall is unchanged). */
  searchIndexFresh: boolean;
  memorySource: 'memory.json' | 'markdown' | 'none';
  recallSource: 'index.json' | 'compiled.md' | 'none';
  manifestSource: 'manifest.json' | 'managed-files' | 'none';
  problems: AssetProblem[];
}

function readText(file: string): string | undefined {
  try {
    return readRegularText(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

type JsonRead =
  { kind: 'missing' } | { kind: 'corrupt'; reason: string } | { kind: 'ok'; data: Record<string, unknown> };

/** Reads a JSON object file, remembering its text. */
function readJsonObject(file: string, texts: Map<string, string>): JsonRead {
  const text = readText(file);
  if (text === undefined) return { kind: 'missing' };
  texts.set(file, text);
  try {
    const data = JSON.parse(text) as unknown;
    if (data === null || typeof data !== 'object' || Array.isArray(data))
      return { kind: 'corrupt', reason: 'not a JSON object' };
    return { kind: 'ok', data: data as Record<string, unknown> };
  } catch (error) {
    return {
      kind: 'corrupt',
      reason: `invalid JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

function quarantine(
  file: string,
  problem: string,
  problems: AssetProblem[],
  texts: Map<string, string>,
  now: Date,
): void {
  const aside = quarantineFile(file, now) ?? null;
  texts.delete(file);
  problems.push({ file, problem, kept_aside: aside });
}

function keepCopy(file: string, problem: string, problems: AssetProblem[], now: Date): void {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const target = `${file}.corrupt-${stamp}-entries`;
  let aside: string | null = target;
  try {
    copyFileSync(file, target);
  } catch {
    aside = null;
  }
  problems.push({ file, problem, kept_aside: aside });
}

function loadMemory(paths: StatePaths, ctx: CompileContext, now: Date): void {
  const read = readJsonObject(paths.memoryJson, ctx.texts);
  for (const file of [paths.userMd, paths.memoryMd]) {
    const text = readText(file);
    if (text !== undefined) ctx.texts.set(file, text);
  }
  if (read.kind === 'ok') {
    const { data } = read;
    const bad: string[] = [];
    // `{}` is damage, not an empty memory: every writer (ours and the Python package) writes both lists.
    const shapeProblem =
      data.user === undefined && data.global === undefined
        ? 'user'
        : (['user', 'global'] as const).find((s) => data[s] !== undefined && !Array.isArray(data[s]));
    if (shapeProblem === undefined) {
      for (const scope of ['user', 'global'] as const) {
        const raw = (data[scope] as unknown[] | undefined) ?? [];
        const withContent = raw.map((item) =>
          item !== null &&
          typeof item === 'object' &&
          typeof (item as { content?: unknown }).content === 'string' &&
          (item as { content: string }).content.trim() !== ''
            ? { ...(item as object), scope }
            : { invalid: true },
        );
        const { valid, invalid } = partitionValid(MemoryRecordSchema, withContent);
        const seen = new Set<string>();
        for (const [position, record] of valid.entries()) {
          const key = dedupeKey(record.content);
          if (seen.has(key)) {
            // Positions only: problems reach receipts and logs, entry text does not.
            bad.push(`${scope}: duplicate entry dropped (valid entry ${position})`);
            continue;
          }
          seen.add(key);
          ctx.memory[scope].push({
            ...record,
            content: record.content.trim(),
            summary: record.summary.trim(),
          });
        }
        for (const item of invalid)
          bad.push(`${scope}[${item.index}]: entry without content or invalid (${item.reason})`);
      }
      if (bad.length > 0)
        keepCopy(
          paths.memoryJson,
          `dropped ${bad.length} entr${bad.length === 1 ? 'y' : 'ies'}: ${bad.slice(0, 3).join('; ')}`,
          ctx.problems,
          now,
        );
      ctx.memorySource = 'memory.json';
      return;
    }
    quarantine(paths.memoryJson, `${shapeProblem}: must be a list`, ctx.problems, ctx.texts, now);
  } else if (read.kind === 'corrupt') {
    quarantine(paths.memoryJson, read.reason, ctx.problems, ctx.texts, now);
  }
  // No usable memory.json: the rendered markdown still holds summaries and contents.
  const user = ctx.texts.get(paths.userMd);
  const global = ctx.texts.get(paths.memoryMd);
  if (user === undefined && global === undefined) return;
  for (const [scope, text] of [
    ['user', user],
    ['global', global],
  ] as const) {
    const seen = new Set<string>();
    for (const entry of parseMemoryMarkdown(text ?? '', scope)) {
      const key = dedupeKey(entry.content);
      if (seen.has(key) || entry.content === '_No entries yet._') continue;
      seen.add(key);
      ctx.memory[scope].push({
        scope,
        summary: entry.summary,
        content: entry.content,
        source_paths: [],
        confidence: 1,
        provenance: [],
        recovered_from: basename(scope === 'user' ? paths.userMd : paths.memoryMd),
      });
    }
  }
  ctx.memorySource = 'markdown';
}

/** Parses `recall/compiled.md` back into records, for a damaged index.json. */
export function parseCompiledRecall(
  text: string,
  fallback: { repoFingerprint: string; cwd: string },
): RecallRecord[] {
  const records: RecallRecord[] = [];
  const blocks = text.split(/^## /m).slice(1);
  for (const block of blocks) {
    const newline = block.indexOf('\n');
    const summary = (newline === -1 ? block : block.slice(0, newline)).trim();
    let body = newline === -1 ? '' : block.slice(newline + 1);
    let sourcePaths: string[] = [];
    const provenance = /\n?Provenance:([^\n]*)\s*$/.exec(body);
    if (provenance) {
      sourcePaths = (provenance[1] ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '');
      body = body.slice(0, provenance.index);
    }
    const content = body.trim();
    if (!summary || !content) continue;
    records.push({
      id: recallIdFor(content),
      summary,
      content,
      source_paths: sourcePaths,
      repo_fingerprint: fallback.repoFingerprint,
      cwd: fallback.cwd,
      thread_id: '',
      turn_id: '',
      source_updated_at: '',
      recovered_from: 'compiled.md',
    });
  }
  return records;
}

function loadRecall(paths: StatePaths, ctx: CompileContext, now: Date): void {
  const read = readJsonObject(paths.recallIndex, ctx.texts);
  const compiled = readText(paths.recallCompiled);
  if (compiled !== undefined) ctx.texts.set(paths.recallCompiled, compiled);
  const push = (records: RecallRecord[]) => {
    const keys = new Set<string>();
    const ids = new Set<string>();
    const dropped: string[] = [];
    for (const record of records) {
      const key = dedupeKey(record.content);
      if (keys.has(key) || ids.has(record.id)) {
        dropped.push(`duplicate ${record.id}`);
        continue;
      }
      keys.add(key);
      ids.add(record.id);
      // Keys sorted once here, so the index serializes with plain JSON.stringify (see apply.ts).
      ctx.recall.push(sortKeysDeep(record) as RecallRecord);
    }
    return dropped;
  };
  // `records` is required: `{}` is damage (kept aside, rebuilt from compiled.md), not an empty index.
  if (read.kind === 'ok' && Array.isArray(read.data.records)) {
    const raw = (read.data.records as unknown[] | undefined) ?? [];
    const { valid, invalid } = partitionValid(RecallRecordSchema, raw);
    const dropped = push(valid);
    const problems = [...invalid.map((i) => `records[${i.index}]: ${i.reason}`), ...dropped];
    // Records whose empty source paths the schema removed are repaired, not dropped.
    if (problems.length > 0)
      keepCopy(
        paths.recallIndex,
        `dropped ${problems.length} record(s): ${problems.slice(0, 3).join('; ')}`,
        ctx.problems,
        now,
      );
    ctx.recallSource = 'index.json';
  } else {
    if (read.kind !== 'missing') {
      quarantine(
        paths.recallIndex,
        read.kind === 'corrupt' ? read.reason : 'records: must be a list',
        ctx.problems,
        ctx.texts,
        now,
      );
    }
    if (compiled !== undefined) {
      push(parseCompiledRecall(compiled, { repoFingerprint: paths.repoFingerprint, cwd: paths.repoKey }));
      ctx.recallSource = 'compiled.md';
    }
  }
  const search = readJsonObject(paths.recallSearchIndex, ctx.texts);
  if (search.kind === 'corrupt') {
    quarantine(
      paths.recallSearchIndex,
      `${search.reason} (derived file, rebuilt)`,
      ctx.problems,
      ctx.texts,
      now,
    );
  } else if (search.kind === 'ok') {
    const indexText = ctx.recallSource === 'index.json' ? ctx.texts.get(paths.recallIndex) : undefined;
    ctx.searchIndexFresh =
      indexText !== undefined &&
      isRecallSearchIndexFresh(
        parseRecallSearchIndex(search.data),
        ctx.recall,
        Buffer.from(indexText, 'utf8'),
      );
  }
}

/** Rebuilds manifest entries from `skills/managed/<id>.md` after the manifest was lost. */
export function manifestFromManagedFiles(paths: StatePaths): SkillManifestEntry[] {
  let names: string[];
  try {
    names = readdirSync(paths.skillsManagedDir)
      .filter((n) => n.endsWith('.md') && !n.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
  const entries: SkillManifestEntry[] = [];
  for (const name of names) {
    const id = name.slice(0, -3);
    if (!SKILL_ID_PATTERN.test(id)) continue;
    const path = join(paths.skillsManagedDir, name);
    let text: string;
    let mtime: Date;
    try {
      text = readRegularText(path);
      mtime = statSync(path).mtime;
    } catch {
      continue;
    }
    const title = /^# (.+)$/m.exec(text)?.[1]?.trim() || id;
    const retired = /^Status: retired\s*$/m.test(text);
    entries.push({
      skill_id: id,
      action: retired ? 'retire' : 'create',
      title,
      path,
      status: retired ? 'retired' : 'active',
      owner: PLUGIN_OWNER,
      managed: true,
      created_by: PLUGIN_OWNER,
      updated_at: utcNow(mtime),
      retired_at: retired ? utcNow(mtime) : null,
      recovered_from: 'managed-files',
    });
  }
  return entries;
}

function loadManifest(paths: StatePaths, ctx: CompileContext, now: Date): void {
  const read = readJsonObject(paths.skillsManifest, ctx.texts);
  // `skills` is required: `{}` is damage (kept aside, rebuilt from the managed files), not an empty manifest.
  if (read.kind === 'ok' && Array.isArray(read.data.skills)) {
    const { valid, invalid } = partitionValid(
      SkillManifestEntrySchema,
      (read.data.skills as unknown[] | undefined) ?? [],
    );
    const seen = new Set<string>();
    const dropped = invalid.map((i) => `skills[${i.index}]: ${i.reason}`);
    for (const entry of valid) {
      if (seen.has(entry.skill_id)) {
        dropped.push(`duplicate ${entry.skill_id}`);
        continue;
      }
      seen.add(entry.skill_id);
      ctx.manifest.push(entry);
    }
    if (dropped.length > 0)
      keepCopy(
        paths.skillsManifest,
        `dropped ${dropped.length} entr${dropped.length === 1 ? 'y' : 'ies'}: ${dropped.slice(0, 3).join('; ')}`,
        ctx.problems,
        now,
      );
    ctx.manifestSource = 'manifest.json';
    return;
  }
  if (read.kind !== 'missing') {
    quarantine(
      paths.skillsManifest,
      read.kind === 'corrupt' ? read.reason : 'skills: must be a list',
      ctx.problems,
      ctx.texts,
      now,
    );
  }
  const rebuilt = manifestFromManagedFiles(paths);
  if (rebuilt.length > 0 || read.kind !== 'missing') {
    ctx.manifest.push(...rebuilt);
    ctx.manifestSource = 'managed-files';
  }
}

/** Loads every existing asset of a bucket. Damaged files are kept aside and reported, never fatal. */
export function loadCompileContext(paths: StatePaths, now: Date = new Date()): CompileContext {
  const ctx: CompileContext = {
    memory: { user: [], global: [] },
    recall: [],
    manifest: [],
    texts: new Map(),
    searchIndexFresh: false,
    memorySource: 'none',
    recallSource: 'none',
    manifestSource: 'none',
    problems: [],
  };
  loadMemory(paths, ctx, now);
  loadRecall(paths, ctx, now);
  loadManifest(paths, ctx, now);
  return ctx;
}
