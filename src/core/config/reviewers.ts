/**
 * The reviewer names, written once. Every list of reviewers (the registry in review/providers, the
 * profile check of config.toml, `config use`, `install --reviewer`, status) derives from
 * {@link REVIEWER_KINDS}. Dependency-free: the config schema and the hooks may import it.
 *
 * Kinds:
 * - `offline`: no model call, no cost (`local`, and `dummy` for tests);
 * - `http`: a model API called with a key (`openai-compatible`, `anthropic-style`, `minimax`);
 * - `agent`: the user's own logged-in agent CLI run non-interactively (`codex`, `claude`,
 *   `opencode`).
 * `http` and `agent` reviews cost money: they count toward `[review] max_per_day` and trivial
 * turns are skipped before calling them.
 */

/** Every reviewer and its kind. */
export const REVIEWER_KINDS = {
  local: 'offline',
  dummy: 'offline',
  'openai-compatible': 'http',
  'anthropic-style': 'http',
  minimax: 'http',
  codex: 'agent',
  claude: 'agent',
  opencode: 'agent',
} as const;

/** A reviewer name. */
export type ProviderName = keyof typeof REVIEWER_KINDS;
/** What kind of reviewer a name is. */
export type ReviewerKind = (typeof REVIEWER_KINDS)[ProviderName];

/** Names the registry knows, in a stable order. */
export const PROVIDER_NAMES = Object.keys(REVIEWER_KINDS) as readonly ProviderName[];

/** The reviewers that run the user's agent CLI. */
export const AGENT_PROVIDER_NAMES = ['codex', 'claude', 'opencode'] as const;
export type AgentProviderName = (typeof AGENT_PROVIDER_NAMES)[number];

/** Default wall-clock limit of one agent-CLI review, in seconds (`[review.<agent>] timeout_seconds`). */
export const DEFAULT_AGENT_TIMEOUT_SECONDS = 180;

/** True when `name` is a registry name. */
export function isProviderName(name: string): name is ProviderName {
  return Object.prototype.hasOwnProperty.call(REVIEWER_KINDS, name);
}

/** True when `name` runs an agent CLI. */
export function isAgentProviderName(name: string): name is AgentProviderName {
  return (AGENT_PROVIDER_NAMES as readonly string[]).includes(name);
}

/** True when a review by `name` calls a paid model (HTTP or agent CLI). */
export function isPaidReviewer(name: string): boolean {
  return isProviderName(name) && REVIEWER_KINDS[name] !== 'offline';
}
