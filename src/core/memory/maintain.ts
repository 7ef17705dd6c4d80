/**
 * Lesson maintenance at compile time, pure apart from the git facts it is given:
 *
 * - staleness: an active entry whose source file was deleted or substantially changed since the
 *   commit it was learned (or last confirmed) at, or that names a script or an `npm run` script
 *   the repository no longer has, becomes `status: "stale"` with a `stale_reason`. It leaves the
 *   injected context and is listed for re-verification; a later suggestion restating it makes it
 *   active again (the backend's confirm), and so does `memory restore`.
 * - forgetting: an active entry not injected, recalled or confirmed for `archiveAfterDays` (usage from
 * `memory/usage.json`) and
 *   below `archiveBelowConfidence` is archived (restorable), so the injected context keeps its
 *   best entries inside its budget.
 *
 * Cost: one `git ls-files` plus one `git diff --numstat` per distinct source commit (at most
 * `maxDiffs`, most used first) per compile, and nothing at all when HEAD has not moved since the
 * last check.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { MemoryScope } from '../constants.js';
import type { FileChange, GitInfo } from '../git.js';
import { readRegularText } from '../fs/safe.js';
import { archived, markedStale } from './lifecycle.js';
import { isRecord } from '../json.js';
import type { MemoryRecord } from './schema.js';
import { isInactiveMemory } from './status.js';
import type { UsageTotals } from './usage.js';

/** Defaults of the forgetting policy (`[compile.memory] archive_after_days`, `archive_below_confidence`). */
export const DEFAULT_ARCHIVE_AFTER_DAYS = 90;
export const DEFAULT_ARCHIVE_BELOW_CONFIDENCE = 0.6;
/** Most distinct source commits diffed per compile (the rest wait for the next one). */
export const DEFAULT_MAX_DIFFS = 16;

export interface MaintenancePolicy {
  archiveAfterDays: number;
  archiveBelowConfidence: number;
  maxDiffs: number;
}

/** The git facts of one compile, gathered lazily by the caller (only when HEAD moved). */
export interface GitFacts {
  info: GitInfo;
  tracked: Set<string> | undefined;
  changesSince: (commit: string) => Map<string, FileChange> | undefined;
  fileAt: (commit: string, path: string) => string | undefined;
}

/** One lifecycle change made by maintenance (a receipt item). */
export interface MaintenanceEvent {
  state: 'applied';
  kind: 'lifecycle';
  event: 'stale' | 'archived';
  scope?: MemoryScope;
  record_id: string;
  summary?: string;
  reason?: string;
  [key: string]: unknown;
}

function isActive(record: MemoryRecord): boolean {
  return !isInactiveMemory(record);
}

function str(record: MemoryRecord, key: keyof MemoryRecord & string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Repository-relative file paths a lesson names (`scripts/deploy.sh`, `./run.sh`, `src/a.ts`). */
export function mentionedPaths(text: string): string[] {
  const out = new Set<string>();
  const re =
    /(?<![\w/.@:-])(\.\/)?((?:[\w.-]+\/)*[\w-][\w.-]*\.(?:sh|bash|zsh|py|js|mjs|cjs|ts|tsx|jsx|rb|go|rs|java|kt|json|toml|ya?ml|ps1|bat|mk))(?![\w/-])/g;
  for (const match of text.matchAll(re)) {
    const path = match[2]!;
    // A bare file name without a directory is too ambiguous, unless written ./x.sh.
    if (!path.includes('/') && !match[1]) continue;
    if (path.startsWith('../')) continue;
    out.add(path);
  }
  return [...out];
}

/** `npm|pnpm|yarn|bun run <script>` names a lesson mentions. */
export function mentionedScripts(text: string): string[] {
  const out = new Set<string>();
  for (const match of text.matchAll(/\b(?:npm|pnpm|yarn|bun) run(?:-script)? ([A-Za-z0-9:_.-]+)/g))
    out.add(match[1]!);
  return [...out];
}

function packageScripts(text: string | undefined): Set<string> | undefined {
  if (text === undefined) return undefined;
  try {
    // The repository's package.json, any shape: one that is not an object tells nothing.
    const data: unknown = JSON.parse(text);
    if (!isRecord(data)) return undefined;
    return new Set(isRecord(data.scripts) ? Object.keys(data.scripts) : []);
  } catch {
    return undefined;
  }
}

function lineCount(file: string): number {
  try {
    return readRegularText(file).split('\n').length;
  } catch {
    return 0;
  }
}

/** True when a change rewrote a large part of a file: binary, or churn ≥ half its lines (and ≥ 10). */
export function isSubstantial(change: FileChange, currentLines: number): boolean {
  if (change.binary) return true;
  const churn = change.added + change.deleted;
  return churn >= 10 && churn >= 0.5 * Math.max(currentLines, 1);
}

function normalizePath(root: string, path: string): string | undefined {
  const p = path.trim().replace(/^\.\//, '');
  if (p === '') return undefined;
  if (isAbsolute(p)) {
    const rel = relative(root, p);
    return rel.startsWith('..') || isAbsolute(rel) ? undefined : rel;
  }
  return p.startsWith('../') ? undefined : p;
}

/**
 * Why an entry is stale at HEAD, or undefined. `changes` is the diff from the entry's commit
 * (undefined when the entry has no commit or it is unknown to the repository).
 */
export function staleReason(
  record: MemoryRecord,
  facts: GitFacts,
  changes: Map<string, FileChange> | undefined,
  scriptsNow: Set<string> | undefined,
  scriptsThen: Set<string> | undefined,
): string | undefined {
  const { root } = facts.info;
  const exists = (p: string) => facts.tracked?.has(p) === true || existsSync(join(root, p));
  const declared = (record.source_paths ?? [])
    .map((p) => normalizePath(root, p))
    .filter((p): p is string => p !== undefined);
  const named = mentionedPaths(`${record.summary}\n${record.content}`);
  for (const path of new Set([...declared, ...named])) {
    const change = changes?.get(path);
    if (change && !exists(path)) return `source_deleted: ${path}`;
    if (!changes && declared.includes(path) && !exists(path)) return `source_missing: ${path}`;
    if (change && declared.includes(path) && isSubstantial(change, lineCount(join(root, path)))) {
      return `source_changed: ${path} (+${change.added} -${change.deleted})`;
    }
    // A named script that is gone even though the diff cannot tell (entry without a commit).
    if (
      !changes &&
      named.includes(path) &&
      /\.(sh|bash|zsh|py|ps1|bat)$/.test(path) &&
      !exists(path) &&
      path.includes('/')
    ) {
      return `source_missing: ${path}`;
    }
  }
  if (scriptsNow) {
    for (const script of mentionedScripts(record.content)) {
      if (scriptsNow.has(script)) continue;
      // With a known commit, only a script that existed then and is gone now counts.
      if (scriptsThen && !scriptsThen.has(script)) continue;
      return `missing_script: ${script} (not in package.json)`;
    }
  }
  return undefined;
}

/** Input of {@link maintainMemory}. */
export interface MaintainInput {
  memory: Record<MemoryScope, MemoryRecord[]>;
  now: string;
  policy: MaintenancePolicy;
  /** Injection/recall totals per entry id (`memory/usage.json`), for the forgetting pass. */
  usage?: ReadonlyMap<string, UsageTotals>;
  /** Present when HEAD moved since the last check (staleness runs only then). */
  git?: GitFacts;
  /** Run the forgetting pass (the caller does it at most daily). */
  archive: boolean;
}

/** Applies usage, staleness and forgetting. Returns new arrays (unchanged records keep their identity). */
export function maintainMemory(input: MaintainInput): {
  memory: Record<MemoryScope, MemoryRecord[]>;
  events: MaintenanceEvent[];
  changed: boolean;
} {
  const events: MaintenanceEvent[] = [];
  let changed = false;
  const memory = { user: [...input.memory.user], global: [...input.memory.global] };

  // Staleness.
  if (input.git) {
    const facts = input.git;
    const candidates: Array<{ scope: MemoryScope; index: number; commit: string | undefined }> = [];
    const uses = new Map<string, number>();
    for (const scope of ['user', 'global'] as const) {
      memory[scope].forEach((record, index) => {
        if (!isActive(record)) return;
        const commit = str(record, 'source_commit');
        if (commit === facts.info.head) {
          // Learned or confirmed at HEAD: only a missing script can make it stale, and only if it never
          // existed.
          if (mentionedScripts(record.content).length === 0) return;
        }
        const text = `${record.summary}\n${record.content}`;
        if (
          (record.source_paths ?? []).length === 0 &&
          mentionedPaths(text).length === 0 &&
          mentionedScripts(record.content).length === 0
        )
          return;
        candidates.push({ scope, index, commit });
        if (commit && commit !== facts.info.head) uses.set(commit, (uses.get(commit) ?? 0) + 1);
      });
    }
    const diffed = [...uses.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, input.policy.maxDiffs)
      .map(([c]) => c);
    const diffs = new Map<string, Map<string, FileChange> | undefined>();
    for (const commit of diffed) diffs.set(commit, facts.changesSince(commit));
    const pkgNow = existsSync(join(facts.info.root, 'package.json'))
      ? packageScripts(readRegularText(join(facts.info.root, 'package.json')))
      : undefined;
    const pkgThen = new Map<string, Set<string> | undefined>();
    for (const c of candidates) {
      const record = memory[c.scope][c.index]!;
      // Over the diff budget: the next compile looks at it.
      if (c.commit && c.commit !== facts.info.head && !diffs.has(c.commit)) continue;
      const changes =
        c.commit === facts.info.head
          ? new Map<string, FileChange>()
          : c.commit
            ? diffs.get(c.commit)
            : undefined;
      let scriptsThen: Set<string> | undefined;
      if (c.commit && pkgNow && mentionedScripts(record.content).length > 0) {
        if (!pkgThen.has(c.commit))
          pkgThen.set(c.commit, packageScripts(facts.fileAt(c.commit, 'package.json')) ?? new Set());
        scriptsThen = pkgThen.get(c.commit);
      }
      const reason = staleReason(record, facts, changes, pkgNow, scriptsThen);
      if (!reason) continue;
      changed = true;
      memory[c.scope][c.index] = markedStale(record, input.now, reason, facts.info.head);
      events.push({
        state: 'applied',
        kind: 'lifecycle',
        event: 'stale',
        scope: c.scope,
        record_id: str(record, 'id') ?? '',
        summary: record.summary.slice(0, 120),
        reason,
      });
    }
  }

  // Forgetting.
  if (input.archive) {
    const cutoff = new Date(Date.parse(input.now) - input.policy.archiveAfterDays * 86_400_000)
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    for (const scope of ['user', 'global'] as const) {
      memory[scope] = memory[scope].map((record) => {
        if (!isActive(record) || record.confidence >= input.policy.archiveBelowConfidence) return record;
        const used = input.usage?.get(str(record, 'id') ?? '');
        const lastUse = [
          ...['last_confirmed_at', 'updated_at', 'created_at', 'restored_at', 'valid_from'].map((k) =>
            str(record, k),
          ),
          used?.last_injected_at,
          used?.last_recalled_at,
        ]
          .filter((v): v is string => typeof v === 'string' && v !== '')
          .sort()
          .at(-1);
        if (lastUse === undefined || lastUse >= cutoff) return record;
        changed = true;
        const reason = `unused since ${lastUse.slice(0, 10)} and confidence ${record.confidence} < ${input.policy.archiveBelowConfidence}`;
        events.push({
          state: 'applied',
          kind: 'lifecycle',
          event: 'archived',
          scope,
          record_id: str(record, 'id') ?? '',
          summary: record.summary.slice(0, 120),
          reason,
        });
        return archived(record, input.now, reason);
      });
    }
  }
  return { memory, events, changed };
}
