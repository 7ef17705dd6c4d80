/**
 * Schema of `<home>/config.toml`, schema version 2 with named reviewer profiles.
 *
 * Types are checked strictly (a string where a number belongs is an error naming the key path);
 * unknown keys are not errors but warnings (see `lintConfigTree` in load.ts), so a typo never
 * stops a Stop hook. Empty strings mean "unset" for the optional string fields, as in the Python package.
 */
import { z } from 'zod';
import {
  AGENT_PROVIDER_NAMES,
  DEFAULT_AGENT_TIMEOUT_SECONDS,
  PROVIDER_NAMES,
  type AgentProviderName,
} from './reviewers.js';

/** Newest schema version this code reads and writes. */
export const CONFIG_SCHEMA_VERSION = 2;

/**
 * Reviewer provider names a profile may name: the reviewer registry's list. `codex-cli` /
 * `opencode-cli` of the Python package are not names here (they are `codex` and `opencode`): a profile
 * naming them is reported by a warning and ignored.
 */
export const PROFILE_PROVIDERS = PROVIDER_NAMES;
export type ProfileProvider = (typeof PROFILE_PROVIDERS)[number];

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** One `[profiles.<name>]` table: the reviewer settings (all optional). */
export const ProfileSchema = z.object({
  /** Provider name (see {@link PROFILE_PROVIDERS}); unknown names warn and are ignored. */
  provider: z.string().optional(),
  /** Model id; "" → the provider's default. */
  model: z.string().optional(),
  /** Full endpoint URL, used verbatim; "" → the provider's default. */
  base_url: z
    .string()
    .refine(
      (v) => v.trim() === '' || isHttpUrl(v.trim()),
      'expected an http(s) URL (the full endpoint, used verbatim)',
    )
    .optional(),
  /** Name of the environment variable holding the key; "" → the provider's default variable. */
  api_key_env: z
    .string()
    .refine(
      (v) => v.trim() === '' || /^[A-Za-z_][A-Za-z0-9_]*$/.test(v.trim()),
      'expected an environment variable name',
    )
    .optional(),
  /** Per-attempt timeout in seconds. */
  timeout_seconds: z.number().positive().max(3600).optional(),
  /** Output token budget. */
  max_tokens: z.number().int().positive().max(1_000_000).optional(),
  /** Extra attempts after the first. */
  max_retries: z.number().int().min(0).max(10).optional(),
  /** Base delays in seconds between attempts, padded with the last value. */
  retry_backoff: z.array(z.number().min(0).max(600)).optional(),
  /** Subprocess settings of the Python package's codex-cli/opencode-cli providers: accepted, unused. */
  subprocess: z.record(z.string(), z.unknown()).optional(),
});
export type ProfileConfig = z.infer<typeof ProfileSchema>;

/** `[compile.opencode]`. */
export const CompileOpencodeSchema = z.object({
  model: z.string().default(''),
  agent: z.string().default(''),
  timeout_seconds: z.number().positive().max(86_400).default(900),
});

/** `[compile.memory]`: memory caps per scope (unset = the compiler's defaults). */
export const CompileMemorySchema = z.object({
  user_max_entries: z.number().int().positive().optional(),
  user_max_chars: z.number().int().positive().optional(),
  global_max_entries: z.number().int().positive().optional(),
  global_max_chars: z.number().int().positive().optional(),
  /** Forgetting: archive active entries unused this many days... */
  archive_after_days: z.number().positive().max(36_500).optional(),
  /** ...and whose confidence is below this. */
  archive_below_confidence: z.number().min(0).max(1).optional(),
});

/** `auto`: applied by the next compile; `review`: staged until `review approve`. */
const ReviewMode = z.enum(['auto', 'review']);

/** `[review.codex]`, `[review.claude]`, `[review.opencode]`: an agent-CLI reviewer. */
export const AgentReviewerSchema = z.object({
  /** The program; "" → the name on PATH (`codex`, `claude`, `opencode`). */
  path: z.string().default(''),
  /** Model; "" → the agent's own default (pick a small, cheap one: docs/reviewers.md). */
  model: z.string().default(''),
  /**
   * Wall-clock limit of one review; the process group is killed past it. At most 600 s, well
   * inside the review worker lock's 15-minute stale window.
   */
  timeout_seconds: z.number().positive().max(600).default(DEFAULT_AGENT_TIMEOUT_SECONDS),
  /** Codex only: `model_reasoning_effort` of a review (a review needs little); "" → the user's own. */
  reasoning_effort: z.string().default('low'),
});

/** One `[review.<agent>]` table per agent reviewer of the registry. */
const AGENT_REVIEWER_TABLES = Object.fromEntries(
  AGENT_PROVIDER_NAMES.map((name) => [name, AgentReviewerSchema.prefault({})]),
) as Record<AgentProviderName, ReturnType<typeof AgentReviewerSchema.prefault>>;

/** Default of `[review] max_per_day`. */
export const DEFAULT_MAX_REVIEWS_PER_DAY = 200;

/**
 * `[review]`: which kinds of suggestion wait for a human; the daily cap of paid
 * reviews and the agent-CLI reviewers' settings.
 */
export const ReviewSchema = z.object({
  memory: ReviewMode.default('auto'),
  recall: ReviewMode.default('auto'),
  skills: ReviewMode.default('review'),
  /** Model-backed (agent or HTTP) reviews per local day; further turns wait for the next day. 0 = none. */
  max_per_day: z.number().int().min(0).max(1_000_000).default(DEFAULT_MAX_REVIEWS_PER_DAY),
  ...AGENT_REVIEWER_TABLES,
});

/** `[compile]`: which compile backend runs and whether it may fall back to `script`. */
export const CompileSchema = z.object({
  backend: z.string().trim().min(1).default('script'),
  allow_fallback: z.boolean().default(true),
  opencode: CompileOpencodeSchema.prefault({}),
  memory: CompileMemorySchema.prefault({}),
});

/** `[scheduler]`. */
export const SchedulerSchema = z.object({
  backend: z.string().trim().min(1).default('agent:opencode'),
  interval_seconds: z.number().int().positive().max(86_400).default(300),
});

/** `[recall]`. */
export const RecallSchema = z.object({
  /** Results returned by `recall` when no `--top-k` is given. */
  top_k: z.number().int().positive().max(1000).default(5),
});

/** `[session_start]`. */
export const SessionStartSchema = z.object({
  /** Character budget of the text injected at session start (Codex truncates past ~10 KB). */
  budget_chars: z.number().int().positive().max(1_000_000).default(8000),
});

/** `[log]`. */
export const LogSchema = z.object({
  retention_days: z.number().int().positive().max(3650).default(14),
});

/** `[team]`: team memory through git. */
export const TeamSchema = z.object({
  /** Read the shared store (`.codex-self-evolution/` of the checkout) at session start and recall. */
  enabled: z.boolean().default(true),
  /** Write eligible entries into the working tree after each compile (never committed by us). */
  auto_share: z.boolean().default(false),
});

/** The whole file as written (before legacy lifting and profile selection). */
export const ConfigFileSchema = z.object({
  schema_version: z
    .number()
    .int('must be an integer')
    .min(1, `must be 1 or ${CONFIG_SCHEMA_VERSION}`)
    .max(
      CONFIG_SCHEMA_VERSION,
      `this version reads schema_version up to ${CONFIG_SCHEMA_VERSION}; upgrade codex-self-evolution`,
    )
    .optional(),
  active_profile: z.string().optional(),
  profiles: z.record(z.string(), ProfileSchema).optional(),
  /** Schema 1: the single reviewer table, lifted into a `default` profile. */
  reviewer: ProfileSchema.optional(),
  compile: CompileSchema.prefault({}),
  scheduler: SchedulerSchema.prefault({}),
  recall: RecallSchema.prefault({}),
  session_start: SessionStartSchema.prefault({}),
  log: LogSchema.prefault({}),
  review: ReviewSchema.prefault({}),
  team: TeamSchema.prefault({}),
});
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** The resolved configuration every consumer reads (defaults filled, legacy lifted, env applied). */
export interface ResolvedConfig {
  schema_version: number;
  /** Name of the profile in use, or null (built-in reviewer defaults). */
  active_profile: string | null;
  profiles: Record<string, ProfileConfig>;
  compile: z.infer<typeof CompileSchema>;
  scheduler: z.infer<typeof SchedulerSchema>;
  recall: z.infer<typeof RecallSchema>;
  session_start: z.infer<typeof SessionStartSchema>;
  log: z.infer<typeof LogSchema>;
  review: z.infer<typeof ReviewSchema>;
  team: z.infer<typeof TeamSchema>;
}

/** Recognised keys per table, for the unknown-key warnings. `*` = any name (profile names). */
export const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': [
    'schema_version',
    'active_profile',
    'profiles',
    'reviewer',
    'compile',
    'scheduler',
    'recall',
    'session_start',
    'log',
    'review',
    'team',
  ],
  profile: [
    'provider',
    'model',
    'base_url',
    'api_key_env',
    'timeout_seconds',
    'max_tokens',
    'max_retries',
    'retry_backoff',
    'subprocess',
  ],
  compile: ['backend', 'allow_fallback', 'opencode', 'memory'],
  'compile.opencode': ['model', 'agent', 'timeout_seconds'],
  'compile.memory': [
    'user_max_entries',
    'user_max_chars',
    'global_max_entries',
    'global_max_chars',
    'archive_after_days',
    'archive_below_confidence',
  ],
  scheduler: ['backend', 'interval_seconds'],
  recall: ['top_k'],
  session_start: ['budget_chars'],
  log: ['retention_days'],
  review: ['memory', 'recall', 'skills', 'max_per_day', ...AGENT_PROVIDER_NAMES],
  'review.agent': ['path', 'model', 'timeout_seconds', 'reasoning_effort'],
  team: ['enabled', 'auto_share'],
};

/** Key names that look like a secret was pasted into the file. */
export const SECRET_KEY_PATTERN = /(^|_)(api[_-]?key|token|secret|password|bearer)$/i;
