/**
 * Failed authentications per client address: each failure is counted with the Workers Rate
 * Limiting binding (wrangler.toml AUTH_LIMITER); an address past its budget is locked out of the
 * admin API (and of keyed beacons) for the binding's period, in this isolate, before any key is
 * checked. Requests without CF-Connecting-IP (the vitest pool) are not limited.
 */
import type { Env } from '../env';
import { ApiError } from '../errors';

/** Must match AUTH_LIMITER's period in wrangler.toml. */
export const AUTH_LOCKOUT_SECONDS = 60;
const lockedUntil = new Map<string, number>();

export function assertNotLockedOut(ip: string | null, now: number) {
  if (!ip) return;
  const until = lockedUntil.get(ip);
  if (until === undefined) return;
  if (until <= now) {
    lockedUntil.delete(ip);
    return;
  }
  const seconds = Math.max(1, Math.ceil((until - now) / 1000));
  throw new ApiError(429, 'rate_limited', `too many failed authentications from this address; retry in ${seconds} s`, undefined, { 'retry-after': String(seconds) });
}

/** Counts a failure; past the budget, locks the address out and answers 429 now. */
export async function noteFailedAuth(env: Env, ip: string | null, now: number) {
  if (!ip || !env.AUTH_LIMITER) return;
  const { success } = await env.AUTH_LIMITER.limit({ key: ip });
  if (success) return;
  if (lockedUntil.size > 10_000) lockedUntil.clear();
  lockedUntil.set(ip, now + AUTH_LOCKOUT_SECONDS * 1000);
  assertNotLockedOut(ip, now);
}
