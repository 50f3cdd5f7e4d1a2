/** When to try a failed delivery again: the configured schedule plus jitter, or the receiver's Retry-After. */

/**
 * Delay before retry number `attempt` (1 = the first retry), or null when the schedule is used up.
 * Adds up to 10% jitter so many failed deliveries do not retry in lockstep.
 * @example retryDelayMs(1, [5, 300], () => 0) // 5000
 */
export function retryDelayMs(attempt: number, scheduleSeconds: number[], random: () => number = Math.random): number | null {
  const base = scheduleSeconds[attempt - 1];
  if (base === undefined) return null;
  return Math.round(base * 1000 * (1 + 0.1 * random()));
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds from `now`; capped at a day. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms) || ms < 0) return null;
  return Math.min(ms, 24 * 3600 * 1000);
}
