/**
 * `dummy`: answers a canned response without any I/O, for tests and dry runs.
 * `settings.stubResponse` (the caller passes the payload's `provider_stub_response` there): a
 * string is used as-is, anything else JSON-encoded; absent → an empty ReviewerOutput.
 */
import type { ReviewRequest, ReviewResponse, ReviewerProvider } from '../types.js';
import type { ProviderSettings } from './settings.js';

/** The answer when no stub is given: a valid ReviewerOutput with no suggestions. */
export const EMPTY_REVIEWER_OUTPUT = '{"memory_updates":[],"recall_candidate":[],"skill_action":[]}';

/** Builds the provider. */
export function createDummyProvider(settings: Pick<ProviderSettings, 'stubResponse'> = {}): ReviewerProvider {
  const stub = settings.stubResponse;
  const text =
    stub === undefined || stub === null
      ? EMPTY_REVIEWER_OUTPUT
      : typeof stub === 'string'
        ? stub
        : JSON.stringify(stub);
  return {
    name: 'dummy',
    review(request: ReviewRequest): Promise<ReviewResponse> {
      if (request.signal?.aborted) return Promise.reject(request.signal.reason as Error);
      return Promise.resolve({ text, provider: 'dummy' });
    },
  };
}
