/** A token bucket in plain data: the per-visitor beacon limit, kept in the visitor object's memory. */

export type Bucket = { tokens: number; at: number };
export type BucketRule = { capacity: number; refillPerSecond: number };

/**
 * Takes one token. Returns the new bucket and, when empty, how long until a token is back.
 * @example take({ tokens: 0, at: 0 }, 500, { capacity: 2, refillPerSecond: 1 }) // { ok: false, retryAfterMs: 500, ... }
 */
export function take(bucket: Bucket | null, now: number, rule: BucketRule): { ok: boolean; bucket: Bucket; retryAfterMs: number } {
  const prev = bucket ?? { tokens: rule.capacity, at: now };
  const tokens = Math.min(rule.capacity, prev.tokens + (Math.max(0, now - prev.at) / 1000) * rule.refillPerSecond);
  if (tokens >= 1) return { ok: true, bucket: { tokens: tokens - 1, at: now }, retryAfterMs: 0 };
  return { ok: false, bucket: { tokens, at: now }, retryAfterMs: Math.ceil(((1 - tokens) / rule.refillPerSecond) * 1000) };
}
