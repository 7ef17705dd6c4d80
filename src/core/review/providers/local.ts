/**
 * `local`: the offline reviewer (no network, no key). It works on the structured, already
 * redacted transcript of the request and answers a ReviewerOutput JSON text like any provider,
 * so the rest of the pipeline (parsing, queue) treats it the same way.
 */
import { reviewLocally } from '../local/review.js';
import type { ReviewRequest, ReviewResponse, ReviewerProvider } from '../types.js';

/** The offline, deterministic reviewer. */
export const localProvider: ReviewerProvider = {
  name: 'local',
  review(request: ReviewRequest): Promise<ReviewResponse> {
    if (request.signal?.aborted) return Promise.reject(request.signal.reason as Error);
    const output = reviewLocally(request.transcript, request.existing);
    return Promise.resolve({ text: JSON.stringify(output), provider: 'local' });
  },
};
