/**
 * The deterministic `script` backend.
 *
 * - Order is reviewer time (the engine passes envelopes sorted), suggestions in envelope order.
 * - Memory: add / replace / remove per scope. Dedupe on `dedupeKey(content)` (case, whitespace and
 *   punctuation insensitive) through maps, so a batch is O(n) whatever the memory size.
 *   replace/remove find their target by `old_summary`: exact (normalized) summary, else summaries
 *   containing it, else an entry whose content equals it; no target or several → reported in the
 *   receipt (`no_match`, `ambiguous_match`), never silently dropped. Caps per scope (entries and
 *   characters) evict the least useful entries (inactive first, then lowest confidence, then
 *   oldest), each eviction recorded.
 * - Recall: stable ids (`sha1(dedupeKey(content))[:12]`), validated records (empty source paths
 *   dropped), per-envelope thread/turn/cwd (not the first envelope's).
 * - Skills: ids normalized to `[a-z0-9-]` (never empty, never a path), only entries owned by this
 *   tool and managed can change, a create cannot take over a foreign id.
 *
 * Provenance (thread, turn, suggestion id, evidence quote, reviewer time) is kept on every record;
 * unknown fields of existing records are preserved.
 */
import { SKILL_ACTIONS, type MemoryScope } from '../../constants.js';
import { sortKeysDeep } from '../../json.js';
import { RecallRecordSchema, type RecallRecord, type SkillManifestEntry } from '../../schemas.js';
import { confirmationsOf, reactivated, retired, superseded } from '../../memory/lifecycle.js';
import type { MemoryRecord } from '../../memory/schema.js';
import { lessonTerms, relate, type LessonTerms, type Relation } from '../../memory/similarity.js';
import { isInactiveMemory, memoryStatusOf } from '../../memory/status.js';
import { redactText } from '../../redact/redact.js';
import {
  cleanSourcePaths,
  clip,
  dedupeKey,
  lessonIdFor,
  normalizeSkillId,
  recallIdFor,
  stringField,
  suggestionContent,
} from '../normalize.js';
import { SkillBatch, skillGateProblem, skillTargetProblem, visits, type Visit } from './common.js';
import type {
  BackendInput,
  CompileArtifacts,
  CompileBackend,
  CompiledSkill,
  ItemReceipt,
  MemoryCaps,
} from './types.js';

/** Provenance entries kept per record (newest last). */
const MAX_PROVENANCE = 20;

/** An item plus its position, so the receipt lists items in suggestion order. */
export interface Ordered {
  pos: number;
  sub: number;
  item: ItemReceipt;
}

/** Longest evidence quote kept on an entry. */
export const MAX_QUOTE_CHARS = 240;

/** An evidence quote as stored: redacted again (reviewers may not have), one line, clipped. */
export function shortQuote(quote: string): string {
  return clip(redactText(quote).text, MAX_QUOTE_CHARS);
}

/** Provenance of a suggestion (the fields the Python package recorded). */
export function provenanceOf(visit: Visit): Record<string, unknown> {
  const evidence = visit.details.evidence;
  const quote =
    evidence !== null && typeof evidence === 'object' ? (evidence as { quote?: unknown }).quote : undefined;
  const sessionId = (visit.envelope as Record<string, unknown>).session_id;
  const agent = (visit.envelope as Record<string, unknown>).agent;
  return {
    // The agent whose session taught it; absent for Codex, as before agents had names.
    ...(typeof agent === 'string' && agent ? { agent } : {}),
    thread_id: visit.envelope.thread_id,
    turn_id: visit.envelope.turn_id,
    suggestion_id: visit.envelope.suggestion_id,
    index: visit.index,
    at: visit.envelope.reviewer_timestamp,
    ...(typeof sessionId === 'string' && sessionId ? { session_id: sessionId } : {}),
    ...(typeof quote === 'string' && quote.trim() ? { quote: shortQuote(quote) } : {}),
  };
}

function baseItem(visit: Visit, extra: Partial<ItemReceipt> = {}): ItemReceipt {
  return {
    state: 'applied',
    suggestion_id: visit.envelope.suggestion_id,
    index: visit.index,
    family: visit.suggestion.family,
    ...extra,
  };
}

function appendProvenance(record: MemoryRecord | RecallRecord, entry: Record<string, unknown>): unknown[] {
  const existing = Array.isArray((record as { provenance?: unknown }).provenance)
    ? (record as { provenance: unknown[] }).provenance
    : [];
  return [...existing, entry].slice(-MAX_PROVENANCE);
}

// ---------------------------------------------------------------- memory

/** Inactive (superseded, stale, archived, retired, forgotten) entries kept per scope, at least. */
export const MIN_INACTIVE_KEPT = 200;

/** Options of {@link compileMemory} beyond the batch. */
export interface MemoryOptions {
  /** `git rev-parse HEAD` of the repository at this compile, stamped on new and re-confirmed entries. */
  sourceCommit?: string;
}

interface Slot {
  record: MemoryRecord;
  key: string;
  summaryKey: string;
  removed: boolean;
  order: number;
  preexisting: boolean;
  /** Items of this batch that produced or reinforced the entry (marked evicted if it is). */
  items: ItemReceipt[];
  /** Subject terms, computed on first comparison. */
  terms?: LessonTerms;
}

interface ScopeState {
  scope: MemoryScope;
  slots: Slot[];
  byKey: Map<string, Slot>;
  bySummary: Map<string, Slot[]>;
  /** Ids of every entry of both scopes (ids are unique across the file). */
  ids: Set<string>;
}

function recordChars(record: { summary: string; content: string }): number {
  return record.summary.length + record.content.length;
}

function newScopeState(scope: MemoryScope, records: readonly MemoryRecord[], ids: Set<string>): ScopeState {
  const state: ScopeState = { scope, slots: [], byKey: new Map(), bySummary: new Map(), ids };
  for (const record of records) {
    const existingId = record.id || undefined;
    // Entries written before ids existed get theirs now (derived the same way), then keep it.
    const id = existingId && !ids.has(existingId) ? existingId : lessonIdFor(scope, record.content, ids);
    ids.add(id);
    addSlot(state, existingId === id ? { ...record } : { ...record, id }, true);
  }
  return state;
}

function addSlot(state: ScopeState, record: MemoryRecord, preexisting: boolean): Slot | undefined {
  const key = dedupeKey(record.content);
  if (state.byKey.has(key)) return undefined;
  const slot: Slot = {
    record,
    key,
    summaryKey: dedupeKey(record.summary),
    removed: false,
    order: state.slots.length,
    preexisting,
    items: [],
  };
  state.slots.push(slot);
  state.byKey.set(key, slot);
  indexSummary(state, slot);
  return slot;
}

function indexSummary(state: ScopeState, slot: Slot): void {
  if (slot.summaryKey === '') return;
  const list = state.bySummary.get(slot.summaryKey);
  if (list) list.push(slot);
  else state.bySummary.set(slot.summaryKey, [slot]);
}

function removeSlot(state: ScopeState, slot: Slot): void {
  slot.removed = true;
  if (state.byKey.get(slot.key) === slot) state.byKey.delete(slot.key);
}

/** Active entries an `old_summary` designates: exact summary, else summaries containing it, else equal
 * content. */
function findTargets(state: ScopeState, oldSummary: string): Slot[] {
  const key = dedupeKey(oldSummary);
  if (key === '') return [];
  const live = (s: Slot) => !s.removed && !isInactive(s.record);
  const exact = (state.bySummary.get(key) ?? []).filter((s) => live(s) && s.summaryKey === key);
  if (exact.length > 0) return exact;
  const containing = state.slots.filter((s) => live(s) && s.summaryKey.includes(key));
  if (containing.length > 0) return containing;
  const byContent = state.byKey.get(key);
  return byContent && live(byContent) ? [byContent] : [];
}

const statusOf = memoryStatusOf;
const isInactive = isInactiveMemory;

function recency(record: MemoryRecord): string {
  return record.valid_until ?? record.updated_at ?? record.created_at ?? '';
}

function idOf(record: MemoryRecord): string {
  return record.id ?? '';
}

/** Eviction order among active entries: lowest confidence, then least recently updated, then file order. */
function evictionOrder(a: Slot, b: Slot): number {
  if (a.record.confidence !== b.record.confidence) return a.record.confidence - b.record.confidence;
  const ra = recency(a.record);
  const rb = recency(b.record);
  if (ra !== rb) return ra < rb ? -1 : 1;
  return a.order - b.order;
}

function evict(
  scope: MemoryScope,
  state: ScopeState,
  slot: Slot,
  reason: string,
  evictions: ItemReceipt[],
): void {
  removeSlot(state, slot);
  state.ids.delete(idOf(slot.record));
  for (const item of slot.items) {
    item.state = 'evicted';
    item.reason = reason;
  }
  if (slot.preexisting) {
    // The full entry goes into the receipt: an eviction must be recoverable by hand.
    evictions.push({
      state: 'evicted',
      family: 'memory_updates',
      scope,
      reason,
      record_id: idOf(slot.record),
      summary: slot.record.summary,
      content: slot.record.content,
      confidence: slot.record.confidence,
      ...(statusOf(slot.record) ? { status: statusOf(slot.record) } : {}),
    });
  }
}

/**
 * Caps apply to the active entries (what can be injected); inactive ones are history, kept up to
 * max(MIN_INACTIVE_KEPT, 4 × maxEntries) per scope, the oldest dropped first.
 */
function enforceCaps(
  scope: MemoryScope,
  state: ScopeState,
  caps: MemoryCaps,
  evictions: ItemReceipt[],
): void {
  const live = state.slots.filter((s) => !s.removed && !isInactive(s.record));
  let count = live.length;
  let chars = live.reduce((n, s) => n + recordChars(s.record), 0);
  const { maxEntries, maxChars } = caps[scope];
  if (count > maxEntries || chars > maxChars) {
    for (const slot of [...live].sort(evictionOrder)) {
      if (count <= maxEntries && chars <= maxChars) break;
      evict(scope, state, slot, count > maxEntries ? 'cap_entries' : 'cap_chars', evictions);
      count--;
      chars -= recordChars(slot.record);
    }
  }
  const inactive = state.slots.filter((s) => !s.removed && isInactive(s.record));
  const keep = Math.max(MIN_INACTIVE_KEPT, 4 * maxEntries);
  if (inactive.length > keep) {
    const oldest = [...inactive].sort((a, b) =>
      recency(a.record) < recency(b.record)
        ? -1
        : recency(a.record) > recency(b.record)
          ? 1
          : a.order - b.order,
    );
    for (const slot of oldest.slice(0, inactive.length - keep))
      evict(scope, state, slot, 'history_cap', evictions);
  }
}

function termsOf(slot: Slot): LessonTerms {
  slot.terms ??= lessonTerms(`${slot.record.summary}\n${slot.record.content}`);
  return slot.terms;
}

/** The active entry a new lesson most likely restates or updates, if any. */
function findRelated(
  state: ScopeState,
  terms: LessonTerms,
  except?: Slot,
): { slot: Slot; relation: Relation } | undefined {
  let best: { slot: Slot; relation: Relation } | undefined;
  for (const slot of state.slots) {
    if (slot.removed || slot === except || isInactive(slot.record)) continue;
    const relation = relate(termsOf(slot), terms);
    if (relation.kind === 'unrelated') continue;
    if (!best || relation.score > best.relation.score) best = { slot, relation };
  }
  return best;
}

/** Marks `old` superseded by `next` (both keep their history). */
function supersede(old: Slot, nextId: string, at: string, reason: string): void {
  old.record = superseded(old.record, nextId, at, reason);
}

/** Merges the memory suggestions of a batch into the existing memory. */
export function compileMemory(
  all: readonly Visit[],
  existing: Record<MemoryScope, readonly MemoryRecord[]>,
  caps: MemoryCaps,
  options: MemoryOptions = {},
): { memory: Record<MemoryScope, MemoryRecord[]>; items: Ordered[]; evictions: ItemReceipt[] } {
  const ids = new Set<string>();
  const states: Record<MemoryScope, ScopeState> = {
    user: newScopeState('user', existing.user, ids),
    global: newScopeState('global', existing.global, ids),
  };
  const commit = options.sourceCommit ? { source_commit: options.sourceCommit } : {};
  const items: Ordered[] = [];

  /** A suggestion restated an entry: count it, keep the evidence, re-verify it at this commit. */
  const confirm = (slot: Slot, visit: Visit, item: ItemReceipt, why: string) => {
    const at = visit.envelope.reviewer_timestamp;
    let record = slot.record;
    if (isInactive(record)) record = reactivated(record, at, why);
    slot.record = {
      ...record,
      confidence: Math.max(record.confidence, visit.suggestion.confidence),
      provenance: appendProvenance(record, provenanceOf(visit)),
      confirmations: confirmationsOf(record) + 1,
      last_confirmed_at: at,
      updated_at: at,
      ...commit,
    } as MemoryRecord;
    slot.items.push(item);
    item.state = 'duplicate';
    item.record_id = idOf(slot.record);
    item.target = clip(slot.record.summary || slot.record.content);
  };

  /** Creates an entry; returns its slot. */
  const create = (
    state: ScopeState,
    visit: Visit,
    summary: string,
    content: string,
    sourcePaths: string[],
    extra: Record<string, unknown>,
  ): Slot | undefined => {
    const at = visit.envelope.reviewer_timestamp;
    const id = lessonIdFor(state.scope, content, state.ids);
    const slot = addSlot(
      state,
      {
        id,
        scope: state.scope,
        summary,
        content,
        source_paths: sourcePaths,
        confidence: visit.suggestion.confidence,
        provenance: [provenanceOf(visit)],
        confirmations: 1,
        created_at: at,
        updated_at: at,
        last_confirmed_at: at,
        ...commit,
        ...extra,
      } as MemoryRecord,
      false,
    );
    if (slot) state.ids.add(id);
    return slot;
  };

  for (const visit of all) {
    if (visit.suggestion.family !== 'memory_updates') continue;
    const { details, suggestion } = visit;
    const scope: MemoryScope = stringField(details, 'scope').toLowerCase() === 'user' ? 'user' : 'global';
    const action = stringField(details, 'action').toLowerCase() || 'add';
    const state = states[scope];
    const item = baseItem(visit, { action, scope, summary: clip(suggestion.summary) });
    items.push({ pos: visit.pos, sub: 0, item });
    const at = visit.envelope.reviewer_timestamp;

    if (action === 'remove' || action === 'replace') {
      const oldSummary = stringField(details, 'old_summary');
      const targets = findTargets(state, oldSummary);
      if (targets.length !== 1) {
        item.state = 'discarded';
        item.reason = targets.length === 0 ? 'no_match' : 'ambiguous_match';
        item.detail =
          targets.length === 0
            ? `no ${scope} entry matches "${clip(oldSummary, 80)}"`
            : `${targets.length} ${scope} entries match "${clip(oldSummary, 80)}"`;
        continue;
      }
      const target = targets[0]!;
      item.target = clip(target.record.summary || target.record.content);
      item.record_id = idOf(target.record);
      if (action === 'remove') {
        // Retired, not deleted: the history says what was believed and until when.
        target.record = retired(target.record, at, visit.envelope.suggestion_id);
        target.items.push(item);
        continue;
      }
      const content = suggestionContent(details, suggestion.summary);
      const summary = suggestion.summary.trim();
      if (recordChars({ summary, content }) > caps[scope].maxChars) {
        item.state = 'discarded';
        item.reason = 'too_long';
        item.detail = `${recordChars({ summary, content })} characters exceed the ${scope} cap of ${caps[scope].maxChars}`;
        continue;
      }
      const other = state.byKey.get(dedupeKey(content));
      if (other && other !== target) {
        // The new content already exists as another entry: it replaces the target.
        confirm(other, visit, item, 'restated by a replace');
        supersede(target, idOf(other.record), at, 'replaced');
        item.reason = 'replacement_already_known';
        continue;
      }
      const sourcePaths = Array.isArray(details.source_paths)
        ? cleanSourcePaths(details.source_paths)
        : target.record.source_paths;
      if (other === target) {
        // Same content, new summary: an edit of the wording, not a new lesson.
        target.record = {
          ...target.record,
          summary,
          source_paths: sourcePaths,
          confidence: suggestion.confidence,
          provenance: appendProvenance(target.record, provenanceOf(visit)),
          updated_at: at,
          ...commit,
        };
        target.summaryKey = dedupeKey(summary);
        indexSummary(state, target);
        target.items.push(item);
        continue;
      }
      const slot = create(state, visit, summary, content, sourcePaths, {
        supersedes: [idOf(target.record)],
        valid_from: at,
      });
      if (slot) {
        supersede(target, idOf(slot.record), at, 'replaced');
        slot.items.push(item);
        item.record_id = idOf(slot.record);
        item.supersedes = idOf(target.record);
      }
      continue;
    }

    // add (the schema admits no other action; anything else is treated as add, as in the Python package)
    const content = suggestionContent(details, suggestion.summary);
    const summary = suggestion.summary.trim();
    const key = dedupeKey(content);
    const known = state.byKey.get(key);
    if (known) {
      if (statusOf(known.record) === 'forgotten') {
        // The user asked to forget it: a session restating it does not bring it back.
        item.state = 'discarded';
        item.reason = 'forgotten_by_user';
        item.record_id = idOf(known.record);
        continue;
      }
      const wasSuperseded = statusOf(known.record) === 'superseded';
      confirm(known, visit, item, 'restated by a later session');
      if (wasSuperseded) {
        // A reversal back ("use npm again"): the entry that replaced it is replaced in turn.
        const related = findRelated(state, termsOf(known), known);
        if (related?.relation.kind === 'supersedes' || related?.relation.kind === 'duplicate') {
          supersede(related.slot, idOf(known.record), at, related.relation.reason);
          item.supersedes = idOf(related.slot.record);
        }
      }
      continue;
    }
    if (recordChars({ summary, content }) > caps[scope].maxChars) {
      item.state = 'discarded';
      item.reason = 'too_long';
      item.detail = `${recordChars({ summary, content })} characters exceed the ${scope} cap of ${caps[scope].maxChars}`;
      continue;
    }
    const terms = lessonTerms(`${summary}\n${content}`);
    const related = findRelated(state, terms);
    if (related?.relation.kind === 'duplicate') {
      confirm(related.slot, visit, item, related.relation.reason);
      item.reason = 'near_duplicate';
      item.detail = related.relation.reason;
      continue;
    }
    const supersedes = related?.relation.kind === 'supersedes' ? related : undefined;
    const slot = create(
      state,
      visit,
      summary,
      content,
      cleanSourcePaths(details.source_paths),
      supersedes ? { supersedes: [idOf(supersedes.slot.record)], valid_from: at } : {},
    );
    if (!slot) continue;
    slot.terms = terms;
    slot.items.push(item);
    item.record_id = idOf(slot.record);
    if (supersedes) {
      supersede(supersedes.slot, idOf(slot.record), at, supersedes.relation.reason);
      item.supersedes = idOf(supersedes.slot.record);
      item.detail = supersedes.relation.reason;
    }
  }
  const evictions: ItemReceipt[] = [];
  const memory = {} as Record<MemoryScope, MemoryRecord[]>;
  for (const scope of ['user', 'global'] as const) {
    enforceCaps(scope, states[scope], caps, evictions);
    memory[scope] = states[scope].slots.filter((s) => !s.removed).map((s) => s.record);
  }
  return { memory, items, evictions };
}

// ---------------------------------------------------------------- recall

/** Dedupe keys of records already seen (records are immutable here; a drain reuses them batch after batch).
 * */
const recallKeys = new WeakMap<RecallRecord, string>();

function recallKey(record: RecallRecord): string {
  let key = recallKeys.get(record);
  if (key === undefined) {
    key = dedupeKey(record.content);
    recallKeys.set(record, key);
  }
  return key;
}

/** Merges the recall candidates of a batch into the existing records. */
export function compileRecall(
  all: readonly Visit[],
  existing: readonly RecallRecord[],
  sourceCommit?: string,
): { recall: RecallRecord[]; items: Ordered[] } {
  // Unchanged records keep their identity (the apply guard trusts what it validated before).
  const records: RecallRecord[] = [...existing];
  const byKey = new Map<string, number>();
  const ids = new Set<string>();
  records.forEach((r, i) => {
    byKey.set(recallKey(r), i);
    ids.add(r.id);
  });
  const items: Ordered[] = [];
  for (const visit of all) {
    if (visit.suggestion.family !== 'recall_candidate') continue;
    const { details, suggestion, envelope } = visit;
    const item = baseItem(visit, { summary: clip(suggestion.summary) });
    items.push({ pos: visit.pos, sub: 0, item });
    const content = suggestionContent(details, suggestion.summary);
    const key = dedupeKey(content);
    const known = byKey.get(key);
    if (known !== undefined) {
      const record = records[known]!;
      const paths = cleanSourcePaths([
        ...(record.source_paths ?? []),
        ...cleanSourcePaths(details.source_paths),
      ]);
      const confirmations =
        typeof record.confirmations === 'number' && record.confirmations >= 1
          ? record.confirmations
          : Math.max(1, Array.isArray(record.provenance) ? record.provenance.length : 0);
      records[known] = sortKeysDeep({
        ...record,
        source_paths: paths,
        provenance: appendProvenance(record, provenanceOf(visit)),
        confirmations: confirmations + 1,
        last_confirmed_at: envelope.reviewer_timestamp,
        ...(sourceCommit ? { source_commit: sourceCommit } : {}),
      }) as RecallRecord;
      item.state = 'duplicate';
      item.record_id = record.id;
      continue;
    }
    let id = recallIdFor(content);
    for (let n = 1; ids.has(id); n++) id = recallIdFor(`${content}\u0000${n}`);
    const candidate = {
      id,
      summary: suggestion.summary.trim(),
      content,
      source_paths: cleanSourcePaths(details.source_paths),
      repo_fingerprint: stringField(details, 'repo_fingerprint') || envelope.repo_fingerprint,
      cwd: stringField(details, 'cwd') || envelope.cwd,
      thread_id: stringField(details, 'thread_id') || envelope.thread_id,
      turn_id: stringField(details, 'turn_id') || envelope.turn_id,
      source_updated_at: stringField(details, 'source_updated_at'),
      created_at: envelope.reviewer_timestamp,
      last_confirmed_at: envelope.reviewer_timestamp,
      confirmations: 1,
      provenance: [provenanceOf(visit)],
      ...(sourceCommit ? { source_commit: sourceCommit } : {}),
    };
    const parsed = RecallRecordSchema.safeParse(candidate);
    if (!parsed.success) {
      item.state = 'discarded';
      item.reason = 'invalid_record';
      item.detail = parsed.error.issues
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')
        .slice(0, 200);
      continue;
    }
    ids.add(id);
    byKey.set(key, records.length);
    records.push(sortKeysDeep(parsed.data) as RecallRecord);
    item.record_id = id;
  }
  return { recall: records, items };
}

// ---------------------------------------------------------------- skills

/** Compiles skill actions and `skill_candidate`s into changed skills and the new manifest. */
export function compileSkills(
  all: readonly Visit[],
  existing: readonly SkillManifestEntry[],
  skillsManagedDir: string,
  now: string,
  sourceCommit?: string,
): { skills: CompiledSkill[]; manifest: SkillManifestEntry[]; items: Ordered[] } {
  const batch = new SkillBatch(existing, skillsManagedDir, now);
  const items: Ordered[] = [];
  for (const visit of all) {
    const { suggestion, details } = visit;
    let candidate: Record<string, unknown>;
    let part: 'skill_candidate' | undefined;
    if (suggestion.family === 'skill_action') {
      candidate = details;
    } else {
      const raw = details.skill_candidate;
      if (raw === undefined || raw === null) continue;
      part = 'skill_candidate';
      if (typeof raw !== 'object' || Array.isArray(raw)) {
        items.push({
          pos: visit.pos,
          sub: 1,
          item: baseItem(visit, { part, state: 'discarded', reason: 'invalid_skill_candidate' }),
        });
        continue;
      }
      candidate = raw as Record<string, unknown>;
    }
    const action = stringField(candidate, 'action').toLowerCase() || 'create';
    const item = baseItem(visit, { action, ...(part ? { part } : {}) });
    items.push({ pos: visit.pos, sub: part ? 1 : 0, item });
    const discard = (reason: string, detail?: string) => {
      item.state = 'discarded';
      item.reason = reason;
      if (detail) item.detail = detail;
    };
    if (!(SKILL_ACTIONS as readonly string[]).includes(action)) {
      discard('unsupported_action', `"${clip(action, 40)}" is not one of ${SKILL_ACTIONS.join(', ')}`);
      continue;
    }
    const rawId = stringField(candidate, 'skill_id') || stringField(candidate, 'title') || suggestion.summary;
    const id = normalizeSkillId(rawId);
    if (id === undefined) {
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
    const title =
      stringField(candidate, 'title') ||
      (action !== 'create' && prev ? prev.title : suggestion.summary.trim());
    const description =
      stringField(candidate, 'description') ||
      (action !== 'create' && typeof prev?.description === 'string' ? prev.description : '');
    const content = stringField(candidate, 'content');
    const problem = skillGateProblem(action, title, description, content);
    if (problem) {
      discard(problem.reason, problem.detail);
      continue;
    }
    batch.choose({
      id,
      action: action as CompiledSkill['action'],
      title,
      description,
      content,
      item,
      extra: {
        // Provenance: which session and turn asked for it, with the evidence.
        created_at:
          typeof prev?.created_at === 'string' ? prev.created_at : visit.envelope.reviewer_timestamp,
        provenance: appendProvenance((prev ?? {}) as RecallRecord, provenanceOf(visit)),
        ...(sourceCommit ? { source_commit: sourceCommit } : {}),
      },
    });
  }
  return { ...batch.result(), items };
}

// ---------------------------------------------------------------- backend

/** Runs the deterministic merge over a batch. Pure: reads nothing, writes nothing. */
export function compileWithScript(input: BackendInput): CompileArtifacts {
  const all = visits(input.envelopes);
  const memory = compileMemory(
    all,
    input.context.memory,
    input.caps,
    input.sourceCommit ? { sourceCommit: input.sourceCommit } : {},
  );
  const recall = compileRecall(all, input.context.recall, input.sourceCommit);
  const skills = compileSkills(
    all,
    input.context.manifest,
    input.paths.skillsManagedDir,
    input.now,
    input.sourceCommit,
  );
  const ordered = [...memory.items, ...recall.items, ...skills.items].sort(
    (a, b) => a.pos - b.pos || a.sub - b.sub,
  );
  return {
    memory: memory.memory,
    recall: recall.recall,
    skills: skills.skills,
    manifest: skills.manifest,
    items: [...ordered.map((o) => o.item), ...memory.evictions],
    backend: 'script',
    fallback_backend: null,
  };
}

const scriptBackend: CompileBackend = {
  name: 'script',
  deterministic: true,
  async compile(input) {
    return compileWithScript(input);
  },
};

export default scriptBackend;
