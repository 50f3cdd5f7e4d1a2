/**
 * The ingest section, several times over: `--times` invocations of exactly what `npm run bench`
 * runs (the same cells, runs, pairs and scale, fresh runtime pairs each time), with every run's
 * p50 ratio pooled per cell. One invocation's median is known to about a tenth (see
 * bench/ingest-same.mjs), so a cell near the 1.5x target reads "met" or "missed" by chance; the
 * pooled median, with a bootstrap 95% interval over runs, says where it sits. Not part of
 * `npm run bench` (each invocation takes as long as its ingest section); writes
 * bench/ingest-pooled.json, which BENCHMARKS.md quotes beside the ingest table. The targets table
 * still judges the full run's own medians.
 *
 *   node bench/ingest-pooled.mjs [--times=4]
 */
import { writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { loadAverage } from './lib/machine.mjs';
import { startPair } from './lib/runtime.mjs';
import { median, seededRandom } from './lib/stats.mjs';
import { benchIngest, FULL_RUN } from './ingest.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]));
const times = Number(args.times ?? 4);
const TARGET = 1.5;

/** 95% interval of the median, resampling runs with replacement. */
export function bootstrapMedian(values, rounds = 2000, next = seededRandom(1)) {
  const medians = Array.from({ length: rounds }, () => median(Array.from({ length: values.length }, () => values[Math.floor(next() * values.length)])));
  medians.sort((a, b) => a - b);
  return { low: medians[Math.floor(rounds * 0.025)], high: medians[Math.ceil(rounds * 0.975) - 1] };
}

const loadBefore = loadAverage();
const startedAt = new Date().toISOString();
const invocations = [];
for (let t = 0; t < times; t++) {
  const r = await benchIngest({ pair: () => startPair(), pairs: FULL_RUN.pairs, runs: FULL_RUN.runs, scale: FULL_RUN.scale, log: (s) => console.error(`[${t + 1}/${times}] ${s}`) });
  invocations.push(r);
}
const cells = invocations[0].cells.map((cell, k) => {
  const values = invocations.flatMap((r) => r.cells[k].p50Ratio.values);
  return {
    events: cell.events,
    concurrency: cell.concurrency,
    runs: values.length,
    median: median(values),
    interval: bootstrapMedian(values),
    perInvocation: invocations.map((r) => r.cells[k].p50Ratio.median),
    withinTarget: values.filter((v) => v <= TARGET).length / values.length,
  };
});
console.log(`LeadEdge against the baseline, ${times} invocations of the ingest section; p50 ratio pooled over runs`);
for (const c of cells) {
  console.log(
    `  ${c.events === 1 ? 'single event' : `batch of ${c.events}`}, c=${c.concurrency}: ${c.median.toFixed(2)}x (95% ${c.interval.low.toFixed(2)}-${c.interval.high.toFixed(2)}) over ${c.runs} runs; ` +
      `invocations ${c.perInvocation.map((x) => x.toFixed(2)).join(' / ')}`,
  );
}
const out = {
  startedAt,
  command: `node bench/ingest-pooled.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  revision: execSync('git rev-parse --short HEAD').toString().trim(),
  loadBefore,
  loadAfter: loadAverage(),
  times,
  target: TARGET,
  cells,
};
writeFileSync('bench/ingest-pooled.json', `${JSON.stringify(out, null, 2)}\n`);
console.error('wrote bench/ingest-pooled.json');
