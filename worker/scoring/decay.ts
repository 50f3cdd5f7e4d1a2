/** Exponential decay in closed form: no timers, the same inputs always give the same value. */

import { DAY_MS } from '../time';

/**
 * Factor by which a value shrinks over `elapsedMs` with the given half-life (0 = no decay).
 * @example decayFactor(30 * DAY_MS, 30) // 0.5
 */
export function decayFactor(elapsedMs: number, halfLifeDays: number): number {
  if (halfLifeDays <= 0 || elapsedMs <= 0) return 1;
  return Math.pow(0.5, elapsedMs / (halfLifeDays * DAY_MS));
}

/** A decayed accumulator: `value` as of time `ref`. */
export type Decayed = { value: number; ref: number };

/**
 * Adds `amount` that happened at time `at` to an accumulator. Order-independent: adding an old
 * event after a newer one gives the same value as adding them in time order.
 */
export function addDecayed(acc: Decayed | undefined, amount: number, at: number, halfLifeDays: number): Decayed {
  if (!acc) return { value: amount, ref: at };
  const ref = Math.max(acc.ref, at);
  return {
    value: acc.value * decayFactor(ref - acc.ref, halfLifeDays) + amount * decayFactor(ref - at, halfLifeDays),
    ref,
  };
}

/** The accumulator's value at `now`. */
export function valueAt(acc: Decayed, now: number, halfLifeDays: number): number {
  return acc.value * decayFactor(now - acc.ref, halfLifeDays);
}
