/**
 * The payload file handed to opencode with `--file` (`{schema_version, repo,
 * existing_assets, batch, contract}`), built so that it reaches the model whole:
 *
 * - opencode does not pass the file's bytes: it attaches the output of its read tool, which
 *   numbers the lines, cuts each line at 2,000 characters and stops after 2,000 lines or 50 KB.
 *   So the JSON is laid out one record per line (never a line over {@link LINE_LIMIT}), and a
 *   string too long for a line is written as `<key>_parts`, a list of consecutive pieces. A
 *   payload within {@link ATTACH_MAX_BYTES} / {@link ATTACH_MAX_LINES} arrives whole; a larger one
 *   arrives in part and the prompt tells the agent to read the rest with its read tool.
 * - Everything is redacted (`redactDeep`) and reduced to what the agent needs: no provenance, no
 *   queue bookkeeping, no state paths (the agent must not write files, so it is not told where
 *   they are).
 * - Recall is unbounded: the newest records are sent up to {@link RECALL_BUDGET_BYTES} and the
 *   payload says how many were left out (the merge deduplicates on content anyway).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactDeep } from '../../../redact/redact.js';
import type { MemoryRecord } from '../../../memory/schema.js';
import { MEMORY_STATUSES } from '../../../memory/status.js';
import type { RecallRecord, SkillManifestEntry } from '../../../schemas.js';
import { isOwnedEntry } from '../common.js';
import type { BackendInput } from '../types.js';

/** Longest line written (opencode cuts at 2,000 characters, line numbers come on top). */
export const LINE_LIMIT = 1_800;
/** Longest string piece of a `<key>_parts` list, JSON-escaped. */
export const PART_LIMIT = 1_200;
/** A payload up to this size is attached whole (opencode's cap is 50 KB of file content). */
export const ATTACH_MAX_BYTES = 48_000;
/** A payload up to this many lines is attached whole (opencode's cap is 2,000 lines). */
export const ATTACH_MAX_LINES = 1_900;
/** Serialized size of the recall records sent along. */
export const RECALL_BUDGET_BYTES = 24_000;
/** Characters of a managed skill's current text sent along. */
export const SKILL_TEXT_LIMIT = 4_000;

/** The serialized payload. */
export interface SerializedPayload {
  text: string;
  bytes: number;
  lines: number;
  /** True when opencode attaches all of it. */
  attachedWhole: boolean;
}

/** Splits a string into pieces of at most `limit` JSON-escaped characters (never inside a code point). */
export function splitString(text: string, limit = PART_LIMIT): string[] {
  const parts: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of text) {
    const cost = JSON.stringify(ch).length - 2;
    if (size + cost > limit && current !== '') {
      parts.push(current);
      current = '';
      size = 0;
    }
    current += ch;
    size += cost;
  }
  if (current !== '' || parts.length === 0) parts.push(current);
  return parts;
}

/** Replaces every long string property `k` by `k_parts` (see the module comment). */
export function splitLongStrings(value: unknown): unknown {
  if (typeof value === 'string')
    return JSON.stringify(value).length - 2 > PART_LIMIT
      ? `${splitString(value, PART_LIMIT - 1)[0]}…`
      : value;
  if (Array.isArray(value)) return value.map((item) => splitLongStrings(item));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string' && JSON.stringify(item).length - 2 > PART_LIMIT)
      out[`${key}_parts`] = splitString(item);
    else out[key] = splitLongStrings(item);
  }
  return out;
}

function render(value: unknown, indent: string, prefix: string, suffix: string, out: string[]): void {
  const compact = JSON.stringify(value);
  if (
    value === null ||
    typeof value !== 'object' ||
    indent.length + prefix.length + compact.length + suffix.length <= LINE_LIMIT
  ) {
    out.push(`${indent}${prefix}${compact}${suffix}`);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    out.push(`${indent}${prefix}[`);
    value.forEach((item, i) => render(item, inner, '', i < value.length - 1 ? ',' : '', out));
    out.push(`${indent}]${suffix}`);
    return;
  }
  const entries = Object.entries(value);
  out.push(`${indent}${prefix}{`);
  entries.forEach(([key, item], i) =>
    render(item, inner, `${JSON.stringify(key)}: `, i < entries.length - 1 ? ',' : '', out),
  );
  out.push(`${indent}}${suffix}`);
}

/** Writes a JSON value one record per line, long strings split (valid JSON, lines ≤ LINE_LIMIT). */
export function serializePayload(value: unknown): SerializedPayload {
  const lines: string[] = [];
  render(splitLongStrings(value), '', '', '', lines);
  const text = `${lines.join('\n')}\n`;
  const bytes = Buffer.byteLength(text, 'utf8');
  return {
    text,
    bytes,
    lines: lines.length,
    attachedWhole: bytes <= ATTACH_MAX_BYTES && lines.length <= ATTACH_MAX_LINES,
  };
}

/** Joins `<key>_parts` lists back into strings (the inverse of splitLongStrings, for tests and tools). */
export function joinParts(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => joinParts(item));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key.endsWith('_parts') && Array.isArray(item) && item.every((p) => typeof p === 'string'))
      out[key.slice(0, -'_parts'.length)] = item.join('');
    else out[key] = joinParts(item);
  }
  return out;
}

function memoryView(record: MemoryRecord): Record<string, unknown> {
  const status = record.status;
  return {
    summary: record.summary,
    content: record.content,
    confidence: record.confidence,
    ...(record.source_paths.length > 0 ? { source_paths: record.source_paths } : {}),
    ...(typeof status === 'string' && status !== 'active' ? { status } : {}),
  };
}

function recallView(record: RecallRecord): Record<string, unknown> {
  return {
    id: record.id,
    summary: record.summary,
    content: record.content,
    ...(record.source_paths.length > 0 ? { source_paths: record.source_paths } : {}),
  };
}

function skillText(managedDir: string, entry: SkillManifestEntry): string | undefined {
  try {
    const text = readFileSync(join(managedDir, `${entry.skill_id}.md`), 'utf8')
      .replace(/^# [^\n]*\n+/, '')
      .trim();
    return text.length > SKILL_TEXT_LIMIT ? `${text.slice(0, SKILL_TEXT_LIMIT)}…` : text;
  } catch {
    return undefined;
  }
}

function skillView(managedDir: string, entry: SkillManifestEntry): Record<string, unknown> {
  const owned = isOwnedEntry(entry);
  const content = owned && entry.status === 'active' ? skillText(managedDir, entry) : undefined;
  return {
    skill_id: entry.skill_id,
    title: entry.title,
    ...(entry.description ? { description: entry.description } : {}),
    status: entry.status,
    may_change: owned,
    ...(content ? { content } : {}),
  };
}

/** The newest recall records that fit the budget, in index order, and how many were left out. */
function recallSample(records: readonly RecallRecord[]): {
  records: Record<string, unknown>[];
  omitted: number;
} {
  const picked: Record<string, unknown>[] = [];
  let size = 0;
  for (let i = records.length - 1; i >= 0; i--) {
    const view = recallView(records[i]!);
    const cost = JSON.stringify(view).length + 2;
    if (size + cost > RECALL_BUDGET_BYTES) break;
    size += cost;
    picked.push(view);
  }
  return { records: picked.reverse(), omitted: records.length - picked.length };
}

/** The answer contract sent along (COMPILE_CONTRACT, with our merge semantics spelled out). */
export function compileContract(maxDeleteShare: number): Record<string, unknown> {
  const memoryEntry = {
    summary: 'string, short title',
    content: 'string, required, the fact or rule itself',
    confidence: 'number 0..1, optional',
    source_paths: 'list of repository paths, optional',
    status: `optional, one of ${MEMORY_STATUSES.join(', ')}`,
    suggestion_ids: 'optional list of batch suggestion_id values the entry comes from',
  };
  return {
    schema_version: 1,
    goals: [
      'Merge the suggestions of `batch` into `existing_assets`: memory, recall and managed skills.',
      'Keep memory short and deduplicated: merge entries that say the same thing, keep the better wording.',
      'Apply remove/replace suggestions to the entries they name; drop suggestions that are low signal, wrong or already known.',
      'Only change skills whose `may_change` is true; never invent entries that no suggestion supports.',
    ],
    rules: {
      memory:
        'memory_records.user / memory_records.global are the COMPLETE new list of that scope. Leave a scope out (or memory_records out) to keep it unchanged.',
      deletions: `An existing memory entry missing from a scope you list is deleted. Give a reason for each deletion in discarded_items ({scope, summary, reason}). An answer that deletes more than ${Math.round(maxDeleteShare * 100)}% of a scope's entries without reasons is rejected.`,
      recall:
        'recall_records lists only NEW records, or updates of an existing record named by its id. Never repeat unchanged records; recall cannot be deleted.',
      skills:
        'compiled_skills lists only the skills created, patched, edited or retired by this batch. skill_id: lower-case letters, digits and dashes.',
      discarded:
        'discarded_items lists suggestions you did not apply ({suggestion_id, index, reason}) and the reasons for deleted memory entries ({scope, summary, reason}).',
      parts:
        'In the payload, a key ending in _parts is a long string split into pieces: join them. Always answer with plain strings.',
    },
    response_schema: {
      memory_records: { user: [memoryEntry], global: [memoryEntry] },
      recall_records: [
        {
          id: 'string, only to update an existing record',
          summary: 'string, required',
          content: 'string, required',
          source_paths: 'list, optional',
          suggestion_id: 'batch suggestion_id, optional',
        },
      ],
      compiled_skills: [
        {
          skill_id: 'string',
          action: 'create | patch | edit | retire',
          title: 'string',
          description: 'string, says when to use the skill (not needed for retire)',
          content: 'string, the full skill text (not needed for retire)',
        },
      ],
      discarded_items: [
        {
          suggestion_id: 'string',
          index: 'number',
          scope: 'user | global',
          summary: 'string',
          reason: 'string, required',
        },
      ],
    },
  };
}

/** Builds the (redacted) payload of a batch. */
export function buildPayload(input: BackendInput, maxDeleteShare: number): Record<string, unknown> {
  const first = input.envelopes[0];
  const recall = recallSample(input.context.recall);
  const payload = {
    schema_version: 1,
    repo: {
      cwd: first?.cwd ?? input.paths.cwd,
      repo_fingerprint: first?.repo_fingerprint ?? input.paths.repoFingerprint,
    },
    contract: compileContract(maxDeleteShare),
    batch: input.envelopes.map((envelope) => ({
      suggestion_id: envelope.suggestion_id,
      thread_id: envelope.thread_id,
      turn_id: envelope.turn_id,
      cwd: envelope.cwd,
      reviewer_timestamp: envelope.reviewer_timestamp,
      suggestions: envelope.suggestions.map((s, index) => ({
        index,
        family: s.family,
        summary: s.summary,
        confidence: s.confidence,
        details: s.details,
      })),
    })),
    existing_assets: {
      memory: {
        caps: {
          user: { max_entries: input.caps.user.maxEntries, max_chars: input.caps.user.maxChars },
          global: { max_entries: input.caps.global.maxEntries, max_chars: input.caps.global.maxChars },
        },
        user: input.context.memory.user.map(memoryView),
        global: input.context.memory.global.map(memoryView),
      },
      skills: input.context.manifest.map((entry) => skillView(input.paths.skillsManagedDir, entry)),
      recall: { total: input.context.recall.length, omitted: recall.omitted, records: recall.records },
    },
  };
  return redactDeep(payload);
}
