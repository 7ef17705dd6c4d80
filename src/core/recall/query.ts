/**
 * Answers one recall query from a bucket's files: the compile-time `recall/search-index.json` and
 * the records in `recall/index.json`. Shared by `recall`, `recall-trigger`, `csep recall` and the
 * prompt-time hook, so it loads no zod (hot path): records are checked by hand with the rules of
 * `RecallRecordSchema` (src/core/schemas.ts).
 *
 * Read-only by design, even when the stored index turns out stale: the compiler is the only writer
 * of recall assets (it holds the compile lock; a reader writing the index could race a compile
 * and leave an index of the previous records behind), and a stale index costs speed, never
 * correctness, because staleness is detected per query. Callers log the reported mode so a stale
 * index is visible; the next compile rewrites it.
 *
 * How a query is answered, cheapest first:
 * - `indexed`: the stored index holds byte spans into exactly this index.json, so only the returned
 *   records are read and parsed (a few ms at 10,000 records).
 * - `full_parse`: index.json is parsed in full, and the stored index still matches its records
 *   (an index without spans, or a returned record that did not match its span).
 * - `rebuilt`: the stored index is missing, damaged or stale; one is built in memory (≈2 s at
 *   10,000 records, so the hook only allows it for small buckets, see `maxRebuildRecords`).
 * - `stale_index`: like `rebuilt`, but the caller did not allow the rebuild: no results.
 * - `no_index`: the bucket has no index.json: no results.
 * Invalid records are skipped (and counted in `problems`); only an index.json that cannot be read
 * or is not JSON of the right shape throws {@link RecallIndexError}.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { AppError, describeError } from '../errors.js';
import {
  checkRecallRecord,
  isRecallSearchIndexFresh,
  readRecallSearchIndexFile,
  type RecallRecord,
  type RecallSearchIndex,
} from './index-build.js';
import {
  searchRecall,
  searchRecallSource,
  type PromptSearchOptions,
  type RecallResult,
  type RecallSource,
} from './search.js';

/** index.json exists but cannot be used at all (unreadable, not JSON, `records` not a list). */
export class RecallIndexError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, {
      ...options,
      hint: 'the next `codex-self-evolution compile` keeps the damaged file aside and rebuilds recall from recall/compiled.md',
    });
  }
}

/** The two files a query reads (a subset of `StatePaths`). */
export interface RecallFiles {
  recallIndex: string;
  recallSearchIndex: string;
}

/** Options of {@link queryRecall}. */
export interface RecallQueryOptions {
  query: string;
  /** Directory the query is asked from (cwd-subtree boost). */
  cwd?: string;
  /** sha1 of the query's repository identity (same-repo boost). */
  repoFingerprint?: string;
  /** Most results (default 5; values below 1 become 1). */
  topK?: number;
  /**
   * Largest number of records for which an index is built in memory when the stored one cannot
   * answer (default: no limit). Above it the query answers `stale_index` with no results.
   */
  maxRebuildRecords?: number;
  /** Prompt-time recall's stricter rules (see `PromptSearchOptions` in search.ts). */
  prompt?: PromptSearchOptions;
}

/** How a query was answered (see the module comment). */
export type RecallQueryMode = 'indexed' | 'full_parse' | 'rebuilt' | 'stale_index' | 'no_index';

/** Results and how they were obtained. */
export interface RecallQueryOutcome {
  results: RecallResult[];
  mode: RecallQueryMode;
  /** Records of index.json skipped because they are invalid (only known after a full parse). */
  skipped: number;
  /** Why the fast path was not taken, skipped records and the like: for a warning log line. */
  problems: string[];
}

/** Thrown by the source's `readAll` to take over the full-parse path from `searchRecallSource`. */
class FullParseNeeded extends Error {}

export { checkRecallRecord };

/** True when a result read through a span has every field a record must have. */
function isCompleteResult(r: RecallResult): boolean {
  return (
    r.id.trim() !== '' &&
    r.summary.trim() !== '' &&
    r.content.trim() !== '' &&
    typeof r.repo_fingerprint === 'string' &&
    typeof r.cwd === 'string' &&
    typeof r.thread_id === 'string' &&
    typeof r.turn_id === 'string' &&
    r.source_paths.every((p) => typeof p === 'string')
  );
}

/** The result with blank source paths dropped (as the record check does). */
function tidy(r: RecallResult): RecallResult {
  return { ...r, source_paths: r.source_paths.filter((p) => p.trim() !== '') };
}

/** Reads the stored index; `undefined` (with the reason in `problems`) when it cannot be used. */
function readSearchIndex(file: string, problems: string[]): RecallSearchIndex | undefined {
  let index: RecallSearchIndex | undefined;
  try {
    index = readRecallSearchIndexFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push(
      code === 'ENOENT'
        ? 'recall/search-index.json is missing'
        : `recall/search-index.json unreadable (${describeError(error)})`,
    );
    return undefined;
  }
  if (index === undefined) problems.push('recall/search-index.json is damaged or of another version');
  return index;
}

/**
 * Searches the bucket's recall for `options.query` (see the module comment for the modes).
 * Throws {@link RecallIndexError} only when index.json exists and cannot be used at all.
 */
export function queryRecall(files: RecallFiles, options: RecallQueryOptions): RecallQueryOutcome {
  const problems: string[] = [];
  let fd: number;
  try {
    fd = openSync(files.recallIndex, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { results: [], mode: 'no_index', skipped: 0, problems };
    throw new RecallIndexError(`cannot read ${files.recallIndex}: ${describeError(error)}`, { cause: error });
  }
  try {
    const size = fstatSync(fd).size;
    const index = readSearchIndex(files.recallSearchIndex, problems);
    const search = {
      query: options.query,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.repoFingerprint !== undefined ? { repoFingerprint: options.repoFingerprint } : {}),
      ...(options.topK !== undefined ? { topK: options.topK } : {}),
      ...(options.prompt !== undefined ? { prompt: options.prompt } : {}),
    };

    if (index !== undefined) {
      const source: RecallSource = {
        size,
        read(start, end) {
          const buf = Buffer.allocUnsafe(end - start);
          let done = 0;
          while (done < buf.length) {
            const n = readSync(fd, buf, done, buf.length - done, start + done);
            if (n === 0) break;
            done += n;
          }
          return buf.subarray(0, done);
        },
        readAll() {
          throw new FullParseNeeded();
        },
      };
      try {
        const found = searchRecallSource(index, source, search);
        if (found.results.every(isCompleteResult))
          return { results: found.results.map(tidy), mode: 'indexed', skipped: 0, problems };
        problems.push('a returned record is incomplete');
      } catch (error) {
        if (!(error instanceof FullParseNeeded)) throw error;
        // An empty index has no spans to hold; that is not a sign of an older compiler.
        if (index.count > 0) {
          problems.push(
            index.spans === ''
              ? 'recall/search-index.json has no record spans (written by an older compiler)'
              : 'recall/search-index.json does not match index.json',
          );
        }
      }
    }

    // Full parse, with every record checked.
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(fd, 'utf8'));
    } catch (error) {
      throw new RecallIndexError(`${files.recallIndex} is not valid JSON (${describeError(error)})`, {
        cause: error,
      });
    }
    const raw =
      parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as { records?: unknown }).records
        : undefined;
    if (!Array.isArray(raw)) throw new RecallIndexError(`${files.recallIndex}: records must be a list`);
    const records: RecallRecord[] = [];
    const reasons: string[] = [];
    raw.forEach((value, i) => {
      const checked = checkRecallRecord(value);
      if (checked.ok) records.push(checked.record);
      else reasons.push(`records[${i}].${checked.reason}`);
    });
    if (reasons.length > 0) {
      problems.push(
        `skipped ${reasons.length} invalid record(s) in recall/index.json: ${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? ' …' : ''}`,
      );
    }
    if (isRecallSearchIndexFresh(index, records)) {
      return {
        results: searchRecall(index, records, search).map(tidy),
        mode: 'full_parse',
        skipped: reasons.length,
        problems,
      };
    }
    if (records.length > (options.maxRebuildRecords ?? Infinity)) {
      problems.push(`no usable search index for ${records.length} records; not rebuilt here`);
      return { results: [], mode: 'stale_index', skipped: reasons.length, problems };
    }
    if (index !== undefined) problems.push('recall/search-index.json is stale');
    return {
      results: searchRecall(undefined, records, search).map(tidy),
      mode: 'rebuilt',
      skipped: reasons.length,
      problems,
    };
  } finally {
    closeSync(fd);
  }
}
