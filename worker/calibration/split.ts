/** Seeded randomness and a stratified train/holdout split, so a calibration can be reproduced. Pure. */

/**
 * mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)).
 * @example const rand = seededRandom(7); rand() // 0.8...
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates with the given random source; returns a new array. */
export function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Splits items into train and holdout with the same share of each class in both (stratified).
 * Items are first ordered by `key` so the split depends on the seed only, not on storage order.
 * @example splitHoldout(rows, (r) => r.id, (r) => r.y === 1, 0.25, 1) // { train: [...], holdout: [...] }
 */
export function splitHoldout<T>(
  items: readonly T[],
  key: (item: T) => string,
  positive: (item: T) => boolean,
  share: number,
  seed: number,
): { train: T[]; holdout: T[] } {
  const rand = seededRandom(seed);
  const ordered = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const train: T[] = [];
  const holdout: T[] = [];
  for (const cls of [true, false]) {
    const group = shuffled(ordered.filter((i) => positive(i) === cls), rand);
    const n = Math.round(group.length * share);
    holdout.push(...group.slice(0, n));
    train.push(...group.slice(n));
  }
  return { train, holdout };
}
