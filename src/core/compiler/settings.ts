/**
 * Compile settings from `<home>/config.toml` (the Python package parsed `[compile]` and ignored it,
 * ): the default backend, whether an agent backend may fall back to `script`, and the
 * memory caps (`[compile.memory]`, keys `user_max_entries`, `user_max_chars`,
 * `global_max_entries`, `global_max_chars`). A broken config never stops a compile: the defaults
 * are used and the problem is returned for the caller to log.
 */
import { loadConfig } from '../config/load.js';
import { describeError } from '../errors.js';
import { DEFAULT_MEMORY_CAPS, type MemoryCaps } from './backends/types.js';
import { DEFAULT_REVIEW_POLICY, type ReviewPolicy } from '../memory/review-store.js';
import { LOCK_STALE_SECONDS } from './lock.js';

export interface CompileSettings {
  backend: string;
  allowFallback: boolean;
  caps: MemoryCaps;
  /** Agent backend timeout in ms (kept below the lock stale window by the config schema's caller). */
  opencodeTimeoutMs: number;
  /** `[compile.opencode] model` / `agent` (env `CODEX_SELF_EVOLUTION_OPENCODE_MODEL/_AGENT` wins); '' =
   * opencode's default. */
  opencodeModel: string;
  opencodeAgent: string;
  /** `[review]`: which kinds of suggestion wait for a human. */
  reviewPolicy: ReviewPolicy;
  /** `[compile.memory] archive_after_days` / `archive_below_confidence` (unset = the compiler's defaults). */
  lessons: { archiveAfterDays?: number; archiveBelowConfidence?: number };
  warnings: string[];
}

/** Options for the agent backend from the settings (empty model/agent left to opencode). */
export function agentBackendOptions(settings: CompileSettings): Record<string, unknown> {
  return {
    timeoutMs: settings.opencodeTimeoutMs,
    ...(settings.opencodeModel ? { opencode_model: settings.opencodeModel } : {}),
    ...(settings.opencodeAgent ? { opencode_agent: settings.opencodeAgent } : {}),
  };
}

/** Reads the compile settings of a home. */
export async function loadCompileSettings(home: string): Promise<CompileSettings> {
  const settings: CompileSettings = {
    backend: 'script',
    allowFallback: true,
    caps: { user: { ...DEFAULT_MEMORY_CAPS.user }, global: { ...DEFAULT_MEMORY_CAPS.global } },
    opencodeTimeoutMs: 900_000,
    opencodeModel: '',
    opencodeAgent: '',
    reviewPolicy: { ...DEFAULT_REVIEW_POLICY },
    lessons: {},
    warnings: [],
  };
  try {
    const loaded = await loadConfig({ home });
    settings.backend = loaded.config.compile.backend;
    settings.allowFallback = loaded.config.compile.allow_fallback;
    settings.opencodeTimeoutMs = loaded.config.compile.opencode.timeout_seconds * 1000;
    settings.opencodeModel = loaded.config.compile.opencode.model;
    settings.opencodeAgent = loaded.config.compile.opencode.agent;
    settings.reviewPolicy = { ...loaded.config.review };
    const memory = loaded.config.compile.memory;
    // The caps come from the validated config (integers, positive), never from the raw file again.
    for (const scope of ['user', 'global'] as const) {
      const entries = memory[`${scope}_max_entries`];
      const chars = memory[`${scope}_max_chars`];
      if (entries !== undefined) settings.caps[scope].maxEntries = entries;
      if (chars !== undefined) settings.caps[scope].maxChars = chars;
    }
    const { archive_after_days: days, archive_below_confidence: below } = memory;
    if (days !== undefined) settings.lessons.archiveAfterDays = days;
    if (below !== undefined) settings.lessons.archiveBelowConfidence = below;
    settings.warnings.push(...loaded.warnings.filter((w) => !w.startsWith('compile.memory')));
  } catch (error) {
    settings.warnings.push(`config.toml unusable, compile defaults used: ${describeError(error)}`);
  }
  // Design contract (seed README §6): an agent run must end well inside the lock stale window.
  const maxTimeoutMs = (LOCK_STALE_SECONDS - 300) * 1000;
  if (settings.opencodeTimeoutMs > maxTimeoutMs) {
    settings.warnings.push(
      `compile.opencode.timeout_seconds capped at ${maxTimeoutMs / 1000} (must stay below the ${LOCK_STALE_SECONDS} s lock stale window)`,
    );
    settings.opencodeTimeoutMs = maxTimeoutMs;
  }
  return settings;
}
