/** What a receiver's answer means for a delivery. Only 2xx is success; redirects are not followed. */

export type AttemptVerdict =
  | { kind: 'delivered' }
  | { kind: 'retry'; retryAfterMs: number | null; error: string }
  /** The receiver refused this message (most 4xx): sending it again the same way is unlikely to help. */
  | { kind: 'reject'; error: string }
  | { kind: 'disable'; error: string };

/** 4xx answers that mean "not now" rather than "not this": timeout, conflict, too early, too many requests. */
const RETRYABLE_4XX = new Set([408, 409, 425, 429]);

/**
 * @example classifyResponse(400, null) // { kind: 'reject', error: 'HTTP 400' }
 */
export function classifyResponse(status: number, retryAfterMs: number | null): AttemptVerdict {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 410) return { kind: 'disable', error: 'receiver answered 410 Gone: endpoint disabled' };
  if (status >= 400 && status < 500 && !RETRYABLE_4XX.has(status)) return { kind: 'reject', error: `HTTP ${status}` };
  const honoursRetryAfter = status === 429 || status === 503;
  return {
    kind: 'retry',
    retryAfterMs: honoursRetryAfter ? retryAfterMs : null,
    error: status >= 300 && status < 400 ? `redirect ${status} (not followed)` : `HTTP ${status}`,
  };
}
