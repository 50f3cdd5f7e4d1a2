/** Order statistics, a bootstrap interval and the small formatting helpers every section shares. */

/** The q-quantile (0..1) of numbers, by linear interpolation between closest ranks. */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.ceil(pos)] - sorted[lo]) * (pos - lo);
}

export const median = (values) => quantile(values, 0.5);

/**
 * The median of `values` with its bootstrap 95% interval (resampling the values with replacement).
 * @example bootstrapMedian([1.4, 1.5, 1.6]) // { median: 1.5, low: 1.4, high: 1.6 }
 */
export function bootstrapMedian(values, rounds = 2000, next = seededRandom(1)) {
  const pick = () => values[Math.floor(next() * values.length)];
  const medians = Array.from({ length: rounds }, () => median(Array.from(values, pick))).sort((a, b) => a - b);
  return { median: median(values), low: medians[Math.floor(rounds * 0.025)], high: medians[Math.ceil(rounds * 0.975) - 1] };
}

/** mulberry32, a small seeded PRNG (uniform in [0, 1)): the same generator as worker/calibration/split.ts's. */
export function seededRandom(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fixed decimals, trimmed for big numbers. */
export function fmt(x, digits = 2) {
  if (x === null || x === undefined || Number.isNaN(x)) return 'n/a';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(Math.min(digits, 1));
  return x.toFixed(digits);
}

export const bytes = (n) => (n >= 10_240 ? `${(n / 1024).toFixed(1)} KiB` : `${Math.round(n).toLocaleString('en-US')} B`);

/** A Markdown table from a header row and rows of cells. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const sleep = (millis) => new Promise((resolve) => setTimeout(resolve, millis));
