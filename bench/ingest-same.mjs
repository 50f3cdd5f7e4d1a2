/**
 * The ingest method against itself: the same cells, runs and pairing as `npm run bench`, but both
 * sides of every pair run the same code (two LeadEdge runtimes, or two baselines with
 * `--kind=baseline`). The medians should read 1.00x; how far they and the per-run ratios stray is
 * the noise of the method on this machine, against which the ingest ratios are read. Not part of
 * `npm run bench` (it takes as long as the ingest section); writes bench/ingest-same.json, which
 * BENCHMARKS.md quotes beside the ingest table.
 *
 *   node bench/ingest-same.mjs [--kind=leadedge|baseline] [--pairs=8] [--runs=16]
 */
import { writeFileSync } from 'node:fs';
import { loadAverage } from './lib/machine.mjs';
import { startPair } from './lib/runtime.mjs';
import { createBenchSite } from './lib/site.mjs';
import { benchIngest, FULL_RUN, INGEST_SITE } from './ingest.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]));
const kind = args.kind === 'baseline' ? 'baseline' : 'leadedge';
// As many pairs and runs as the full run's ingest section (bench/run.mjs).
const pairs = Number(args.pairs ?? FULL_RUN.pairs);
const runs = Number(args.runs ?? (FULL_RUN.runs / FULL_RUN.pairs) * pairs);

const pair = async () => {
  const p = await startPair({ le: kind, bl: kind });
  // benchIngest creates the site on its LeadEdge side only; here both sides need it.
  if (kind === 'leadedge') await createBenchSite(p.bl.client, INGEST_SITE);
  return p;
};

const loadBefore = loadAverage();
const startedAt = new Date().toISOString();
const result = await benchIngest({ pair, pairs, runs, scale: FULL_RUN.scale, log: (s) => console.error(s) });
console.log(`${kind} against ${kind}: ${result.runs} runs on ${pairs} runtime pairs; p50 ratio, median (range over runs)`);
for (const c of result.cells) {
  const r = c.p50Ratio;
  console.log(`  ${c.events === 1 ? 'single event' : `batch of ${c.events}`}, c=${c.concurrency}: ${r.median.toFixed(2)}x (${r.min.toFixed(2)}-${r.max.toFixed(2)})`);
}
const out = {
  startedAt,
  command: `node bench/ingest-same.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  loadBefore,
  loadAfter: loadAverage(),
  kind,
  pairs,
  runs: result.runs,
  cells: result.cells.map((c) => ({ events: c.events, concurrency: c.concurrency, p50Ratio: c.p50Ratio, p99Ratio: c.p99Ratio })),
};
writeFileSync('bench/ingest-same.json', `${JSON.stringify(out, null, 2)}\n`);
