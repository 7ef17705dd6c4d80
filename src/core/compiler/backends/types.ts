/**
 * The compile backend interface. A backend is a plain object (see `backends/index.ts` for the
 * static registry) that turns a batch of envelopes plus the existing assets into the complete new
 * assets and one receipt item per suggestion. Backends decide; they never write files: the engine
 * (`apply.ts`) guards their output (skill ids, ownership, record validity) and applies it as one
 * transaction. The `agent:opencode` backend plugs in here with the same contract.
 */
import type { MemoryScope } from '../../constants.js';
import type { StatePaths } from '../../paths.js';
import type { MemoryRecord } from '../../memory/schema.js';
import type { Envelope, RecallRecord, SkillManifestEntry } from '../../schemas.js';
import type { CompileContext } from '../context.js';

/** Names accepted by `--backend`. */
export const BACKEND_NAMES = ['script', 'agent:opencode'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Entry and character caps of one memory scope. */
export interface ScopeCaps {
  maxEntries: number;
  /** Sum of summary + content characters of the scope's active entries. */
  maxChars: number;
}

/** Memory caps per scope (configurable; see DEFAULT_MEMORY_CAPS). */
export type MemoryCaps = Record<MemoryScope, ScopeCaps>;

/**
 * Defaults sized for the 8,000-character SessionStart budget: the user scope is always injected
 * first and stays small; the global scope may exceed the budget (session-start picks by priority)
 * but not without bound.
 */
export const DEFAULT_MEMORY_CAPS: MemoryCaps = {
  user: { maxEntries: 30, maxChars: 3_000 },
  global: { maxEntries: 80, maxChars: 12_000 },
};

/** What a backend receives. Everything is read-only. */
export interface BackendInput {
  /** Claimed envelopes in apply order (reviewer time, then id). */
  envelopes: readonly Envelope[];
  /** Existing assets. */
  context: CompileContext;
  paths: StatePaths;
  /** Timestamp of this compile (UTC, seconds), used for created_at/updated_at. */
  now: string;
  caps: MemoryCaps;
  signal?: AbortSignal;
  /**
   * `git rev-parse HEAD` of the repository at this compile, when it is a git repository.
   * Optional (backward compatible): backends stamp it as `source_commit` on entries they create or
   * re-confirm; the engine stamps entries a backend left without one.
   */
  sourceCommit?: string;
}

/**
 * Outcome of one suggestion (or part of one: a memory/recall suggestion may carry a
 * `skill_candidate`, reported as a second item with `part: "skill_candidate"`), of an evicted
 * record, or of a backend-level event (a fallback reason).
 * - `applied`: changed the assets; `duplicate`: already known (merged into an existing entry);
 * - `discarded`: not applied, `reason` says why (`no_match`, `ambiguous_match`, `ownership_violation`,
 *   `missing_managed_skill`, `low_signal`, `opencode_unavailable`...);
 * - `evicted`: applied then removed by the memory caps (or an existing record removed by them);
 * - `superseded`: a later suggestion of the same batch replaced it (skills: last one wins).
 */
export interface ItemReceipt {
  state: 'applied' | 'duplicate' | 'discarded' | 'evicted' | 'superseded';
  suggestion_id?: string;
  /** Position of the suggestion inside its envelope. */
  index?: number;
  family?: string;
  action?: string;
  part?: 'skill_candidate';
  reason?: string;
  detail?: string;
  scope?: MemoryScope;
  summary?: string;
  record_id?: string;
  skill_id?: string;
  [key: string]: unknown;
}

/** A skill compiled in this batch (its file is rewritten). */
export interface CompiledSkill {
  skill_id: string;
  action: 'create' | 'patch' | 'edit' | 'retire';
  title: string;
  description: string;
  content: string;
  status: 'active' | 'retired';
}

/** What a backend returns: the complete new assets plus receipt items. */
export interface CompileArtifacts {
  memory: Record<MemoryScope, MemoryRecord[]>;
  recall: RecallRecord[];
  /** Skills whose files change in this batch. */
  skills: CompiledSkill[];
  /** The complete new manifest (entries not owned by this tool must be passed through unchanged). */
  manifest: SkillManifestEntry[];
  items: ItemReceipt[];
  /** The backend that was asked for. */
  backend: string;
  /** Set when the requested backend fell back (to `script`). */
  fallback_backend: string | null;
}

/** Options every backend accepts; backend-specific ones ride along. */
export interface BackendOptions {
  /** May an agent backend fall back to `script` on failure (default true)? */
  allowFallback: boolean;
  /** Wall-clock limit of an agent run, in ms. Must stay below the lock stale window. */
  timeoutMs?: number;
  [key: string]: unknown;
}

/** A compile backend: one file per backend, default-exported object, listed in the registry. */
export interface CompileBackend {
  name: BackendName;
  /**
   * Deterministic backends (same input → same output, no external calls) let the engine retry a
   * failing batch envelope by envelope to isolate a poison envelope; agent backends do not.
   */
  deterministic: boolean;
  compile(input: BackendInput, options: BackendOptions): Promise<CompileArtifacts>;
}
