/** What happens to a delivery after one attempt. */
export type AttemptDecision =
  | { status: 'delivered' }
  | { status: 'pending'; retryInMs: number }
  | { status: 'failed'; disableEndpoint: boolean };

/**
 * After attempt number `attempt` (1-based) answered `statusCode` (null: no answer): 2xx delivers;
 * 410 Gone fails the delivery and disables the endpoint (the receiver says it is gone for good);
 * anything else (3xx included, redirects are not followed) retries after `retryDelaysMs[attempt - 1]`,
 * and fails once the delays are used up.
 */
export function decideAfterAttempt(
  statusCode: number | null,
  attempt: number,
  retryDelaysMs: readonly number[],
): AttemptDecision {
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { status: 'delivered' };
  if (statusCode === 410) return { status: 'failed', disableEndpoint: true };
  const delay = retryDelaysMs[attempt - 1];
  return delay === undefined
    ? { status: 'failed', disableEndpoint: false }
    : { status: 'pending', retryInMs: delay };
}

/** The queue job id of one attempt: the delivery id for the first, `<id>-<n>` after (BullMQ ids may not hold `:`). */
export const attemptJobId = (deliveryId: string, attempt: number) =>
  attempt === 1 ? deliveryId : `${deliveryId}-${attempt}`;
