/**
 * The recall search index, built once at compile time (`recall/search-index.json`) so a query never
 * re-tokenizes the corpus, and laid out so loading it costs little more than one `JSON.parse` of a
 * few long strings (a JSON object with one key per term costs several times more to parse).
 *
 * Format (version 1). All strings are ASCII when written by {@link serializeRecallSearchIndex}.
 * ```
 * {
 *   "version": 1, "tokenizer": 1,           // RECALL_INDEX_VERSION, TOKENIZER_VERSION
 *   "params": "bm25f;summary=3/0.3;…",      // ranking parameters baked into the weights
 *   "count": 2,                             // records, in index.json order
 *   "ids": "a1b2…\nc3d4…",                  // record ids, same order, newline-joined
 *   "id_width": 1, "id_offsets": "0d",      // base-36 start of each id in `ids`, fixed width
 *   "avg_field_lengths": {"summary": 4.5, "content": 31, "paths": 3},
 *   "repos": ["<sha1>", …], "cwds": ["/home/me/app", …],   // distinct values
 *   "doc_width": 1,                          // base-36 digits per record in doc_repo / doc_cwd
 *   "doc_repo": "01", "doc_cwd": "00",       // per record: position in repos / cwds
 *   "lexicon": "alembic\t0,2\nbuild\t1f,9\n…", // sorted terms: offset in postings, document frequency
 *   "directory": "000000000a1b…",            // 6-digit base-36 lexicon position of every 32nd entry
 *   "postings": "#W$&…;%5…;",               // posting lists, each ended by ";"
 *   "source_bytes": 81234,                   // byte length of the index.json the spans point into
 *   "spans": "0000001000ab…"                 // per record 7+5 base-36 digits: byte start and length
 * }
 * ```
 * Lexicon terms escape non-ASCII UTF-16 units as `~` + 4 hex digits (the tokenizer never emits `~`).
 * Ids and posting lists are single strings rather than arrays: parsing one long string is far
 * cheaper than allocating ten thousand small ones in a process that answers one query. (A newline
 * inside an id is stored as a space, and ids are compared in that form.)
 * A posting list is a sequence of pairs `docDelta weight` with no separators: `docDelta` is the
 * record position minus the previous entry's (the first is the position itself) and `weight` is the
 * BM25F pseudo term frequency times 10, rounded, at least 1. The pseudo frequency already folds in
 * field weights and length normalization (`Σ_f w_f·tf_f / (1 − b_f + b_f·len_f/avg_f)`), so a query
 * needs no per-record lengths; the lexicon holds each term's document frequency. Each number is
 * written in base 45, most significant digit first, over 90 printable ASCII characters (`#`…`~`
 * without `;` and `\`): the last digit of a number comes from the first 45 ("terminal"), the others
 * from the last 45 ("continuation"), so a number ends at its terminal digit and numbers below 45
 * take one character.
 *
 * `spans` (optional; empty when the index was built without the file) let a query parse only the
 * records it returns instead of the whole of index.json.
 */

import { isAscii } from 'node:buffer';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { TOKENIZER_VERSION, answerTypesOf, tokenize } from './tokenize.js';

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

const RECORD_STRINGS = ['repo_fingerprint', 'cwd', 'thread_id', 'turn_id', 'source_updated_at'] as const;

/**
 * Checks one record with the rules of `RecallRecordSchema`: `id`, `summary` and `content`
 * non-empty strings; `source_paths` a list of strings (blank ones dropped, default `[]`); the other
 * known fields strings (default `''`). Unknown keys are kept. Returns the normalized record or the
 * reason it is invalid.
 */
export function checkRecallRecord(
  value: unknown,
): { ok: true; record: RecallRecord } | { ok: false; reason: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, reason: 'not an object' };
  const v = value as Record<string, unknown>;
  for (const key of ['id', 'summary', 'content'] as const) {
    if (typeof v[key] !== 'string' || (v[key] as string).trim() === '')
      return { ok: false, reason: `${key}: must be a non-empty string` };
  }
  const out: Record<string, unknown> & Partial<RecallRecord> = { ...v };
  if (v.source_paths === undefined) out.source_paths = [];
  else if (!Array.isArray(v.source_paths) || !v.source_paths.every((p) => typeof p === 'string')) {
    return { ok: false, reason: 'source_paths: must be a list of strings' };
  } else out.source_paths = (v.source_paths as string[]).filter((p) => p.trim() !== '');
  for (const key of RECORD_STRINGS) {
    if (v[key] === undefined) out[key] = '';
    else if (typeof v[key] !== 'string') return { ok: false, reason: `${key}: must be a string` };
  }
  return { ok: true, record: out as RecallRecord };
}

/**
 * True when `value` has what search needs of a record (`id`, `summary` and `content` strings); the
 * other fields are read as they are (the full check is {@link checkRecallRecord}).
 */
export function hasRecordFields(value: unknown): value is RecallRecord {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && typeof v.summary === 'string' && typeof v.content === 'string';
}

/** The records of a parsed `recall/index.json` (`{records: [...]}`) that search can use. */
export function recordsIn(parsed: unknown): RecallRecord[] {
  if (parsed === null || typeof parsed !== 'object' || !('records' in parsed)) return [];
  const list: unknown = parsed.records;
  return Array.isArray(list) ? (list as unknown[]).filter(hasRecordFields) : [];
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

/** The 90 posting digits: `#` (0x23) to `~` (0x7e) without `;` and `\`. */
const DIGITS: string = (() => {
  let out = '';
  for (let c = 0x23; c <= 0x7e; c++) if (c !== 0x3b && c !== 0x5c) out += String.fromCharCode(c);
  return out;
})();
const BASE = 45;
/** char code → digit (0–44 terminal, 45–89 continuation), -1 for any other character. */
const DIGIT_OF: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < DIGITS.length; i++) table[DIGITS.charCodeAt(i)] = i;
  return table;
})();

function encodeNumber(value: number): string {
  let v = Math.floor(value);
  let out = DIGITS[v % BASE] as string;
  v = Math.floor(v / BASE);
  while (v > 0) {
    out = (DIGITS[BASE + (v % BASE)] as string) + out;
    v = Math.floor(v / BASE);
  }
  return out;
}

/**
 * Encodes `[position, weight, position, weight, …]` (ascending positions, weights ≥ 1) as one
 * posting list without its `;` terminator.
 */
export function encodePostingList(flat: readonly number[]): string {
  let out = '';
  let prev = 0;
  for (let j = 0; j + 1 < flat.length; j += 2) {
    const doc = flat[j] as number;
    out += encodeNumber(doc - prev) + encodeNumber(flat[j + 1] as number);
    prev = doc;
  }
  return out;
}

/** Lexicon entries per directory block. */
const BLOCK = 32;
/** Digits of a directory position. */
const DIR_WIDTH = 6;
/** Digits of a span's start and length. */
const SPAN_START = 7;
const SPAN_LENGTH = 5;

/** The JSON-serializable search index written to `recall/search-index.json` (see the module comment). */
export interface RecallSearchIndex {
  version: number;
  tokenizer: number;
  params: string;
  count: number;
  ids: string;
  id_width: number;
  id_offsets: string;
  avg_field_lengths: { summary: number; content: number; paths: number };
  repos: string[];
  cwds: string[];
  doc_width: number;
  doc_repo: string;
  doc_cwd: string;
  lexicon: string;
  directory: string;
  postings: string;
  source_bytes: number | null;
  spans: string;
}

/** Options of {@link buildRecallIndex}. */
export interface BuildRecallIndexOptions {
  /**
   * The exact bytes of the `index.json` holding `records`. When given (and its records are the
   * same, in the same order), the index records where each record lies in it.
   */
  source?: Uint8Array;
}

type FieldName = keyof typeof FIELD_PARAMS;
const FIELDS = Object.keys(FIELD_PARAMS) as FieldName[];

function fieldText(record: RecallRecord, field: FieldName): string {
  if (field === 'paths') return Array.isArray(record.source_paths) ? record.source_paths.join(' ') : '';
  const value = record[field];
  return typeof value === 'string' ? value : '';
}

/** The lexicon form of a term: ASCII, non-ASCII UTF-16 units written as `~` + 4 hex digits. */
export function encodeTerm(term: string): string {
  let out = '';
  for (let i = 0; i < term.length; i++) {
    const code = term.charCodeAt(i);
    out += code < 0x80 ? term[i] : `~${code.toString(16).padStart(4, '0')}`;
  }
  return out;
}

function fixed(value: number, width: number): string {
  return value.toString(36).padStart(width, '0');
}

/**
 * Builds the search index of `records` (in their order). Pure and deterministic: the same records
 * (and source) always give the same index.
 */
export function buildRecallIndex(
  records: readonly RecallRecord[],
  options: BuildRecallIndexOptions = {},
): RecallSearchIndex {
  const n = records.length;
  // Two passes over the records, tokenizing each twice: keeping every record's term counts
  // between the passes (three Maps and their term strings per record) took ~700 MB at 50,000
  // records, and this runs once per bucket on the Python original's state (migration).
  const countTerms = (
    record: RecallRecord,
    field: FieldName,
  ): { map: Map<string, number>; length: number } => {
    const terms = tokenize(fieldText(record, field));
    const map = new Map<string, number>();
    for (const term of terms) map.set(term, (map.get(term) ?? 0) + 1);
    return { map, length: terms.length };
  };
  const lengths = new Float64Array(n * FIELDS.length);
  const totals: Record<FieldName, number> = { summary: 0, content: 0, paths: 0 };
  records.forEach((record, doc) => {
    FIELDS.forEach((field, f) => {
      const length = tokenize(fieldText(record, field)).length;
      lengths[doc * FIELDS.length + f] = length;
      totals[field] += length;
    });
  });
  const avg: Record<FieldName, number> = {
    summary: n ? totals.summary / n : 0,
    content: n ? totals.content / n : 0,
    paths: n ? totals.paths / n : 0,
  };

  // term → [position, weight, position, weight, …] in record order.
  const lists = new Map<string, number[]>();
  for (let doc = 0; doc < n; doc++) {
    const pseudo = new Map<string, number>();
    FIELDS.forEach((field, f) => {
      const { weight, b } = FIELD_PARAMS[field];
      const len = lengths[doc * FIELDS.length + f]!;
      const norm = avg[field] > 0 ? 1 - b + (b * len) / avg[field] : 1;
      for (const [term, tf] of countTerms(records[doc]!, field).map)
        pseudo.set(term, (pseudo.get(term) ?? 0) + (weight * tf) / norm);
    });
    // The kinds of value the note states (a number, a duration, a port), as marker terms.
    const record = records[doc] as RecallRecord;
    const text = `${fieldText(record, 'summary')}\n${fieldText(record, 'content')}`;
    for (const marker of answerTypesOf(text)) pseudo.set(marker, 1);
    for (const [term, tf] of pseudo) {
      let list = lists.get(term);
      if (list === undefined) {
        list = [];
        lists.set(term, list);
      }
      list.push(doc, Math.max(1, Math.round(tf * WEIGHT_SCALE)));
    }
  }

  const entries = [...lists].map(([term, list]) => [encodeTerm(term), list] as const);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const lexicon: string[] = [];
  const directory: string[] = [];
  const postings: string[] = [];
  let lexPos = 0;
  let postPos = 0;
  entries.forEach(([term, list], i) => {
    const posting = `${encodePostingList(list)};`;
    const line = `${term}\t${postPos.toString(36)},${(list.length / 2).toString(36)}`;
    if (i % BLOCK === 0) directory.push(fixed(lexPos, DIR_WIDTH));
    lexicon.push(line);
    postings.push(posting);
    lexPos += line.length + 1;
    postPos += posting.length;
  });

  const repos = new Map<string, number>();
  const cwds = new Map<string, number>();
  const docRepo: number[] = [];
  const docCwd: number[] = [];
  for (const record of records) {
    const fp = typeof record.repo_fingerprint === 'string' ? record.repo_fingerprint : '';
    const cwd = typeof record.cwd === 'string' ? record.cwd : '';
    if (!repos.has(fp)) repos.set(fp, repos.size);
    if (!cwds.has(cwd)) cwds.set(cwd, cwds.size);
    docRepo.push(repos.get(fp) as number);
    docCwd.push(cwds.get(cwd) as number);
  }
  const width = Math.max(1, Math.max(repos.size, cwds.size, 1).toString(36).length);

  const spans = options.source === undefined ? undefined : locateRecordSpans(options.source);
  const spansMatch =
    spans !== undefined && options.source !== undefined && spansHoldRecords(options.source, spans, records);

  return {
    version: RECALL_INDEX_VERSION,
    tokenizer: TOKENIZER_VERSION,
    params: INDEX_PARAMS_KEY,
    count: n,
    ...packIds(records.map((r) => storedId(r.id))),
    avg_field_lengths: {
      summary: round3(avg.summary),
      content: round3(avg.content),
      paths: round3(avg.paths),
    },
    repos: [...repos.keys()],
    cwds: [...cwds.keys()],
    doc_width: width,
    doc_repo: docRepo.map((x) => fixed(x, width)).join(''),
    doc_cwd: docCwd.map((x) => fixed(x, width)).join(''),
    lexicon: lexicon.join('\n'),
    directory: directory.join(''),
    postings: postings.join(''),
    source_bytes: spansMatch && options.source ? options.source.byteLength : null,
    spans:
      spansMatch && spans
        ? spans.map(([s, e]) => fixed(s, SPAN_START) + fixed(e - s, SPAN_LENGTH)).join('')
        : '',
  };
}

/** True when every span parses to the record of the same position (same id), within the digit limits. */
function spansHoldRecords(
  source: Uint8Array,
  spans: Array<[number, number]>,
  records: readonly RecallRecord[],
): boolean {
  if (spans.length !== records.length) return false;
  const buf = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  return spans.every(([s, e], i) => {
    if (e - s >= 36 ** SPAN_LENGTH || s >= 36 ** SPAN_START) return false;
    try {
      const value: unknown = JSON.parse(buf.toString('utf8', s, e));
      return typeof value === 'object' && value !== null && 'id' in value && value.id === records[i]?.id;
    } catch {
      return false;
    }
  });
}

/** The form of an id inside `ids` (newline-joined, so a newline cannot be kept). */
function storedId(id: unknown): string {
  return typeof id === 'string' ? id.replace(/\n/g, ' ') : '';
}

function packIds(ids: readonly string[]): { ids: string; id_width: number; id_offsets: string } {
  const joined = ids.join('\n');
  const width = Math.max(1, joined.length.toString(36).length);
  const offsets: string[] = [];
  let pos = 0;
  for (const id of ids) {
    offsets.push(fixed(pos, width));
    pos += id.length + 1;
  }
  return { ids: joined, id_width: width, id_offsets: offsets.join('') };
}

/** The id of record `doc` as stored in the index. */
export function idAt(index: RecallSearchIndex, doc: number): string {
  const w = index.id_width;
  const start = parseInt(index.id_offsets.slice(doc * w, (doc + 1) * w), 36);
  const end =
    doc + 1 < index.count
      ? parseInt(index.id_offsets.slice((doc + 1) * w, (doc + 2) * w), 36) - 1
      : index.ids.length;
  return index.ids.slice(start, end);
}

/** True when `id` is the id stored for record `doc`. */
export function hasIdAt(index: RecallSearchIndex, doc: number, id: unknown): boolean {
  return idAt(index, doc) === storedId(id);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Builds the index straight from the bytes of an `index.json` (`{"records":[…]}`), recording where
 * each record lies so a query can parse just the records it returns. Throws on invalid JSON and on
 * a record search cannot use: no index is saved for a damaged file (queries check it record by
 * record, and the next compile writes it anew).
 */
export function buildRecallIndexFromSource(source: Uint8Array): {
  index: RecallSearchIndex;
  records: RecallRecord[];
} {
  const parsed: unknown = JSON.parse(new TextDecoder().decode(source));
  const list: unknown =
    parsed !== null && typeof parsed === 'object' && 'records' in parsed ? parsed.records : [];
  const values: unknown[] = Array.isArray(list) ? list : [];
  const records = values.filter(hasRecordFields);
  if (records.length !== values.length)
    throw new Error(`${values.length - records.length} record(s) lack an id, summary or content`);
  return { index: buildRecallIndex(records, { source }), records };
}

/** Compact JSON of the index with every non-ASCII character escaped, so the file is pure ASCII. */
export function serializeRecallSearchIndex(index: RecallSearchIndex): string {
  return JSON.stringify(index).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Reads a search index from the bytes (or text) of `search-index.json`. Returns `undefined`, never
 * throws, when the data is not JSON or is not an index of this version, tokenizer and parameters;
 * the caller then builds one in memory.
 */
export function loadRecallSearchIndex(data: Uint8Array | string): RecallSearchIndex | undefined {
  try {
    // The serializer writes ASCII; latin1 decoding of ASCII is exact and much faster than UTF-8.
    const text =
      typeof data === 'string'
        ? data
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString(
            isAsciiBytes(data) ? 'latin1' : 'utf8',
          );
    return parseRecallSearchIndex(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The last index read by {@link readRecallSearchIndexFile}, with the identity of the file it came from. */
let lastRead:
  | { file: string; dev: number; ino: number; size: number; mtimeMs: number; index: RecallSearchIndex }
  | undefined;

/**
 * Reads and loads the search index in `file` (see {@link loadRecallSearchIndex}); throws only when
 * the file cannot be read (ENOENT included). The `recall` command checks the index before it queries
 * it: the second read of the same, unchanged file in one process returns the index already parsed
 * (a 10,000-note index costs about 10 ms to read and parse). A file replaced in between (a compile
 * renames a new one into place) has another inode or size or mtime, and is read again.
 */
export function readRecallSearchIndexFile(file: string): RecallSearchIndex | undefined {
  const fd = openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    const last = lastRead;
    if (
      last !== undefined &&
      last.file === file &&
      last.dev === st.dev &&
      last.ino === st.ino &&
      last.size === st.size &&
      last.mtimeMs === st.mtimeMs
    )
      return last.index;
    const index = loadRecallSearchIndex(readFileSync(fd));
    lastRead =
      index === undefined
        ? undefined
        : { file, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, index };
    return index;
  } finally {
    closeSync(fd);
  }
}

function isAsciiBytes(data: Uint8Array): boolean {
  return isAscii(data);
}

/**
 * Returns `value` as a search index when it has the expected shape and this build's version,
 * tokenizer and parameters, else `undefined`. Posting strings are not inspected; a damaged one
 * decodes to nothing.
 */
export function parseRecallSearchIndex(value: unknown): RecallSearchIndex | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Partial<RecallSearchIndex>;
  if (
    v.version !== RECALL_INDEX_VERSION ||
    v.tokenizer !== TOKENIZER_VERSION ||
    v.params !== INDEX_PARAMS_KEY
  ) {
    return undefined;
  }
  const count = v.count;
  const width = v.doc_width;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) return undefined;
  if (!Array.isArray(v.repos) || !Array.isArray(v.cwds)) return undefined;
  if (typeof width !== 'number' || !Number.isInteger(width) || width < 1) return undefined;
  if (typeof v.id_width !== 'number' || !Number.isInteger(v.id_width) || v.id_width < 1) return undefined;
  for (const key of [
    'ids',
    'id_offsets',
    'doc_repo',
    'doc_cwd',
    'lexicon',
    'directory',
    'postings',
    'spans',
  ] as const) {
    if (typeof v[key] !== 'string') return undefined;
  }
  if ((v.id_offsets as string).length !== count * v.id_width) return undefined;
  if ((v.doc_repo as string).length !== count * width || (v.doc_cwd as string).length !== count * width)
    return undefined;
  const spans = v.spans as string;
  if (
    spans !== '' &&
    (spans.length !== count * (SPAN_START + SPAN_LENGTH) || typeof v.source_bytes !== 'number')
  ) {
    return undefined;
  }
  if (v.avg_field_lengths === null || typeof v.avg_field_lengths !== 'object') return undefined;
  return v as RecallSearchIndex;
}

/**
 * True when `index` was built by this version from exactly `records` (same count, same ids in the
 * same order). Ids are content hashes in the compiler, so an edited record has a new id. With
 * `source` (the bytes of index.json), also requires the index to hold record spans into exactly
 * those bytes, which the fast query path needs.
 */
export function isRecallSearchIndexFresh(
  index: RecallSearchIndex | null | undefined,
  records: readonly RecallRecord[],
  source?: Uint8Array,
): index is RecallSearchIndex {
  if (!index || parseRecallSearchIndex(index) === undefined) return false;
  if (index.count !== records.length) return false;
  if (source !== undefined && (index.spans === '' || index.source_bytes !== source.byteLength)) return false;
  for (let i = 0; i < records.length; i++) if (!hasIdAt(index, i, records[i]?.id)) return false;
  return true;
}

/** Where a term's posting list starts in `index.postings`, and its document frequency. */
export interface TermEntry {
  offset: number;
  df: number;
}

/** The lexicon entry of `term` (index form, unencoded), or `undefined` when the term is unknown. */
export function lookupTerm(index: RecallSearchIndex, term: string): TermEntry | undefined {
  const key = encodeTerm(term);
  const { lexicon, directory } = index;
  const blocks = directory.length / DIR_WIDTH;
  if (blocks === 0) return undefined;
  const termAt = (pos: number): string => lexicon.slice(pos, lexicon.indexOf('\t', pos));
  const blockPos = (b: number): number => parseInt(directory.slice(b * DIR_WIDTH, (b + 1) * DIR_WIDTH), 36);
  // Binary search for the last block whose first term is ≤ key.
  let lo = 0;
  let hi = blocks - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (termAt(blockPos(mid)) <= key) lo = mid;
    else hi = mid - 1;
  }
  let pos = blockPos(lo);
  for (let i = 0; i < BLOCK && pos < lexicon.length; i++) {
    const tab = lexicon.indexOf('\t', pos);
    if (tab < 0) return undefined;
    let end = lexicon.indexOf('\n', tab);
    if (end < 0) end = lexicon.length;
    const candidate = lexicon.slice(pos, tab);
    if (candidate === key) {
      const [offset, df] = lexicon
        .slice(tab + 1, end)
        .split(',')
        .map((x) => parseInt(x, 36));
      return offset !== undefined && df !== undefined && Number.isFinite(offset) && Number.isFinite(df)
        ? { offset, df }
        : undefined;
    }
    if (candidate > key) return undefined;
    pos = end + 1;
  }
  return undefined;
}

/** The raw posting list of `term`, or `undefined` when the term is unknown. */
export function lookupPostings(index: RecallSearchIndex, term: string): string | undefined {
  const entry = lookupTerm(index, term);
  if (entry === undefined) return undefined;
  const stop = index.postings.indexOf(';', entry.offset);
  return stop >= 0 ? index.postings.slice(entry.offset, stop) : undefined;
}

/** Position of record `doc` in `index.repos` / `index.cwds`. */
export function docRepoIndex(index: RecallSearchIndex, doc: number): number {
  return parseInt(index.doc_repo.slice(doc * index.doc_width, (doc + 1) * index.doc_width), 36);
}

/** Position of record `doc`'s cwd in `index.cwds`. */
export function docCwdIndex(index: RecallSearchIndex, doc: number): number {
  return parseInt(index.doc_cwd.slice(doc * index.doc_width, (doc + 1) * index.doc_width), 36);
}

/** Byte range `[start, end)` of record `doc` in the source index.json, if the index has spans. */
export function docSpan(index: RecallSearchIndex, doc: number): [number, number] | undefined {
  if (index.spans === '') return undefined;
  const at = doc * (SPAN_START + SPAN_LENGTH);
  const start = parseInt(index.spans.slice(at, at + SPAN_START), 36);
  const length = parseInt(index.spans.slice(at + SPAN_START, at + SPAN_START + SPAN_LENGTH), 36);
  return Number.isFinite(start) && Number.isFinite(length) ? [start, start + length] : undefined;
}

/** A decoded posting list: record positions (ascending) and their pseudo term frequencies. */
export interface Postings {
  docs: number[];
  tfs: number[];
}

/**
 * Decodes one posting list. See {@link decodePostingsInto}; this form allocates its arrays.
 */
export function decodePostings(encoded: string, count: number): Postings {
  const docs = new Int32Array(count);
  const tfs = new Float64Array(count);
  const n = decodePostingsInto(encoded, 0, count, docs, tfs);
  return { docs: Array.from(docs.subarray(0, n)), tfs: Array.from(tfs.subarray(0, n)) };
}

/**
 * Decodes the posting list starting at `start` in `text` (up to the next `;` or the end) into
 * `docs` / `tfs`, returning how many entries it wrote. Parses base-36 digits by hand into reused
 * typed arrays: this runs over lists with thousands of entries in a process that exits right after,
 * mostly before the JIT has warmed up. Stops at the first malformed pair or out-of-range position,
 * so a damaged file degrades and never throws.
 */
export function decodePostingsInto(
  text: string,
  start: number,
  count: number,
  docs: Int32Array,
  tfs: Float64Array,
): number {
  let n = 0;
  let doc = 0;
  let value = 0;
  let delta = -1; // the first number of the current pair, once read
  const limit = Math.min(docs.length, tfs.length);
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 59) break; // ';' ends the list
    const d = c < 128 ? (DIGIT_OF[c] as number) : -1;
    if (d < 0) break;
    if (d >= BASE) {
      value = value * BASE + (d - BASE);
      continue;
    }
    value = value * BASE + d;
    if (delta < 0) {
      delta = value;
    } else {
      if (value <= 0 || (n > 0 && delta === 0) || n >= limit) break;
      doc += delta;
      if (doc >= count) break;
      docs[n] = doc;
      tfs[n] = value / WEIGHT_SCALE;
      n++;
      delta = -1;
    }
    value = 0;
  }
  return n;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Finds the byte range of each element of the top-level `"records"` array in JSON bytes, without
 * building objects. Returns `undefined` when the bytes do not have that shape.
 */
export function locateRecordSpans(source: Uint8Array): Array<[number, number]> | undefined {
  const len = source.length;
  let i = 0;
  const ws = (): void => {
    while (i < len) {
      const c = source[i] as number;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const skipString = (): boolean => {
    i++; // opening quote
    while (i < len) {
      const c = source[i] as number;
      if (c === BACKSLASH) i += 2;
      else if (c === QUOTE) {
        i++;
        return true;
      } else i++;
    }
    return false;
  };
  const skipValue = (): boolean => {
    ws();
    const c = source[i];
    if (c === QUOTE) return skipString();
    if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      while (i < len) {
        const d = source[i] as number;
        if (d === QUOTE) {
          if (!skipString()) return false;
          continue;
        }
        if (d === 0x7b || d === 0x5b) depth++;
        else if (d === 0x7d || d === 0x5d) {
          depth--;
          if (depth === 0) {
            i++;
            return true;
          }
        }
        i++;
      }
      return false;
    }
    // number, true, false, null
    const start = i;
    while (i < len) {
      const d = source[i] as number;
      if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09)
        break;
      i++;
    }
    return i > start;
  };

  if (len >= 3 && source[0] === 0xef && source[1] === 0xbb && source[2] === 0xbf) i = 3; // BOM
  ws();
  if (source[i] !== 0x7b) return undefined;
  i++;
  let spans: Array<[number, number]> | undefined;
  for (;;) {
    ws();
    if (source[i] === 0x7d) break;
    if (source[i] !== QUOTE) return undefined;
    const keyStart = i + 1;
    if (!skipString()) return undefined;
    const key = Buffer.from(source.buffer, source.byteOffset + keyStart, i - 1 - keyStart).toString('utf8');
    ws();
    if (source[i] !== 0x3a) return undefined;
    i++;
    ws();
    if (key === 'records' && source[i] === 0x5b) {
      i++;
      spans = [];
      ws();
      if (source[i] === 0x5d) i++;
      else {
        for (;;) {
          ws();
          const start = i;
          if (!skipValue()) return undefined;
          spans.push([start, i]);
          ws();
          if (source[i] === 0x2c) {
            i++;
            continue;
          }
          if (source[i] === 0x5d) {
            i++;
            break;
          }
          return undefined;
        }
      }
    } else if (!skipValue()) return undefined;
    ws();
    if (source[i] === 0x2c) {
      i++;
      continue;
    }
    if (source[i] === 0x7d) break;
    return undefined;
  }
  return spans;
}
