/**
 * The deterministic `script` backend (SPEC §8.4, with its §17 defects fixed).
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
import { join } from 'node:path';
import { PLUGIN_OWNER, SKILL_ACTIONS, type MemoryScope } from '../../constants.js';
import { sortKeysDeep } from '../../json.js';
import { RecallRecordSchema, type Envelope, type MemoryRecord, type RecallRecord, type SkillManifestEntry, type Suggestion } from '../../schemas.js';
import { cleanSourcePaths, clip, dedupeKey, normalizeSkillId, recallIdFor, stringField, suggestionContent } from '../normalize.js';
import type { BackendInput, CompileArtifacts, CompileBackend, CompiledSkill, ItemReceipt, MemoryCaps } from './types.js';

/** Memory statuses that are not injected (issue 10); such entries are evicted first. */
const INACTIVE_STATUSES = new Set(['superseded', 'archived', 'stale', 'retired', 'forgotten']);

/** Provenance entries kept per record (newest last). */
const MAX_PROVENANCE = 20;

/** An item plus its position, so the receipt lists items in suggestion order. */
export interface Ordered {
  pos: number;
  sub: number;
  item: ItemReceipt;
}

/** One suggestion of the batch with its envelope and position. */
export interface Visit {
  envelope: Envelope;
  suggestion: Suggestion;
  index: number;
  /** Global position of the suggestion in the batch. */
  pos: number;
  details: Record<string, unknown>;
}

/** Every suggestion of the batch in apply order. */
export function visits(envelopes: readonly Envelope[]): Visit[] {
  const out: Visit[] = [];
  for (const envelope of envelopes) {
    envelope.suggestions.forEach((suggestion, index) => {
      out.push({ envelope, suggestion, index, pos: out.length, details: suggestion.details as Record<string, unknown> });
    });
  }
  return out;
}

/** Provenance of a suggestion (SPEC ProvenanceSchema fields). */
export function provenanceOf(visit: Visit): Record<string, unknown> {
  const evidence = visit.details.evidence;
  const quote = evidence !== null && typeof evidence === 'object' ? (evidence as { quote?: unknown }).quote : undefined;
  const sessionId = (visit.envelope as Record<string, unknown>).session_id;
  return {
    thread_id: visit.envelope.thread_id,
    turn_id: visit.envelope.turn_id,
    suggestion_id: visit.envelope.suggestion_id,
    index: visit.index,
    at: visit.envelope.reviewer_timestamp,
    ...(typeof sessionId === 'string' && sessionId ? { session_id: sessionId } : {}),
    ...(typeof quote === 'string' && quote.trim() ? { quote: quote.trim() } : {}),
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
  const existing = Array.isArray((record as { provenance?: unknown }).provenance) ? ((record as { provenance: unknown[] }).provenance) : [];
  return [...existing, entry].slice(-MAX_PROVENANCE);
}

// ---------------------------------------------------------------- memory

interface Slot {
  record: MemoryRecord;
  key: string;
  summaryKey: string;
  removed: boolean;
  order: number;
  preexisting: boolean;
  /** Items of this batch that produced or reinforced the entry (marked evicted if it is). */
  items: ItemReceipt[];
}

interface ScopeState {
  slots: Slot[];
  byKey: Map<string, Slot>;
  bySummary: Map<string, Slot[]>;
}

function recordChars(record: { summary: string; content: string }): number {
  return record.summary.length + record.content.length;
}

function newScopeState(records: readonly MemoryRecord[]): ScopeState {
  const state: ScopeState = { slots: [], byKey: new Map(), bySummary: new Map() };
  for (const record of records) addSlot(state, { ...record }, true);
  return state;
}

function addSlot(state: ScopeState, record: MemoryRecord, preexisting: boolean): Slot | undefined {
  const key = dedupeKey(record.content);
  if (state.byKey.has(key)) return undefined;
  const slot: Slot = { record, key, summaryKey: dedupeKey(record.summary), removed: false, order: state.slots.length, preexisting, items: [] };
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

/** Entries an `old_summary` designates: exact summary, else summaries containing it, else equal content. */
function findTargets(state: ScopeState, oldSummary: string): Slot[] {
  const key = dedupeKey(oldSummary);
  if (key === '') return [];
  const exact = (state.bySummary.get(key) ?? []).filter((s) => !s.removed && s.summaryKey === key);
  if (exact.length > 0) return exact;
  const containing = state.slots.filter((s) => !s.removed && s.summaryKey.includes(key));
  if (containing.length > 0) return containing;
  const byContent = state.byKey.get(key);
  return byContent && !byContent.removed ? [byContent] : [];
}

function isInactive(record: MemoryRecord): boolean {
  const status = (record as { status?: unknown }).status;
  return typeof status === 'string' && INACTIVE_STATUSES.has(status);
}

function recency(record: MemoryRecord): string {
  const r = record as { updated_at?: unknown; created_at?: unknown };
  if (typeof r.updated_at === 'string') return r.updated_at;
  if (typeof r.created_at === 'string') return r.created_at;
  return '';
}

/** Eviction order: inactive first, then lowest confidence, then least recently updated, then file order. */
function evictionOrder(a: Slot, b: Slot): number {
  const inactive = Number(isInactive(b.record)) - Number(isInactive(a.record));
  if (inactive !== 0) return inactive;
  if (a.record.confidence !== b.record.confidence) return a.record.confidence - b.record.confidence;
  const ra = recency(a.record);
  const rb = recency(b.record);
  if (ra !== rb) return ra < rb ? -1 : 1;
  return a.order - b.order;
}

function enforceCaps(scope: MemoryScope, state: ScopeState, caps: MemoryCaps, evictions: ItemReceipt[]): void {
  const live = state.slots.filter((s) => !s.removed);
  let count = live.length;
  let chars = live.reduce((n, s) => n + recordChars(s.record), 0);
  const { maxEntries, maxChars } = caps[scope];
  if (count <= maxEntries && chars <= maxChars) return;
  for (const slot of [...live].sort(evictionOrder)) {
    if (count <= maxEntries && chars <= maxChars) break;
    const reason = count > maxEntries ? 'cap_entries' : 'cap_chars';
    removeSlot(state, slot);
    count--;
    chars -= recordChars(slot.record);
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
        summary: slot.record.summary,
        content: slot.record.content,
        confidence: slot.record.confidence,
      });
    }
  }
}

/** Merges the memory suggestions of a batch into the existing memory. */
export function compileMemory(
  all: readonly Visit[],
  existing: Record<MemoryScope, readonly MemoryRecord[]>,
  caps: MemoryCaps,
): { memory: Record<MemoryScope, MemoryRecord[]>; items: Ordered[]; evictions: ItemReceipt[] } {
  const states: Record<MemoryScope, ScopeState> = { user: newScopeState(existing.user), global: newScopeState(existing.global) };
  const items: Ordered[] = [];
  for (const visit of all) {
    if (visit.suggestion.family !== 'memory_updates') continue;
    const { details, suggestion } = visit;
    const scope: MemoryScope = stringField(details, 'scope').toLowerCase() === 'user' ? 'user' : 'global';
    const action = stringField(details, 'action').toLowerCase() || 'add';
    const state = states[scope];
    const item = baseItem(visit, { action, scope, summary: clip(suggestion.summary) });
    items.push({ pos: visit.pos, sub: 0, item });
    const provenance = provenanceOf(visit);
    const at = visit.envelope.reviewer_timestamp;

    if (action === 'remove' || action === 'replace') {
      const oldSummary = stringField(details, 'old_summary');
      const targets = findTargets(state, oldSummary);
      if (targets.length !== 1) {
        item.state = 'discarded';
        item.reason = targets.length === 0 ? 'no_match' : 'ambiguous_match';
        item.detail = targets.length === 0 ? `no ${scope} entry matches "${clip(oldSummary, 80)}"` : `${targets.length} ${scope} entries match "${clip(oldSummary, 80)}"`;
        continue;
      }
      const target = targets[0]!;
      item.target = clip(target.record.summary || target.record.content);
      if (action === 'remove') {
        removeSlot(state, target);
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
      const key = dedupeKey(content);
      const other = state.byKey.get(key);
      if (other && other !== target) {
        // The new content already exists as another entry: the target goes, the other stays.
        removeSlot(state, target);
        other.record = { ...other.record, confidence: Math.max(other.record.confidence, suggestion.confidence), provenance: appendProvenance(other.record, provenance), updated_at: at };
        other.items.push(item);
        item.state = 'duplicate';
        item.reason = 'replacement_already_known';
        continue;
      }
      const sourcePaths = Array.isArray(details.source_paths) ? cleanSourcePaths(details.source_paths) : target.record.source_paths;
      if (state.byKey.get(target.key) === target) state.byKey.delete(target.key);
      target.record = {
        ...target.record,
        summary,
        content,
        source_paths: sourcePaths,
        confidence: suggestion.confidence,
        provenance: appendProvenance(target.record, provenance),
        updated_at: at,
      };
      target.key = key;
      state.byKey.set(key, target);
      target.summaryKey = dedupeKey(summary);
      indexSummary(state, target);
      target.items.push(item);
      continue;
    }

    // add (the schema admits no other action; anything else is treated as add, as in the original)
    const content = suggestionContent(details, suggestion.summary);
    const summary = suggestion.summary.trim();
    const key = dedupeKey(content);
    const known = state.byKey.get(key);
    if (known) {
      known.record = { ...known.record, confidence: Math.max(known.record.confidence, suggestion.confidence), provenance: appendProvenance(known.record, provenance), updated_at: at };
      known.items.push(item);
      item.state = 'duplicate';
      item.target = clip(known.record.summary || known.record.content);
      continue;
    }
    if (recordChars({ summary, content }) > caps[scope].maxChars) {
      item.state = 'discarded';
      item.reason = 'too_long';
      item.detail = `${recordChars({ summary, content })} characters exceed the ${scope} cap of ${caps[scope].maxChars}`;
      continue;
    }
    const slot = addSlot(
      state,
      {
        scope,
        summary,
        content,
        source_paths: cleanSourcePaths(details.source_paths),
        confidence: suggestion.confidence,
        provenance: [provenance],
        created_at: at,
        updated_at: at,
      },
      false,
    );
    slot?.items.push(item);
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

/** Dedupe keys of records already seen (records are immutable here; a drain reuses them batch after batch). */
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
export function compileRecall(all: readonly Visit[], existing: readonly RecallRecord[]): { recall: RecallRecord[]; items: Ordered[] } {
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
      const paths = cleanSourcePaths([...(record.source_paths ?? []), ...cleanSourcePaths(details.source_paths)]);
      records[known] = sortKeysDeep({ ...record, source_paths: paths, provenance: appendProvenance(record, provenanceOf(visit)) }) as RecallRecord;
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
      provenance: [provenanceOf(visit)],
    };
    const parsed = RecallRecordSchema.safeParse(candidate);
    if (!parsed.success) {
      item.state = 'discarded';
      item.reason = 'invalid_record';
      item.detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 200);
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

/** Words of a text; each CJK character counts as one (they are written without spaces). */
function wordCount(text: string): number {
  return text.match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[\p{L}\p{N}_]+/gu)?.length ?? 0;
}

/** True when this tool may change a manifest entry. */
export function isOwnedEntry(entry: SkillManifestEntry): boolean {
  return entry.owner === PLUGIN_OWNER && entry.managed === true;
}

/** Compiles skill actions and `skill_candidate`s into changed skills and the new manifest. */
export function compileSkills(
  all: readonly Visit[],
  existing: readonly SkillManifestEntry[],
  skillsManagedDir: string,
  now: string,
): { skills: CompiledSkill[]; manifest: SkillManifestEntry[]; items: Ordered[] } {
  const current = new Map(existing.map((e) => [e.skill_id, e]));
  const chosen = new Map<string, { skill: CompiledSkill; item: ItemReceipt }>();
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
        items.push({ pos: visit.pos, sub: 1, item: baseItem(visit, { part, state: 'discarded', reason: 'invalid_skill_candidate' }) });
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
    const prev = current.get(id);
    if (action !== 'create' && !prev) {
      discard('missing_managed_skill', `no skill "${id}" in the manifest`);
      continue;
    }
    if (prev && !isOwnedEntry(prev)) {
      discard('ownership_violation', `skill "${id}" is owned by ${prev.owner}${prev.managed ? '' : ' (not managed)'}`);
      continue;
    }
    const title = stringField(candidate, 'title') || (action !== 'create' && prev ? prev.title : suggestion.summary.trim());
    const description = stringField(candidate, 'description') || (action !== 'create' && typeof prev?.description === 'string' ? prev.description : '');
    const content = stringField(candidate, 'content');
    if (title === '') {
      discard('missing_title');
      continue;
    }
    if (action !== 'retire') {
      if (description === '') {
        discard('missing_description');
        continue;
      }
      if (content === '') {
        discard('missing_content');
        continue;
      }
      if (wordCount(content) < 3) {
        discard('low_signal', 'content has fewer than 3 words');
        continue;
      }
    }
    const skill: CompiledSkill = {
      skill_id: id,
      action: action as CompiledSkill['action'],
      title,
      description,
      content,
      status: action === 'retire' ? 'retired' : 'active',
    };
    const earlier = chosen.get(id);
    if (earlier) {
      earlier.item.state = 'superseded';
      earlier.item.reason = 'superseded_in_batch';
    }
    chosen.set(id, { skill, item });
    current.set(id, {
      ...(prev ?? {}),
      skill_id: id,
      action: skill.action,
      title,
      ...(description ? { description } : {}),
      path: join(skillsManagedDir, `${id}.md`),
      status: skill.status,
      owner: PLUGIN_OWNER,
      managed: true,
      created_by: prev?.created_by ?? PLUGIN_OWNER,
      updated_at: now,
      retired_at: skill.status === 'retired' ? now : null,
    });
  }
  const manifest = [...current.values()].sort((a, b) => (a.skill_id < b.skill_id ? -1 : a.skill_id > b.skill_id ? 1 : 0));
  return { skills: [...chosen.values()].map((c) => c.skill), manifest, items };
}

// ---------------------------------------------------------------- backend

/** Runs the deterministic merge over a batch. Pure: reads nothing, writes nothing. */
export function compileWithScript(input: BackendInput): CompileArtifacts {
  const all = visits(input.envelopes);
  const memory = compileMemory(all, input.context.memory, input.caps);
  const recall = compileRecall(all, input.context.recall);
  const skills = compileSkills(all, input.context.manifest, input.paths.skillsManagedDir, input.now);
  const ordered = [...memory.items, ...recall.items, ...skills.items].sort((a, b) => a.pos - b.pos || a.sub - b.sub);
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
