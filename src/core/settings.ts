/**
 * Settings the hot paths need from `config.toml` without loading the full config machinery
 * (zod): read with smol-toml only when the file exists, one key at a time, invalid values ignored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEnv } from './env.js';
import { DEFAULT_CONTEXT_BUDGET } from './session-start.js';

let cached: { home: string; data: Record<string, unknown> | undefined } | undefined;

/** The parsed `config.toml` of a home, or undefined when absent or unreadable. */
export async function readRawConfig(home: string): Promise<Record<string, unknown> | undefined> {
  if (cached?.home === home) return cached.data;
  const file = join(home, 'config.toml');
  let data: Record<string, unknown> | undefined;
  if (existsSync(file)) {
    try {
      const { parse } = await import('smol-toml');
      data = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      // A broken config must not break a hook; `config validate` reports it.
      data = undefined;
    }
  }
  cached = { home, data };
  return data;
}

/** A value at `path` in the raw config, if it is a positive number. */
export async function configNumber(home: string, path: readonly string[]): Promise<number | undefined> {
  let node: unknown = await readRawConfig(home);
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'number' && Number.isFinite(node) && node > 0 ? node : undefined;
}

/**
 * The SessionStart budget: `CODEX_SELF_EVOLUTION_CONTEXT_BUDGET`, then
 * `[session_start] budget_chars`, then 8,000.
 */
export async function resolveContextBudget(home: string): Promise<number> {
  const env = Number(readEnv('CODEX_SELF_EVOLUTION_CONTEXT_BUDGET'));
  if (Number.isFinite(env) && env > 0) return env;
  return (await configNumber(home, ['session_start', 'budget_chars'])) ?? DEFAULT_CONTEXT_BUDGET;
}

/** `[team]` of config.toml, read on the hook path without zod. */
export interface TeamSettings {
  /** Read the shared store of the checkout (`[team] enabled`, default true). */
  enabled: boolean;
  /** Write eligible entries into the working tree after each compile (`[team] auto_share`, default false). */
  autoShare: boolean;
}

/** `[team] enabled` and `auto_share`; a value of the wrong type is ignored (`config validate` reports it). */
export async function resolveTeamSettings(home: string): Promise<TeamSettings> {
  const raw = await readRawConfig(home);
  const team = raw?.team;
  const table =
    team !== null && typeof team === 'object' && !Array.isArray(team)
      ? (team as Record<string, unknown>)
      : {};
  return {
    enabled: typeof table.enabled === 'boolean' ? table.enabled : true,
    autoShare: typeof table.auto_share === 'boolean' ? table.auto_share : false,
  };
}
