/**
 * The recall search index, built once at compile time (`recall/search-index.json`) so a query never
 * re-tokenizes the corpus.
 *
 * Format (version 1), chosen so that loading it is dominated by one cheap `JSON.parse` of strings:
 * ```
 * {
 *   "version": 1,                 // RECALL_INDEX_VERSION
 *   "tokenizer": 1,               // TOKENIZER_VERSION
 *   "params": "bm25f;summary=3/0.3;content=1/0.75;paths=1.5/0.3",
 *   "count": 2,                   // number of records, in index.json order
 *   "ids": ["a1b2…", "c3d4…"],    // record ids, same order (staleness check)
 *   "avg_field_lengths": {"summary": 4.5, "content": 31, "paths": 3},
 *   "postings": {"term": "0,1e,3,a"}
 * }
 * ```
 * A posting list is a comma-separated base-36 list of pairs `docDelta,weight`: `docDelta` is the
 * record position minus the previous entry's position (the first is the position itself) and
 * `weight` is the BM25F pseudo term frequency of the term in that record, times 10, rounded (at
 * least 1). The pseudo frequency already folds in field weights and length normalization
 * (`Σ_f w_f·tf_f / (1 − b_f + b_f·len_f/avg_f)`), so the query side needs no per-record lengths;
 * the document frequency of a term is the number of pairs. Lists are decoded only for query terms.
 */

import { TOKENIZER_VERSION, tokenize } from './tokenize.js';

/** Bumped whenever the file layout or the meaning of a field changes. */
export const RECALL_INDEX_VERSION = 1;

/**
 * A recall record as stored in `recall/index.json` (Python-written files included). Newer optional
 * fields (`created_at`, `provenance`, `status`) may be present and are ignored by ranking.
 */
export interface RecallRecord {
  id: string;
  summary: string;
  content: string;
  source_paths?: readonly string[];
  repo_fingerprint: string;
  cwd: string;
  thread_id?: string;
  turn_id?: string;
  source_updated_at?: string;
}

/** Field weight and length-normalization strength of one BM25F field. */
export interface FieldParams {
  weight: number;
  b: number;
}

/** The ranking parameters baked into the stored weights. */
export const FIELD_PARAMS = {
  summary: { weight: 3, b: 0.3 },
  content: { weight: 1, b: 0.75 },
  paths: { weight: 1.5, b: 0.3 },
} as const satisfies Record<string, FieldParams>;

/** Scale of the stored integer weights (weight = round(pseudo-tf × WEIGHT_SCALE)). */
export const WEIGHT_SCALE = 10;

/** Identifies the baked parameters; an index built with other parameters is stale. */
export const INDEX_PARAMS_KEY = `bm25f;${Object.entries(FIELD_PARAMS)
  .map(([name, p]) => `${name}=${p.weight}/${p.b}`)
  .join(';')};scale=${WEIGHT_SCALE}`;

/** The JSON-serializable search index written to `recall/search-index.json`. */
export interface RecallSearchIndex {
  version: number;
  tokenizer: number;
  params: string;
  count: number;
  ids: string[];
  avg_field_lengths: { summary: number; content: number; paths: number };
  /** term → encoded posting list (see the module comment). */
  postings: Record<string, string>;
}

type FieldName = keyof typeof FIELD_PARAMS;
const FIELDS = Object.keys(FIELD_PARAMS) as FieldName[];

function fieldText(record: RecallRecord, field: FieldName): string {
  if (field === 'paths') return Array.isArray(record.source_paths) ? record.source_paths.join(' ') : '';
  const value = record[field];
  return typeof value === 'string' ? value : '';
}

/**
 * Builds the search index of `records` (in their order). Pure and deterministic: the same records
 * always give the same JSON.
 */
export function buildRecallIndex(records: readonly RecallRecord[]): RecallSearchIndex {
  const n = records.length;
  // Tokenize every field once; keep per-record term counts per field.
  const perRecord: Array<Record<FieldName, Map<string, number>>> = [];
  const lengths: Array<Record<FieldName, number>> = [];
  const totals: Record<FieldName, number> = { summary: 0, content: 0, paths: 0 };
  for (const record of records) {
    const counts = {} as Record<FieldName, Map<string, number>>;
    const lens = {} as Record<FieldName, number>;
    for (const field of FIELDS) {
      const terms = tokenize(fieldText(record, field));
      const map = new Map<string, number>();
      for (const term of terms) map.set(term, (map.get(term) ?? 0) + 1);
      counts[field] = map;
      lens[field] = terms.length;
      totals[field] += terms.length;
    }
    perRecord.push(counts);
    lengths.push(lens);
  }
  const avg: Record<FieldName, number> = {
    summary: n ? totals.summary / n : 0,
    content: n ? totals.content / n : 0,
    paths: n ? totals.paths / n : 0,
  };

  // term → [position, weight, position, weight, …] in record order.
  const lists = new Map<string, number[]>();
  for (let doc = 0; doc < n; doc++) {
    const counts = perRecord[doc] as Record<FieldName, Map<string, number>>;
    const lens = lengths[doc] as Record<FieldName, number>;
    const pseudo = new Map<string, number>();
    for (const field of FIELDS) {
      const { weight, b } = FIELD_PARAMS[field];
      const norm = avg[field] > 0 ? 1 - b + (b * lens[field]) / avg[field] : 1;
      for (const [term, tf] of counts[field]) pseudo.set(term, (pseudo.get(term) ?? 0) + (weight * tf) / norm);
    }
    for (const [term, tf] of pseudo) {
      let list = lists.get(term);
      if (list === undefined) {
        list = [];
        lists.set(term, list);
      }
      list.push(doc, Math.max(1, Math.round(tf * WEIGHT_SCALE)));
    }
  }

  const postings: Array<[string, string]> = [];
  for (const [term, list] of lists) {
    const parts: string[] = [];
    let prev = 0;
    for (let i = 0; i < list.length; i += 2) {
      const doc = list[i] as number;
      parts.push((doc - prev).toString(36), (list[i + 1] as number).toString(36));
      prev = doc;
    }
    postings.push([term, parts.join(',')]);
  }
  postings.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

  return {
    version: RECALL_INDEX_VERSION,
    tokenizer: TOKENIZER_VERSION,
    params: INDEX_PARAMS_KEY,
    count: n,
    ids: records.map((r) => r.id),
    avg_field_lengths: {
      summary: round3(avg.summary),
      content: round3(avg.content),
      paths: round3(avg.paths),
    },
    // fromEntries defines own properties, so a term such as "__proto__" is stored as data.
    postings: Object.fromEntries(postings),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Returns `value` as a search index when it has the expected shape and this build's version,
 * tokenizer and parameters, else `undefined` (the caller then builds one in memory). Posting
 * strings are not inspected here; a malformed one decodes to nothing.
 */
export function parseRecallSearchIndex(value: unknown): RecallSearchIndex | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Partial<RecallSearchIndex>;
  if (v.version !== RECALL_INDEX_VERSION || v.tokenizer !== TOKENIZER_VERSION || v.params !== INDEX_PARAMS_KEY) {
    return undefined;
  }
  if (typeof v.count !== 'number' || !Array.isArray(v.ids) || v.ids.length !== v.count) return undefined;
  if (v.postings === null || typeof v.postings !== 'object' || Array.isArray(v.postings)) return undefined;
  if (v.avg_field_lengths === null || typeof v.avg_field_lengths !== 'object') return undefined;
  return v as RecallSearchIndex;
}

/**
 * True when `index` was built by this version from exactly `records` (same count, same ids in the
 * same order). Ids are content hashes in the compiler, so an edited record has a new id.
 */
export function isRecallSearchIndexFresh(
  index: RecallSearchIndex | null | undefined,
  records: readonly RecallRecord[],
): index is RecallSearchIndex {
  if (!index || parseRecallSearchIndex(index) === undefined) return false;
  if (index.count !== records.length) return false;
  for (let i = 0; i < records.length; i++) if (index.ids[i] !== records[i]?.id) return false;
  return true;
}

/**
 * Decodes one posting list into parallel arrays of record positions and pseudo term frequencies.
 * Stops at the first malformed pair or out-of-range position (a damaged file degrades, never throws).
 */
export function decodePostings(encoded: string, count: number): { docs: number[]; tfs: number[] } {
  const docs: number[] = [];
  const tfs: number[] = [];
  if (!encoded) return { docs, tfs };
  const parts = encoded.split(',');
  let doc = 0;
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const delta = parseInt(parts[i] as string, 36);
    const weight = parseInt(parts[i + 1] as string, 36);
    if (!Number.isFinite(delta) || !Number.isFinite(weight) || delta < 0 || weight <= 0) break;
    doc += delta;
    if (doc >= count || (docs.length > 0 && delta === 0)) break;
    docs.push(doc);
    tfs.push(weight / WEIGHT_SCALE);
  }
  return { docs, tfs };
}
