/** What a receiver's answer means for a delivery. Only 2xx is success; redirects are not followed. */

export type AttemptVerdict =
  | { kind: 'delivered' }
  | { kind: 'retry'; retryAfterMs: number | null; error: string }
  | { kind: 'disable'; error: string };

export function classifyResponse(status: number, retryAfterMs: number | null): AttemptVerdict {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 410) return { kind: 'disable', error: 'receiver answered 410 Gone: endpoint disabled' };
  const honoursRetryAfter = status === 429 || status === 503;
  return {
    kind: 'retry',
    retryAfterMs: honoursRetryAfter ? retryAfterMs : null,
    error: status >= 300 && status < 400 ? `redirect ${status} (not followed)` : `HTTP ${status}`,
  };
}
