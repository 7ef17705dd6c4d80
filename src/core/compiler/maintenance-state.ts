/**
 * `compiler/maintenance.json`: when the lessons of a bucket were last checked against git and for
 * forgetting. Written by the compile's maintenance pass, read by it and by the preflight.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { parseJsonWith } from '../fs/atomic.js';
import { readRegularText } from '../fs/safe.js';
import type { StatePaths } from '../paths.js';

/** The maintenance state; every field optional (a field that is not a string is dropped). */
export const MaintenanceStateSchema = z.looseObject({
  head: z.string().optional().catch(undefined),
  checked_at: z.string().optional().catch(undefined),
  archive_checked_at: z.string().optional().catch(undefined),
});
export type MaintenanceState = z.infer<typeof MaintenanceStateSchema>;

/** `compiler/maintenance.json` of a bucket. */
export function maintenanceStatePath(paths: StatePaths): string {
  return join(paths.compilerDir, 'maintenance.json');
}

/**
 * The maintenance state, or undefined when the bucket was never maintained or the file is damaged
 * (either way the next compile runs every check and rewrites it). Never throws.
 */
export function readMaintenanceState(paths: StatePaths): MaintenanceState | undefined {
  try {
    return parseJsonWith(MaintenanceStateSchema, readRegularText(maintenanceStatePath(paths)));
  } catch {
    return undefined;
  }
}
