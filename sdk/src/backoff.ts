/** Retry policy of the beacon: which responses to retry, and how long to wait. */

export type Outcome = 'ok' | 'retry' | 'drop';

/** 2xx delivered; 408, 429 and 5xx retried; any other 4xx dropped (resending cannot help). */
export function classify(status: number): Outcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 408 || status === 429 || status >= 500 || status === 0) return 'retry';
  return 'drop';
}

/**
 * Exponential backoff with jitter: 1 s, 2 s, 4 s ... capped at 60 s, each scaled by 0.5-1.
 * @example backoff(0, () => 1) // 1000
 */
export function backoff(attempt: number, random: () => number = Math.random): number {
  return Math.round(Math.min(60_000, 1000 * 2 ** attempt) * (0.5 + random() / 2));
}

/**
 * Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date), capped at 10 min.
 * @example retryAfterMs('3', 0) // 3000
 */
export function retryAfterMs(header: string | null, now: number): number {
  const ms = header ? +header * 1000 || Date.parse(header) - now : 0;
  return Math.min(Math.max(ms, 0), 600_000) || 0;
}
