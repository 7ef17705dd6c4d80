/**
 * The reviewer providers' public door: it only assembles. The names and kinds are in
 * `config/reviewers.ts`, how each is built in `registry.ts`, which one runs in `select.ts`, the
 * HTTP endpoints in `endpoints.ts`, the typed failures in `errors.ts`.
 */
export {
  AGENT_PROVIDER_NAMES,
  HTTP_PROVIDER_NAMES,
  PROVIDER_NAMES,
  isProviderName,
  isAgentProviderName,
  isHttpProviderName,
  isPaidReviewer,
  REVIEWER_KINDS,
} from '../../config/reviewers.js';
export type {
  ProviderName,
  AgentProviderName,
  HttpProviderName,
  ReviewerKind,
} from '../../config/reviewers.js';
export { getProvider } from './registry.js';
export {
  REVIEWER_ENV,
  resolveReviewer,
  type ResolveReviewerInput,
  type ReviewerSelection,
} from './select.js';
export { DIALECT_DEFAULTS, resolveEndpoint, type ResolvedEndpoint } from './endpoints.js';
export type { ProviderSettings, RetryEvent, SleepFunction } from './settings.js';
