/**
 * The reviewer names, written once. Every list of reviewers (the factories of
 * review/providers/registry.ts, typed over these names; the profile check and the
 * `[review.<agent>]` tables of config.toml; `config use`, `install --reviewer`, status) derives
 * from {@link REVIEWER_KINDS}. Dependency-free: the config schema and the hooks may import it.
 *
 * A new reviewer: its module in review/providers/, one line here, and one factory line in
 * registry.ts (the type checker asks for it); an HTTP one also names its endpoint defaults.
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

/** The names of one kind, as a type. */
type NamesOfKind<K extends ReviewerKind> = {
  [N in ProviderName]: (typeof REVIEWER_KINDS)[N] extends K ? N : never;
}[ProviderName];

/** A reviewer that runs the user's agent CLI. */
export type AgentProviderName = NamesOfKind<'agent'>;
/** A reviewer that calls a model API over HTTP. */
export type HttpProviderName = NamesOfKind<'http'>;

function namesOfKind<K extends ReviewerKind>(kind: K): readonly NamesOfKind<K>[] {
  return PROVIDER_NAMES.filter((name) => REVIEWER_KINDS[name] === kind) as NamesOfKind<K>[];
}

/** The reviewers that run the user's agent CLI (each has a `[review.<name>]` table). */
export const AGENT_PROVIDER_NAMES = namesOfKind('agent');
/** The reviewers that talk HTTP (each has endpoint defaults in review/providers/endpoints.ts). */
export const HTTP_PROVIDER_NAMES = namesOfKind('http');

/** Default wall-clock limit of one agent-CLI review, in seconds (`[review.<agent>] timeout_seconds`). */
export const DEFAULT_AGENT_TIMEOUT_SECONDS = 180;

/** True when `name` is a registry name. */
export function isProviderName(name: string): name is ProviderName {
  return Object.prototype.hasOwnProperty.call(REVIEWER_KINDS, name);
}

/** True when `name` runs an agent CLI. */
export function isAgentProviderName(name: string): name is AgentProviderName {
  return isProviderName(name) && REVIEWER_KINDS[name] === 'agent';
}

/** True when `name` is an HTTP reviewer. */
export function isHttpProviderName(name: string): name is HttpProviderName {
  return isProviderName(name) && REVIEWER_KINDS[name] === 'http';
}

/** True when a review by `name` calls a paid model (HTTP or agent CLI). */
export function isPaidReviewer(name: string): boolean {
  return isProviderName(name) && REVIEWER_KINDS[name] !== 'offline';
}
