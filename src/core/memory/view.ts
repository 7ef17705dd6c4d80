/**
 * Reads learned memory for injection and display, without zod (hooks load this; see
 * constants.ts). `memory.json` is the source of truth; when it is missing or damaged the rendered
 * USER.md / MEMORY.md are parsed instead, so a hand-edited or half-migrated bucket still injects.
 */
import type { StatePaths } from '../paths.js';
import type { MemoryScope } from '../constants.js';
import { readRegularText } from '../fs/safe.js';

/** One memory entry as injected. */
export interface MemoryEntry {
  scope: MemoryScope;
  summary: string;
  content: string;
  confidence: number;
  sourcePaths: string[];
  /** Position in its scope (file order; later = newer). */
  position: number;
  /** Lifecycle status: absent = active. */
  status: string | undefined;
  /** Stable id; absent for entries written before ids (until the next compile) and for markdown. */
  id: string | undefined;
  /** The record as stored (provenance, history, ...), for `memory list|show`; undefined for markdown. */
  raw: Record<string, unknown> | undefined;
}

/** Statuses that keep an entry out of the injected context. */
const INACTIVE = new Set(['superseded', 'archived', 'stale', 'retired', 'forgotten']);

function readText(file: string): string | undefined {
  try {
    return readRegularText(file);
  } catch {
    return undefined;
  }
}

function entryFrom(raw: unknown, scope: MemoryScope, position: number): MemoryEntry | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const content = typeof r.content === 'string' ? r.content.trim() : '';
  if (!content) return undefined;
  const confidence =
    typeof r.confidence === 'number' && r.confidence >= 0 && r.confidence <= 1 ? r.confidence : 1;
  return {
    scope,
    summary: typeof r.summary === 'string' ? r.summary.trim() : '',
    content,
    confidence,
    sourcePaths: Array.isArray(r.source_paths)
      ? r.source_paths.filter((p): p is string => typeof p === 'string' && p !== '')
      : [],
    position,
    status: typeof r.status === 'string' ? r.status : r.superseded_by ? 'superseded' : undefined,
    id: typeof r.id === 'string' && r.id !== '' ? r.id : undefined,
    raw: r,
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
        raw: undefined,
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
          else problems.push(`${paths.memoryJson}: ${scope}[${i}]: entry without content skipped`);
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
  return entry.status === undefined || !INACTIVE.has(entry.status);
}

/** A managed skill as listed at session start. */
export interface SkillListing {
  skillId: string;
  title: string;
  description: string;
}

/** Active managed skills from `skills/manifest.json` (bad entries skipped). Never throws. */
export function loadActiveSkills(paths: StatePaths): { skills: SkillListing[]; problems: string[] } {
  const text = readText(paths.skillsManifest);
  if (text === undefined) return { skills: [], problems: [] };
  try {
    const data = JSON.parse(text) as { skills?: unknown };
    const list = Array.isArray(data?.skills) ? data.skills : [];
    const skills: SkillListing[] = [];
    for (const raw of list) {
      if (raw === null || typeof raw !== 'object') continue;
      const r = raw as Record<string, unknown>;
      if (
        r.status !== 'active' ||
        r.managed !== true ||
        typeof r.skill_id !== 'string' ||
        typeof r.title !== 'string'
      )
        continue;
      skills.push({
        skillId: r.skill_id,
        title: r.title,
        description: typeof r.description === 'string' ? r.description : '',
      });
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
