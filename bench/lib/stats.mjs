/** Order statistics and the small formatting helpers every benchmark shares. */

/** The q-quantile (0..1) of numbers, by linear interpolation between closest ranks. */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const median = (values) => quantile(values, 0.5);
export const p99 = (values) => quantile(values, 0.99);
export const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

/** p50 / p99 / max of a sample, plus its size. */
export function summarize(values) {
  return { n: values.length, p50: quantile(values, 0.5), p99: quantile(values, 0.99), max: Math.max(...values) };
}

/** The median and spread (min..max) of per-run figures: what the tables print for "several runs". */
export function acrossRuns(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length, values };
}

/** Fixed decimals, trimmed for big numbers. */
export function fmt(x, digits = 2) {
  if (x === null || x === undefined || Number.isNaN(x)) return 'n/a';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(Math.min(digits, 1));
  return x.toFixed(digits);
}

export const ms = (x) => `${fmt(x)} ms`;
export const ratio = (x) => `${fmt(x)}x`;
export const bytes = (n) => (n >= 10_240 ? `${(n / 1024).toFixed(1)} KiB` : `${Math.round(n).toLocaleString('en-US')} B`);
/** "1.23x (1.10-1.40)": a median across runs with its range. */
export const ratioRange = (r) => `${fmt(r.median)}x (${fmt(r.min)}-${fmt(r.max)})`;
export const range = (r, unit = '') => `${fmt(r.median)}${unit} (${fmt(r.min)}-${fmt(r.max)})`;

/** A Markdown table from a header row and rows of cells. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const sleep = (millis) => new Promise((resolve) => setTimeout(resolve, millis));

/**
 * mulberry32, a small seeded PRNG (uniform in [0, 1)): the same generator as worker/calibration/split.ts's
 * seededRandom, for bench scripts that Node runs without bundling TypeScript.
 */
export function seededRandom(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
