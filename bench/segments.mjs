/**
 * Where a beacon's time goes inside workerd: a copy of worker/ with performance.now() marks at
 * the steps of the collect route and of the visitor object's ingest (bench/lib/segment-marks.mjs
 * inserts them as text; they fail loudly when the code moves), driven with single events and
 * batches of 20 at concurrency 1. Each segment is the time between two marks, averaged over
 * the requests: it includes waiting (the body's bytes, the RPC's delivery), not only CPU.
 *
 *   node bench/segments.mjs            (also a section of `npm run bench`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedLoop, createClient } from './lib/http.mjs';
import { batch, pageViews } from './lib/events.mjs';
import { markedCopy, SEGMENTS } from './lib/segment-marks.mjs';
import { startRuntime } from './lib/runtime.mjs';
import { createBenchSite } from './lib/site.mjs';

const SITE = 'bench-segments';

/** @returns {Promise<{ segments: string[], cells: { events: number, requests: number, us: Record<string, number>, totalUs: number }[] }>} */
export async function benchSegments({ count = 1500, log = () => {} } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'leadedge-segments-'));
  const runtime = await startRuntime({ kind: 'leadedge', entry: markedCopy(root) });
  const client = createClient(runtime.url);
  try {
    await createBenchSite(client, SITE);
    const cells = [];
    let seq = 0;
    for (const events of [1, 20]) {
      const send = (i) => client.beacon(JSON.stringify(batch(SITE, `seg-${events}-${i % 64}`, pageViews(`s${++seq}`, events))));
      await closedLoop({ concurrency: 1, count: 300, maxMs: 60_000, send }); // objects exist, code is optimized
      await client.json('GET', '/__bench/segments?reset');
      const run = await closedLoop({ concurrency: 1, count, maxMs: 120_000, send });
      if (run.errors) throw new Error(`segments: ${run.errors} errors, first: ${run.firstError}`);
      const { n, sums } = await client.json('GET', '/__bench/segments');
      const us = Object.fromEntries(SEGMENTS.map(([name]) => [name, ((sums[name] ?? 0) / n) * 1000]));
      const totalUs = Object.values(us).reduce((a, b) => a + b, 0);
      cells.push({ events, requests: n, us, totalUs });
      log(`segments, ${events} event(s): ${SEGMENTS.map(([name]) => `${name} ${us[name].toFixed(0)}`).join(', ')} µs`);
    }
    return { segments: SEGMENTS.map(([name, what]) => ({ name, what })), cells };
  } finally {
    client.close();
    await runtime.close();
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchSegments({ log: (line) => console.error(`[segments] ${line}`) });
  console.log(JSON.stringify(result, null, 2));
}
