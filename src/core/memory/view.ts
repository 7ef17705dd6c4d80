/**
 * The memory view that session start, `memory list` and `status` use, without zod (hooks load
 * this; see docs/performance.md). `memory.json` is the source of truth, each entry read with
 * `readMemoryRecord` (read.ts, checked against the schema); when the file is missing or damaged
 * the rendered USER.md / MEMORY.md are parsed instead, so a hand-edited or half-migrated bucket
 * still injects.
 */
import type { StatePaths } from '../paths.js';
import type { MemoryScope } from '../constants.js';
import { readRegularText } from '../fs/safe.js';
import { confirmationsOf } from './lifecycle.js';
import { readMemoryRecord, readSkillManifestEntry } from './read.js';
import type { MemoryRecord } from './schema.js';
import { isInactiveStatus, memoryStatusOf } from './status.js';

/**
 * One memory entry as injected: a view derived from the stored record (trimmed text, status
 * resolved, position in its scope), or from a markdown section or a shared team entry.
 */
export interface MemoryEntry {
  scope: MemoryScope;
  summary: string;
  content: string;
  confidence: number;
  sourcePaths: string[];
  /** Position in its scope (file order; later = newer). */
  position: number;
  /** Lifecycle status (`memoryStatusOf`): absent = active. */
  status: string | undefined;
  /** Stable id; absent for entries written before ids (until the next compile) and for markdown. */
  id: string | undefined;
  /** The record as stored (provenance, history, ...), for `memory list|show`; undefined for markdown. */
  record: MemoryRecord | undefined;
}

function readText(file: string): string | undefined {
  try {
    return readRegularText(file);
  } catch {
    return undefined;
  }
}

function entryFrom(raw: unknown, scope: MemoryScope, position: number): MemoryEntry | undefined {
  // The list an entry is in is its scope, whatever it says (as the compiler reads it).
  const record = readMemoryRecord(
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? { ...raw, scope } : raw,
  );
  const content = record?.content.trim();
  if (!record || !content) return undefined;
  return {
    scope,
    summary: record.summary.trim(),
    content,
    confidence: record.confidence,
    sourcePaths: record.source_paths.filter((p) => p !== ''),
    position,
    status: memoryStatusOf(record),
    id: record.id || undefined,
    record,
  };
}

/** Parses a rendered `# USER` / `# MEMORY` markdown file back into entries. */
export function parseMemoryMarkdown(text: string, scope: MemoryScope): MemoryEntry[] {
  const entries: MemoryEntry[] = [];
  let current: { summary: string; lines: string[] } | undefined;
  const flush = () => {
    if (!current) return;
    const content = current.lines.join('\n').trim();
    if (content || current.summary) {
      entries.push({
        scope,
        summary: current.summary,
        content: content || current.summary,
        confidence: 1,
        sourcePaths: [],
        position: entries.length,
        status: undefined,
        id: undefined,
        record: undefined,
      });
    }
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('## ')) {
      flush();
      current = { summary: line.slice(3).trim(), lines: [] };
    } else if (current) {
      current.lines.push(line);
    }
  }
  flush();
  return entries;
}

export interface LoadedMemory {
  entries: MemoryEntry[];
  source: 'memory.json' | 'markdown' | 'none';
  /** Problems found (e.g. a damaged memory.json); the caller logs them. */
  problems: string[];
}

/** Loads every memory entry of a state dir (active and inactive). Never throws. */
export function loadMemory(paths: StatePaths): LoadedMemory {
  const problems: string[] = [];
  const jsonText = readText(paths.memoryJson);
  if (jsonText !== undefined) {
    try {
      const data = JSON.parse(jsonText) as unknown;
      if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('not an object');
      // Every writer writes both lists: `{}` is damage, and the markdown still holds the entries.
      if (
        (data as Record<string, unknown>).user === undefined &&
        (data as Record<string, unknown>).global === undefined
      )
        throw new Error('no user or global list');
      const entries: MemoryEntry[] = [];
      for (const scope of ['user', 'global'] as const) {
        const list = (data as Record<string, unknown>)[scope];
        if (list === undefined) continue;
        if (!Array.isArray(list)) throw new Error(`${scope}: must be a list`);
        list.forEach((raw, i) => {
          const entry = entryFrom(raw, scope, i);
          if (entry) entries.push(entry);
          else
            problems.push(`${paths.memoryJson}: ${scope}[${i}]: entry without content or invalid, skipped`);
        });
      }
      return { entries, source: 'memory.json', problems };
    } catch (error) {
      problems.push(
        `${paths.memoryJson}: ${error instanceof Error ? error.message : String(error)}; using USER.md/MEMORY.md`,
      );
    }
  }
  const userMd = readText(paths.userMd);
  const memoryMd = readText(paths.memoryMd);
  if (userMd === undefined && memoryMd === undefined) return { entries: [], source: 'none', problems };
  return {
    entries: [...parseMemoryMarkdown(userMd ?? '', 'user'), ...parseMemoryMarkdown(memoryMd ?? '', 'global')],
    source: 'markdown',
    problems,
  };
}

/** True when an entry belongs in the injected context. */
export function isActive(entry: MemoryEntry): boolean {
  return !isInactiveStatus(entry.status);
}

/** A managed skill as listed at session start. */
export interface SkillListing {
  skillId: string;
  title: string;
  description: string;
}

/**
 * Active managed skills from `skills/manifest.json`: entries read as the manifest schema reads
 * them (zod-free, see read.ts), bad ones skipped. Never throws.
 */
export function loadActiveSkills(paths: StatePaths): { skills: SkillListing[]; problems: string[] } {
  const text = readText(paths.skillsManifest);
  if (text === undefined) return { skills: [], problems: [] };
  try {
    const data: unknown = JSON.parse(text);
    const list: unknown[] =
      data !== null && typeof data === 'object' && 'skills' in data && Array.isArray(data.skills)
        ? data.skills
        : [];
    const skills: SkillListing[] = [];
    for (const raw of list) {
      const entry = readSkillManifestEntry(raw);
      if (entry?.status !== 'active' || !entry.managed) continue;
      skills.push({ skillId: entry.skill_id, title: entry.title, description: entry.description ?? '' });
    }
    return { skills, problems: [] };
  } catch (error) {
    return {
      skills: [],
      problems: [`${paths.skillsManifest}: ${error instanceof Error ? error.message : String(error)}`],
    };
  }
}

/** Renders entries of one scope the way the compiler renders USER.md / MEMORY.md. */
export function renderMemoryMarkdown(
  title: 'USER' | 'MEMORY',
  entries: readonly { summary: string; content: string }[],
): string {
  if (entries.length === 0) return `# ${title}\n\n_No entries yet._\n`;
  const parts = [`# ${title}`, ''];
  for (const e of entries)
    parts.push(`## ${e.summary || e.content.split('\n')[0]!.slice(0, 80)}`, '', e.content.trim(), '');
  return `${parts.join('\n').trimEnd()}\n`;
}

/** Where an entry ended up at session start. */
export type MemoryOutcome = 'injected' | 'budget' | 'inactive';

/** The view `memory list|show` print (and `--json` returns) for one entry. */
export interface MemoryEntryDescription {
  id: string | null;
  scope: MemoryScope;
  status: string;
  outcome: MemoryOutcome;
  /** Why it was injected or left out, in words, with what to do about it. */
  why: string;
  summary: string;
  content: string;
  confidence: number;
  confirmations: number;
  created_at: string | null;
  last_confirmed_at: string | null;
  source_paths: string[];
  source_commit: string | null;
  first_seen: unknown;
  last_seen: unknown;
  injected_count: number;
  last_injected_at: string | null;
  recalled_count: number;
  stale_reason?: string;
  superseded_by?: string;
  supersedes?: string[];
  valid_from?: string;
  valid_until?: string;
}

/**
 * Describes one entry for `memory list|show`: content, status and why, provenance, usage
 * (`used`: its totals from `memory/usage.json`). `budget` is the session-start budget in characters.
 */
export function describeMemoryEntry(
  entry: MemoryEntry,
  outcome: MemoryOutcome,
  used: { injected_count?: number; last_injected_at?: string; recalled_count?: number } | undefined,
  budget: number,
): MemoryEntryDescription {
  const record: Partial<MemoryRecord> = entry.record ?? {};
  const provenance = Array.isArray(record.provenance) ? record.provenance : [];
  const status = entry.status ?? 'active';
  const why =
    outcome === 'injected'
      ? 'injected: active and within the budget'
      : outcome === 'budget'
        ? `left out: active, but over the ${budget}-character budget (lower priority: scope, confidence, age)`
        : status === 'stale'
          ? `left out: stale (${record.stale_reason ?? 'sources changed'}); re-verify, then \`memory restore ${entry.id ?? ''}\``
          : status === 'superseded'
            ? `left out: superseded by ${record.superseded_by ?? '?'}${record.valid_until ? ` on ${record.valid_until}` : ''}`
            : `left out: ${status}${record.status_reason ? ` (${record.status_reason})` : ''}`;
  return {
    id: entry.id ?? null,
    scope: entry.scope,
    status,
    outcome,
    why,
    summary: entry.summary,
    content: entry.content,
    confidence: entry.confidence,
    confirmations: entry.record ? confirmationsOf(entry.record) : 1,
    created_at: record.created_at ?? null,
    last_confirmed_at: record.last_confirmed_at ?? record.updated_at ?? null,
    source_paths: entry.sourcePaths,
    source_commit: record.source_commit ?? null,
    first_seen: provenance[0] ?? null,
    last_seen: provenance.at(-1) ?? null,
    injected_count: used?.injected_count ?? 0,
    last_injected_at: used?.last_injected_at ?? null,
    recalled_count: used?.recalled_count ?? 0,
    ...(record.stale_reason ? { stale_reason: record.stale_reason } : {}),
    ...(record.superseded_by ? { superseded_by: record.superseded_by } : {}),
    ...(record.supersedes ? { supersedes: record.supersedes } : {}),
    ...(record.valid_from ? { valid_from: record.valid_from } : {}),
    ...(record.valid_until ? { valid_until: record.valid_until } : {}),
  };
}

/** An entry next to another in a supersession chain. */
export interface RelatedMemoryEntry {
  id: string | undefined;
  status: string;
  summary: string;
  content: string;
}

/** The view `memory show` prints: the description plus evidence, history and the supersession chain. */
export interface MemoryEntryDetails extends MemoryEntryDescription {
  provenance: unknown[];
  history: unknown[];
  related: RelatedMemoryEntry[];
}

/** Describes one entry in full; `others` are the entries its supersession chain is looked up in. */
export function detailMemoryEntry(
  entry: MemoryEntry,
  outcome: MemoryOutcome,
  used: Parameters<typeof describeMemoryEntry>[2],
  budget: number,
  others: readonly MemoryEntry[],
): MemoryEntryDetails {
  const record = entry.record;
  const related = others
    .filter(
      (other) =>
        other !== entry &&
        other.id !== undefined &&
        (other.record?.superseded_by === entry.id ||
          record?.superseded_by === other.id ||
          record?.supersedes?.includes(other.id) === true ||
          (entry.id !== undefined && other.record?.supersedes?.includes(entry.id) === true)),
    )
    .map((other) => ({
      id: other.id,
      status: other.status ?? 'active',
      summary: other.summary,
      content: other.content,
    }));
  return {
    ...describeMemoryEntry(entry, outcome, used, budget),
    provenance: record?.provenance ?? [],
    history: record?.history ?? [],
    related,
  };
}
