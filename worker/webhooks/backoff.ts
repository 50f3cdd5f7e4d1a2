/** When to try a failed delivery again: the configured schedule plus jitter, or the receiver's Retry-After. Pure. */
import type { AttemptVerdict } from './classify';

/**
 * Attempts a refused message (a non-retryable 4xx) gets per schedule: a receiver mid-deploy gets a
 * second chance, a broken one does not keep the message for the whole schedule.
 */
export const NON_RETRYABLE_ATTEMPTS = 3;

/** Site notices only ever target our own site object, so they retry on a short schedule, forever. */
export const SITE_NOTICE_SCHEDULE = [1, 5, 30, 60, 300];

/** After a fault (not a receiver's answer: our own storage or RPC failed), the alarm waits this long, doubling per fault in a row... */
const FAULT_BACKOFF_MS = 1_000;
/** ...up to this. */
const FAULT_BACKOFF_MAX_MS = 300_000;

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

export type AfterAttempt = { status: 'delivered' | 'failed' | 'pending'; nextAt: number };

/**
 * What becomes of an outbox row after an attempt. `attempt` counts from the start of the row's
 * current schedule (a redelivery starts a new one).
 * @example afterAttempt({ kind: 'reject', error: 'HTTP 400' }, { kind: 'webhook', attempt: 3, at: 0, scheduleSeconds: [5, 300, 1800] }) // { status: 'failed', nextAt: 0 }
 */
export function afterAttempt(
  verdict: AttemptVerdict,
  o: { kind: 'webhook' | 'site'; attempt: number; at: number; scheduleSeconds: number[]; random?: () => number },
): AfterAttempt {
  const failed = { status: 'failed', nextAt: o.at } as const;
  if (verdict.kind === 'delivered') return { status: 'delivered', nextAt: o.at };
  if (verdict.kind === 'disable') return failed;
  if (o.kind === 'site') {
    const delay = retryDelayMs(Math.min(o.attempt, SITE_NOTICE_SCHEDULE.length), SITE_NOTICE_SCHEDULE, o.random)!;
    return { status: 'pending', nextAt: o.at + delay };
  }
  if (verdict.kind === 'reject' && o.attempt >= NON_RETRYABLE_ATTEMPTS) return failed;
  const scheduled = retryDelayMs(o.attempt, o.scheduleSeconds, o.random);
  if (scheduled === null) return failed;
  const delay = verdict.kind === 'retry' && verdict.retryAfterMs !== null ? verdict.retryAfterMs : scheduled;
  return { status: 'pending', nextAt: o.at + delay };
}

/**
 * How long the alarm waits after `streak` faults in a row (0: none).
 * @example faultBackoffMs(3) // 4000
 */
export function faultBackoffMs(streak: number): number {
  if (streak <= 0) return 0;
  return Math.min(FAULT_BACKOFF_MS * 2 ** (streak - 1), FAULT_BACKOFF_MAX_MS);
}
