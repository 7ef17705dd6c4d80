/**
 * The lifecycle statuses of a memory entry, defined once. Zod-free: the hooks read statuses.
 *
 * An entry without `status` is active. Every other status keeps the entry in `memory.json` (its
 * history says what was believed and until when) but out of the injected context, out of
 * USER.md / MEMORY.md and first in line for eviction. An unknown status (written by a newer
 * version, or by hand) is treated as active, so nothing silently disappears.
 */

/** Every status the tool writes; the opencode backend's contract offers the same list. */
export const MEMORY_STATUSES = ['active', 'superseded', 'archived', 'stale', 'retired', 'forgotten'] as const;
/** One of {@link MEMORY_STATUSES}. */
export type MemoryStatus = (typeof MEMORY_STATUSES)[number];

/** Statuses that keep an entry out of the injected context. */
export const INACTIVE_MEMORY_STATUSES: ReadonlySet<string> = new Set(
  MEMORY_STATUSES.filter((s) => s !== 'active'),
);

/** The fields of an entry its status is read from (a stored record, or anything shaped like one). */
export interface StatusFields {
  status?: unknown;
  superseded_by?: unknown;
}

/**
 * The status of an entry as stored: its `status`, or `superseded` when only a `superseded_by`
 * pointer says so (an inactive status wins over the pointer). Undefined means active.
 */
export function memoryStatusOf(record: StatusFields): string | undefined {
  const status = typeof record.status === 'string' && record.status !== '' ? record.status : undefined;
  if (status !== undefined && INACTIVE_MEMORY_STATUSES.has(status)) return status;
  if (typeof record.superseded_by === 'string' && record.superseded_by !== '') return 'superseded';
  return status;
}

/** True when a status keeps an entry out of the injected context (undefined = active). */
export function isInactiveStatus(status: string | undefined): boolean {
  return status !== undefined && INACTIVE_MEMORY_STATUSES.has(status);
}

/** True when a stored entry is kept out of the injected context. */
export function isInactiveMemory(record: StatusFields): boolean {
  return isInactiveStatus(memoryStatusOf(record));
}
