/**
 * Ingest: POST /v1/collect round trips over loopback against LeadEdge and against the baseline
 * (Worker -> Durable Object, one counter write), at concurrency 1, 16 and 64, single events and
 * batches of 20. Runs alternate A/B and B/A so drift hits both; each cell reports the median over
 * runs of p50, p99 and throughput, and the median (and range) of the per-run p50 ratio.
 */
import { closedLoop } from './lib/http.mjs';
import { batch, pageViews } from './lib/events.mjs';
import { createBenchSite } from './lib/site.mjs';
import { acrossRuns, quantile } from './lib/stats.mjs';

const SITE = 'bench-ingest';
/** Distinct visitors requests rotate over: many objects, as in production, few collisions at c=64. */
const VISITORS = 256;

export const CELLS = [
  { events: 1, concurrency: 1, count: 1500 },
  { events: 1, concurrency: 16, count: 1200 },
  { events: 1, concurrency: 64, count: 2000 },
  { events: 20, concurrency: 1, count: 750 },
  { events: 20, concurrency: 16, count: 600 },
  { events: 20, concurrency: 64, count: 1000 },
];

/**
 * @param {{ le: {client, runtime}, bl: {client, runtime}, runs: number, scale: number, log: (s: string) => void, cells?: typeof CELLS }} ctx
 */
export async function benchIngest({ le, bl, runs, scale, log, cells: only = CELLS }) {
  await createBenchSite(le.client, SITE);
  let seq = 0;
  const send = (target, events) => (i) => {
    const aid = `ing-${i % VISITORS}`;
    const body = JSON.stringify(batch(SITE, aid, pageViews(`e${++seq}`, events)));
    return target.client.beacon(body);
  };

  // Create every visitor object in both runtimes first: the benchmark measures steady state.
  for (const target of [le, bl]) {
    const warm = await closedLoop({ concurrency: 16, count: VISITORS, maxMs: 60_000, send: send(target, 1) });
    if (warm.errors) throw new Error(`ingest warm-up on ${target.runtime.kind}: ${warm.firstError}`);
  }

  const cells = [];
  for (const cell of only) {
    const count = Math.max(20, Math.round(cell.count * scale));
    const per = { le: [], bl: [] };
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? ['le', 'bl'] : ['bl', 'le'];
      for (const which of order) {
        const target = which === 'le' ? le : bl;
        // Untimed warm-up so each run starts with warm connections and objects.
        await closedLoop({ concurrency: cell.concurrency, count: cell.concurrency * 2, maxMs: 5_000, send: send(target, cell.events) });
        const cpu0 = target.runtime.cpuMs();
        const r = await closedLoop({ concurrency: cell.concurrency, count, maxMs: 15_000, send: send(target, cell.events) });
        const cpu = target.runtime.cpuMs() - cpu0;
        if (r.errors) throw new Error(`ingest ${which} ${JSON.stringify(cell)}: ${r.errors} errors, first: ${r.firstError}`);
        per[which].push({
          p50: quantile(r.latencies, 0.5),
          p99: quantile(r.latencies, 0.99),
          rps: (r.completed / r.elapsedMs) * 1000,
          cpuMsPerRequest: cpu / r.completed,
          n: r.completed,
        });
      }
    }
    const pick = (which, key) => acrossRuns(per[which].map((x) => x[key]));
    const result = {
      ...cell,
      count,
      le: { p50: pick('le', 'p50'), p99: pick('le', 'p99'), rps: pick('le', 'rps'), cpu: pick('le', 'cpuMsPerRequest') },
      bl: { p50: pick('bl', 'p50'), p99: pick('bl', 'p99'), rps: pick('bl', 'rps'), cpu: pick('bl', 'cpuMsPerRequest') },
      p50Ratio: acrossRuns(per.le.map((x, k) => x.p50 / per.bl[k].p50)),
      p99Ratio: acrossRuns(per.le.map((x, k) => x.p99 / per.bl[k].p99)),
    };
    cells.push(result);
    log(
      `ingest ${cell.events === 1 ? 'single' : `batch ${cell.events}`} c=${cell.concurrency}: ` +
        `p50 ${result.le.p50.median.toFixed(2)} vs ${result.bl.p50.median.toFixed(2)} ms (${result.p50Ratio.median.toFixed(2)}x), ` +
        `p99 ${result.le.p99.median.toFixed(2)} vs ${result.bl.p99.median.toFixed(2)} ms, ` +
        `${Math.round(result.le.rps.median)} vs ${Math.round(result.bl.rps.median)} req/s`,
    );
  }
  return { site: SITE, visitors: VISITORS, runs, cells, worstP50Ratio: Math.max(...cells.map((c) => c.p50Ratio.median)) };
}
