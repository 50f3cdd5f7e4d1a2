/**
 * What I tried against the missed targets, reproducibly: each variant is a copy of worker/ (as it
 * is, or at a past commit) with a few string patches (fixes under trial, never applied to worker/
 * here), measured like
 * `npm run bench` measures the real one: single events and batches of 20 at concurrency 1 against
 * the baseline, interleaved, and the cost counters on the same journey mix. Writes
 * bench/experiments.json, which BENCHMARKS.md quotes. Not part of `npm run bench`:
 *
 *   node bench/experiments.mjs [--runs=4] [--only=release-1,current]
 *
 * Variants and patches: bench/lib/patches.mjs. Writes bench/experiments.json only for a full run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchCost } from './cost.mjs';
import { benchIngest } from './ingest.mjs';
import { createClient } from './lib/http.mjs';
import { PATCHES, VARIANTS, patchedCopy } from './lib/patches.mjs';
import { loadAverage, revision } from './lib/machine.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { startRuntime } from './lib/runtime.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const RUNS = Number(args.runs ?? 4);

const log = (line) => console.error(`[experiments] ${line}`);
const only = args.only ? new Set(args.only.split(',')) : null;
const root = mkdtempSync(join(tmpdir(), 'leadedge-experiments-'));
const results = { at: new Date().toISOString(), revision: revision(), loadBefore: loadAverage(), runs: RUNS, patches: Object.fromEntries(Object.entries(PATCHES).map(([k, v]) => [k, { what: v.what, applied: v.applied }])), variants: [] };
const cells = [
  { events: 1, concurrency: 1, count: 300 },
  { events: 20, concurrency: 1, count: 150 },
];
const receiver = await startReceiver();
const bl = await (async () => {
  const runtime = await startRuntime({ kind: 'baseline' });
  return { runtime, client: createClient(runtime.url) };
})();
try {
  for (const variant of VARIANTS.filter((v) => !only || only.has(v.name))) {
    const entry = patchedCopy(root, variant);
    const timed = await startRuntime({ kind: 'leadedge', entry });
    const le = { runtime: timed, client: createClient(timed.url) };
    const counted = await startRuntime({ kind: 'leadedge', entry, count: true });
    const ce = { runtime: counted, client: createClient(counted.url) };
    try {
      const ingest = await benchIngest({ pair: async () => ({ le, bl, close: async () => {} }), pairs: 1, runs: RUNS, scale: 1, log: () => {}, cells });
      const cost = await benchCost({ le: ce, receiver, visitors: 100, log: () => {} });
      const row = {
        name: variant.name,
        ref: variant.ref ?? null,
        patches: variant.patches,
        ingest: ingest.cells.map((c) => ({ events: c.events, p50: c.le.p50.median, baselineP50: c.bl.p50.median, p50Ratio: c.p50Ratio, cpu: c.le.cpu.median, baselineCpu: c.bl.cpu.median })),
        rowsWrittenPerEvent: cost.perEvent.rowsWritten,
        doRequestsPerEvent: cost.perEvent.doRequests,
        dollarsPerMillion: cost.dollars.total,
        bytesPerVisitor: cost.bytesPerVisitor,
      };
      results.variants.push(row);
      log(`${variant.name}: single p50 ${row.ingest[0].p50Ratio.median.toFixed(2)}x, batch-20 p50 ${row.ingest[1].p50Ratio.median.toFixed(2)}x, ${row.rowsWrittenPerEvent.toFixed(2)} rows/event, ${row.doRequestsPerEvent.toFixed(3)} DO req/event, $${row.dollarsPerMillion.toFixed(2)}/M events, ${row.bytesPerVisitor} B/visitor`);
    } finally {
      le.client.close();
      ce.client.close();
      await timed.close();
      await counted.close();
    }
  }
} finally {
  bl.client.close();
  await bl.runtime.close();
  await receiver.close();
  rmSync(root, { recursive: true, force: true });
}
results.loadAfter = loadAverage();
if (!only) writeFileSync('bench/experiments.json', `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
