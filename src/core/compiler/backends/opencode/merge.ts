/**
 * Merging a validated agent answer into the existing assets (the Python package
 * applied the answer as the complete new state, so an omitted section wiped memory, recall and
 * the manifest). The result has the same shape as the script backend's and goes through the same
 * guard in `apply.ts`.
 *
 * - Memory: a scope the answer lists is the agent's complete new list for that scope; a scope it
 *   leaves out is unchanged. Entries are matched to existing ones (same content, else same
 *   summary) so provenance, timestamps and unknown fields survive an edit. Existing entries the
 *   list drops are deletions: each is reported in the receipt with its full content (recoverable
 *   by hand) and the agent's reason when it gave one. If the unexplained deletions of a scope
 *   exceed `maxDeleteShare` of its existing entries, the whole answer is rejected. The memory caps
 *   are enforced as for the script backend.
 * - Recall: upserts only (an `id` naming an existing record updates it; anything else is added,
 *   deduplicated on content like the script backend). Recall cannot be deleted by the agent.
 * - Skills: ids normalized like the script backend (no path can leave `skills/managed/`), only
 *   entries this tool owns and manages can change, a create cannot take over a foreign id, retire
 *   keeps the entry. The manifest is rebuilt here; `manifest_entries` of the answer is ignored.
 */
import { SKILL_ACTIONS, type MemoryScope } from '../../../constants.js';
import { sortKeysDeep } from '../../../json.js';
import type { MemoryRecord } from '../../../memory/schema.js';
import { isInactiveMemory } from '../../../memory/status.js';
import {
  RecallRecordSchema,
  type Envelope,
  type RecallRecord,
  type SkillManifestEntry,
} from '../../../schemas.js';
import { cleanSourcePaths, clip, dedupeKey, normalizeSkillId, recallIdFor } from '../../normalize.js';
import { SkillBatch, skillGateProblem, skillTargetProblem, visits } from '../common.js';
import type { BackendInput, CompileArtifacts, CompiledSkill, ItemReceipt, MemoryCaps } from '../types.js';
import { AgentAnswerError, type AgentAnswer, type AgentDiscarded, type AgentMemoryRecord } from './answer.js';

/** Name of the backend in receipts. */
export const AGENT_BACKEND = 'agent:opencode';

const MAX_PROVENANCE = 20;

/** Options of {@link mergeAnswer}. */
export interface MergeOptions {
  /** Share (0..1) of a scope's existing entries that may be dropped without a reason. */
  maxDeleteShare: number;
  /**
   * Kinds whose changes wait for a human (the compiler's review policy). The agent's
   * changes of such a kind are not applied: the suggestions it should have come from were staged,
   * so anything the agent says there is its own invention.
   */
  review?: { memory?: boolean; recall?: boolean; skills?: boolean };
}

interface Batch {
  byId: Map<string, Envelope>;
  first: Envelope;
  now: string;
}

function provenanceFor(batch: Batch, ids: readonly string[] | undefined): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const id of ids ?? []) {
    const envelope = batch.byId.get(id);
    if (!envelope) continue;
    out.push({
      thread_id: envelope.thread_id,
      turn_id: envelope.turn_id,
      suggestion_id: envelope.suggestion_id,
      at: envelope.reviewer_timestamp,
      compiled_by: AGENT_BACKEND,
    });
  }
  return out.length > 0 ? out : [{ at: batch.now, compiled_by: AGENT_BACKEND }];
}

function withProvenance(record: object, added: readonly Record<string, unknown>[]): unknown[] {
  const provenance = (record as { provenance?: unknown }).provenance;
  const existing = Array.isArray(provenance) ? provenance : [];
  return [...existing, ...added].slice(-MAX_PROVENANCE);
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

// ---------------------------------------------------------------- memory

/** Reasons the agent gave for dropping existing entries, keyed by scope and dedupe key. */
interface Explanations {
  get(scope: MemoryScope, record: MemoryRecord): string | undefined;
}

function explanations(discarded: readonly AgentDiscarded[]): Explanations {
  const byKey = new Map<string, string>();
  for (const item of discarded) {
    const reason = item.reason?.trim();
    if (!reason || item.suggestion_id) continue;
    const scope = item.scope?.trim().toLowerCase();
    const scopes = scope === 'user' || scope === 'global' ? [scope] : ['*'];
    for (const text of [item.summary, item.content]) {
      if (typeof text !== 'string' || text.trim() === '') continue;
      for (const s of scopes) byKey.set(`${s}\u0000${dedupeKey(text)}`, reason);
    }
  }
  return {
    get(scope, record) {
      for (const text of [record.summary, record.content]) {
        if (text.trim() === '') continue;
        const key = dedupeKey(text);
        const hit = byKey.get(`${scope}\u0000${key}`) ?? byKey.get(`*\u0000${key}`);
        if (hit) return hit;
      }
      return undefined;
    },
  };
}

function recordChars(record: { summary: string; content: string }): number {
  return record.summary.length + record.content.length;
}

const isInactive = isInactiveMemory;

function recency(record: MemoryRecord): string {
  return record.updated_at ?? record.created_at ?? '';
}

interface ScopeMerge {
  records: MemoryRecord[];
  items: ItemReceipt[];
  counts: { added: number; updated: number; removed: number };
}

/** Merges the agent's complete list of one scope into the existing entries. */
function mergeScope(
  scope: MemoryScope,
  proposed: readonly AgentMemoryRecord[],
  existing: readonly MemoryRecord[],
  batch: Batch,
  caps: MemoryCaps,
  explain: Explanations,
  options: MergeOptions,
): ScopeMerge {
  const byContent = new Map<string, number[]>();
  const bySummary = new Map<string, number[]>();
  existing.forEach((record, i) => {
    const push = (map: Map<string, number[]>, key: string) => {
      if (key === '') return;
      const list = map.get(key);
      if (list) list.push(i);
      else map.set(key, [i]);
    };
    push(byContent, dedupeKey(record.content));
    push(bySummary, record.summary.trim() === '' ? '' : dedupeKey(record.summary));
  });
  const matched = new Set<number>();
  const take = (list: number[] | undefined) => {
    const i = list?.find((n) => !matched.has(n));
    if (i !== undefined) matched.add(i);
    return i;
  };
  const records: MemoryRecord[] = [];
  const items: ItemReceipt[] = [];
  const counts = { added: 0, updated: 0, removed: 0 };
  const seen = new Set<string>();
  const fresh = new Set<MemoryRecord>();
  for (const item of proposed) {
    const content = item.content.trim();
    const summary = item.summary.trim();
    const key = dedupeKey(content);
    if (seen.has(key)) continue; // The answer repeated an entry: once is enough.
    seen.add(key);
    const index =
      take(byContent.get(key)) ?? (summary === '' ? undefined : take(bySummary.get(dedupeKey(summary))));
    const base = index === undefined ? undefined : existing[index];
    if (recordChars({ summary, content }) > caps[scope].maxChars) {
      items.push({
        state: 'discarded',
        kind: 'backend',
        family: 'memory_updates',
        scope,
        reason: 'too_long',
        summary: clip(summary || content),
        detail: `${recordChars({ summary, content })} characters exceed the ${scope} cap of ${caps[scope].maxChars}`,
      });
      if (base) records.push(base); // An oversized edit keeps the entry as it was.
      continue;
    }
    const sourcePaths = item.source_paths === undefined ? undefined : cleanSourcePaths(item.source_paths);
    if (base) {
      const unchanged =
        base.content === content &&
        base.summary === summary &&
        (sourcePaths === undefined || sameList(sourcePaths, base.source_paths)) &&
        (item.confidence === undefined || item.confidence === base.confidence) &&
        (item.status === undefined || item.status === (base.status ?? 'active'));
      if (unchanged) {
        records.push(base);
        continue;
      }
      const next: MemoryRecord = {
        ...base,
        summary,
        content,
        source_paths: sourcePaths ?? base.source_paths,
        confidence: item.confidence ?? base.confidence,
        provenance: withProvenance(base, provenanceFor(batch, item.suggestion_ids)),
        updated_at: batch.now,
      };
      if (item.status !== undefined) next.status = item.status;
      records.push(next);
      counts.updated++;
      continue;
    }
    const record: MemoryRecord = {
      scope,
      summary,
      content,
      source_paths: sourcePaths ?? [],
      confidence: item.confidence ?? 1,
      provenance: provenanceFor(batch, item.suggestion_ids),
      created_at: batch.now,
      updated_at: batch.now,
    };
    if (item.status !== undefined && item.status !== 'active') record.status = item.status;
    records.push(record);
    fresh.add(record);
    counts.added++;
  }
  const dropped = existing.filter((_, i) => !matched.has(i));
  let unexplained = 0;
  for (const record of dropped) {
    const reason = explain.get(scope, record);
    if (!reason) unexplained++;
    items.push({
      state: 'evicted',
      kind: 'eviction',
      family: 'memory_updates',
      scope,
      reason: 'agent_removed',
      detail: reason ? clip(reason, 200) : 'no reason given',
      summary: record.summary,
      content: record.content,
      confidence: record.confidence,
    });
  }
  counts.removed = dropped.length;
  if (existing.length > 0 && unexplained > options.maxDeleteShare * existing.length) {
    throw new AgentAnswerError(
      `answer would drop ${unexplained} of ${existing.length} ${scope} memory entries without a reason (limit ${Math.round(options.maxDeleteShare * 100)}%)`,
    );
  }
  return { records: enforceCaps(scope, records, caps, fresh, items), items, counts };
}

/** The script backend's cap policy: inactive first, then lowest confidence, then least recent. */
function enforceCaps(
  scope: MemoryScope,
  records: MemoryRecord[],
  caps: MemoryCaps,
  fresh: ReadonlySet<MemoryRecord>,
  items: ItemReceipt[],
): MemoryRecord[] {
  const { maxEntries, maxChars } = caps[scope];
  let count = records.length;
  let chars = records.reduce((n, r) => n + recordChars(r), 0);
  if (count <= maxEntries && chars <= maxChars) return records;
  const order = records.map((record, position) => ({ record, position }));
  order.sort((a, b) => {
    const inactive = Number(isInactive(b.record)) - Number(isInactive(a.record));
    if (inactive !== 0) return inactive;
    if (a.record.confidence !== b.record.confidence) return a.record.confidence - b.record.confidence;
    const ra = recency(a.record);
    const rb = recency(b.record);
    if (ra !== rb) return ra < rb ? -1 : 1;
    return a.position - b.position;
  });
  const evicted = new Set<MemoryRecord>();
  for (const { record } of order) {
    if (count <= maxEntries && chars <= maxChars) break;
    const reason = count > maxEntries ? 'cap_entries' : 'cap_chars';
    evicted.add(record);
    count--;
    chars -= recordChars(record);
    items.push({
      state: 'evicted',
      kind: 'eviction',
      family: 'memory_updates',
      scope,
      reason,
      summary: record.summary,
      content: record.content,
      confidence: record.confidence,
      ...(fresh.has(record) ? { detail: 'added by the agent in this batch' } : {}),
    });
  }
  return records.filter((r) => !evicted.has(r));
}

// ---------------------------------------------------------------- recall

function mergeRecall(
  answer: AgentAnswer,
  existing: readonly RecallRecord[],
  batch: Batch,
  items: ItemReceipt[],
): { recall: RecallRecord[]; added: number; updated: number } {
  const records: RecallRecord[] = [...existing];
  const byId = new Map<string, number>();
  const byKey = new Map<string, number>();
  records.forEach((r, i) => {
    byId.set(r.id, i);
    byKey.set(dedupeKey(r.content), i);
  });
  let added = 0;
  let updated = 0;
  for (const item of answer.recall_records ?? []) {
    const content = item.content.trim();
    const summary = item.summary.trim();
    const key = dedupeKey(content);
    const sourcePaths = item.source_paths === undefined ? undefined : cleanSourcePaths(item.source_paths);
    const target = item.id !== undefined ? byId.get(item.id.trim()) : undefined;
    const duplicate = byKey.get(key);
    if (target !== undefined && (duplicate === undefined || duplicate === target)) {
      const base = records[target]!;
      if (
        base.content === content &&
        base.summary === summary &&
        (sourcePaths === undefined || sameList(sourcePaths, base.source_paths))
      )
        continue;
      byKey.delete(dedupeKey(base.content));
      records[target] = sortKeysDeep({
        ...base,
        summary,
        content,
        source_paths: sourcePaths ?? base.source_paths,
        updated_at: batch.now,
        provenance: withProvenance(
          base,
          provenanceFor(batch, item.suggestion_id ? [item.suggestion_id] : undefined),
        ),
      }) as RecallRecord;
      byKey.set(key, target);
      updated++;
      continue;
    }
    if (duplicate !== undefined) {
      // Known content: merge the source paths, as the script backend does for a duplicate.
      const base = records[duplicate]!;
      const paths = cleanSourcePaths([...(base.source_paths ?? []), ...(sourcePaths ?? [])]);
      if (!sameList(paths, base.source_paths))
        records[duplicate] = sortKeysDeep({ ...base, source_paths: paths }) as RecallRecord;
      continue;
    }
    const envelope = (item.suggestion_id ? batch.byId.get(item.suggestion_id) : undefined) ?? batch.first;
    let id = recallIdFor(content);
    for (let n = 1; byId.has(id); n++) id = recallIdFor(`${content}\u0000${n}`);
    const parsed = RecallRecordSchema.safeParse({
      id,
      summary,
      content,
      source_paths: sourcePaths ?? [],
      repo_fingerprint: envelope.repo_fingerprint,
      cwd: envelope.cwd,
      thread_id: envelope.thread_id,
      turn_id: envelope.turn_id,
      source_updated_at: '',
      created_at: envelope.reviewer_timestamp,
      provenance: provenanceFor(batch, [envelope.suggestion_id]),
    });
    if (!parsed.success) {
      items.push({
        state: 'discarded',
        kind: 'backend',
        family: 'recall_candidate',
        reason: 'invalid_record',
        summary: clip(summary),
      });
      continue;
    }
    byId.set(id, records.length);
    byKey.set(key, records.length);
    records.push(sortKeysDeep(parsed.data) as RecallRecord);
    added++;
  }
  return { recall: records, added, updated };
}

// ---------------------------------------------------------------- skills

function mergeSkills(
  answer: AgentAnswer,
  existing: readonly SkillManifestEntry[],
  managedDir: string,
  now: string,
  items: ItemReceipt[],
): { skills: CompiledSkill[]; manifest: SkillManifestEntry[] } {
  const batch = new SkillBatch(existing, managedDir, now);
  for (const candidate of answer.compiled_skills ?? []) {
    const action = candidate.action;
    const item: ItemReceipt = { state: 'applied', kind: 'backend', family: 'skill_action', action };
    items.push(item);
    const discard = (reason: string, detail?: string) => {
      item.state = 'discarded';
      item.reason = reason;
      if (detail) item.detail = detail;
    };
    const id = normalizeSkillId(candidate.skill_id);
    if (id === undefined || !(SKILL_ACTIONS as readonly string[]).includes(action)) {
      discard('missing_skill_id');
      continue;
    }
    item.skill_id = id;
    const prev = batch.entry(id);
    const target = skillTargetProblem(action, id, prev);
    if (target) {
      discard(target.reason, target.detail);
      continue;
    }
    const title = candidate.title.trim() || (prev ? prev.title : '');
    const description =
      candidate.description.trim() ||
      (action !== 'create' && typeof prev?.description === 'string' ? prev.description : '');
    const content = candidate.content.trim();
    const problem = skillGateProblem(action, title, description, content);
    if (problem) {
      discard(problem.reason, problem.detail);
      continue;
    }
    batch.choose({ id, action, title, description, content, item });
  }
  return batch.result();
}

// ---------------------------------------------------------------- answer

/**
 * Merges an answer into the existing assets of `input`. Throws AgentAnswerError when the answer
 * must be rejected as a whole (too many unexplained deletions).
 */
export function mergeAnswer(
  given: AgentAnswer,
  input: BackendInput,
  options: MergeOptions,
): CompileArtifacts {
  let answer = given;
  const first = input.envelopes[0];
  if (!first) throw new AgentAnswerError('empty batch');
  const batch: Batch = {
    byId: new Map(input.envelopes.map((e) => [e.suggestion_id, e])),
    first,
    now: input.now,
  };
  const discarded = answer.discarded_items ?? [];
  const explain = explanations(discarded);
  const changeItems: ItemReceipt[] = [];
  const memory = { user: input.context.memory.user, global: input.context.memory.global } as Record<
    MemoryScope,
    MemoryRecord[]
  >;
  const summary: string[] = [];
  const held = (kind: 'memory' | 'recall' | 'skills', present: boolean) => {
    if (!present || !options.review?.[kind]) return false;
    changeItems.push({
      state: 'discarded',
      kind: 'backend',
      backend: AGENT_BACKEND,
      reason: 'awaiting_review',
      detail: `${kind} changes wait for review; the agent's ${kind} section was not applied`,
    });
    return true;
  };
  if (held('memory', Boolean(answer.memory_records?.user || answer.memory_records?.global)))
    answer = { ...answer, memory_records: null };
  if (held('recall', Boolean(answer.recall_records?.length))) answer = { ...answer, recall_records: null };
  if (held('skills', Boolean(answer.compiled_skills?.length))) answer = { ...answer, compiled_skills: null };
  for (const scope of ['user', 'global'] as const) {
    const proposed = answer.memory_records?.[scope];
    if (proposed === undefined || proposed === null) continue;
    const merged = mergeScope(
      scope,
      proposed,
      input.context.memory[scope],
      batch,
      input.caps,
      explain,
      options,
    );
    memory[scope] = merged.records;
    changeItems.push(...merged.items);
    summary.push(
      `${scope} memory +${merged.counts.added} ~${merged.counts.updated} -${merged.counts.removed}`,
    );
  }
  const recallItems: ItemReceipt[] = [];
  const recall = mergeRecall(answer, input.context.recall, batch, recallItems);
  summary.push(`recall +${recall.added} ~${recall.updated}`);
  const skillItems: ItemReceipt[] = [];
  const skills = mergeSkills(
    answer,
    input.context.manifest,
    input.paths.skillsManagedDir,
    input.now,
    skillItems,
  );
  summary.push(`skills ${skills.skills.length}`);

  // One item per suggestion: the agent merges the batch as a whole, so a suggestion is "merged"
  // unless the agent says it discarded it.
  const discardedBy = new Map<string, string>();
  for (const item of discarded) {
    if (!item.suggestion_id) continue;
    discardedBy.set(
      `${item.suggestion_id}\u0000${item.index ?? '*'}`,
      item.reason?.trim() || 'no reason given',
    );
  }
  const suggestionItems: ItemReceipt[] = visits(input.envelopes).map((visit) => {
    const id = visit.envelope.suggestion_id;
    const reason = discardedBy.get(`${id}\u0000${visit.index}`) ?? discardedBy.get(`${id}\u0000*`);
    const action = typeof visit.details.action === 'string' ? visit.details.action : undefined;
    return {
      state: reason === undefined ? 'applied' : 'discarded',
      suggestion_id: id,
      index: visit.index,
      family: visit.suggestion.family,
      ...(action ? { action } : {}),
      summary: clip(visit.suggestion.summary),
      reason: reason === undefined ? 'agent_merged' : 'agent_discarded',
      ...(reason === undefined ? {} : { detail: clip(reason, 200) }),
    };
  });
  return {
    memory,
    recall: recall.recall,
    skills: skills.skills,
    manifest: skills.manifest,
    items: [
      ...suggestionItems,
      ...skillItems,
      ...recallItems,
      ...changeItems,
      {
        state: 'applied',
        kind: 'backend',
        backend: AGENT_BACKEND,
        reason: 'agent_changes',
        detail: summary.join('; '),
      },
    ],
    backend: AGENT_BACKEND,
    fallback_backend: null,
  };
}
