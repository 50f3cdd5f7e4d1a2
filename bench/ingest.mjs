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

export const INGEST_SITE = 'bench-ingest';
const SITE = INGEST_SITE;
/** Distinct visitors requests rotate over: many objects, as in production, few collisions at c=64. */
const VISITORS = 256;

/** The full run's ingest section (`npm run bench`): runs per cell, spread over fresh runtime pairs, and the scale of each cell's count. */
export const FULL_RUN = { runs: 16, pairs: 8, scale: 0.6 };

/** Untimed beacons per runtime before the cells ([events per beacon, count]), after one per visitor. */
const WARM_UP = [
  [1, 1000],
  [20, 1000],
];

export const CELLS = [
  { events: 1, concurrency: 1, count: 1500 },
  { events: 1, concurrency: 16, count: 1200 },
  { events: 1, concurrency: 64, count: 2000 },
  { events: 20, concurrency: 1, count: 750 },
  { events: 20, concurrency: 16, count: 600 },
  { events: 20, concurrency: 64, count: 1000 },
];

/**
 * Two runtimes of the same code can differ by 10-15% in CPU per beacon for as long as they live
 * (bench/cpu.mjs copies), so the runs are spread over `pairs` fresh LeadEdge/baseline pairs: each
 * pair runs every cell `runs / pairs` times, and each cell's figures are taken over all runs.
 * @param {{ pair: () => Promise<{ le: {client, runtime}, bl: {client, runtime}, close: () => Promise<void> }>, pairs: number, runs: number, scale: number, log: (s: string) => void, cells?: typeof CELLS }} ctx
 */
export async function benchIngest({ pair, pairs, runs, scale, log, cells: only = CELLS }) {
  let seq = 0;
  const send = (target, events) => (i) => {
    const aid = `ing-${i % VISITORS}`;
    const body = JSON.stringify(batch(SITE, aid, pageViews(`e${++seq}`, events)));
    return target.client.beacon(body);
  };
  const warmUp = WARM_UP.map(([events, count]) => ({ events, count: Math.max(VISITORS, Math.round(count * scale)) }));
  const per = only.map(() => ({ le: [], bl: [] }));
  const runsPerPair = Math.max(1, Math.round(runs / pairs));
  for (let p = 0; p < pairs; p++) {
    const { le, bl, close } = await pair();
    try {
      await createBenchSite(le.client, SITE);
      // The benchmark measures steady state: every visitor object exists in both runtimes, and both have run every
      // cell's beacon shape long enough for V8 to optimize it (it keeps compiling a new shape for over a thousand
      // beacons, on the core the load generator needs; bench/native.mjs shows the compile thread).
      for (const target of [le, bl]) {
        for (const { events, count } of [{ events: 1, count: VISITORS }, ...warmUp]) {
          const warm = await closedLoop({ concurrency: 16, count, maxMs: 60_000, send: send(target, events) });
          if (warm.errors) throw new Error(`ingest warm-up on ${target.runtime.kind}: ${warm.firstError}`);
        }
      }
      for (const [k, cell] of only.entries()) {
        const count = Math.max(20, Math.round(cell.count * scale));
        for (let run = 0; run < runsPerPair; run++) {
          const order = (p * runsPerPair + run) % 2 === 0 ? ['le', 'bl'] : ['bl', 'le'];
          for (const which of order) {
            const target = which === 'le' ? le : bl;
            // Untimed warm-up so each run starts with warm connections and objects.
            await closedLoop({ concurrency: cell.concurrency, count: cell.concurrency * 2, maxMs: 5_000, send: send(target, cell.events) });
            const cpu0 = target.runtime.cpuMs();
            const r = await closedLoop({ concurrency: cell.concurrency, count, maxMs: 15_000, send: send(target, cell.events) });
            const cpu = target.runtime.cpuMs() - cpu0;
            if (r.errors) throw new Error(`ingest ${which} ${JSON.stringify(cell)}: ${r.errors} errors, first: ${r.firstError}`);
            per[k][which].push({
              p50: quantile(r.latencies, 0.5),
              p99: quantile(r.latencies, 0.99),
              rps: (r.completed / r.elapsedMs) * 1000,
              cpuMsPerRequest: cpu / r.completed,
              n: r.completed,
            });
          }
        }
      }
      log(`ingest: runtime pair ${p + 1}/${pairs} done`);
    } finally {
      await close();
    }
  }

  const cells = only.map((cell, k) => {
    const { le, bl } = per[k];
    const pick = (runs, key) => acrossRuns(runs.map((x) => x[key]));
    const result = {
      ...cell,
      count: Math.max(20, Math.round(cell.count * scale)),
      le: { p50: pick(le, 'p50'), p99: pick(le, 'p99'), rps: pick(le, 'rps'), cpu: pick(le, 'cpuMsPerRequest') },
      bl: { p50: pick(bl, 'p50'), p99: pick(bl, 'p99'), rps: pick(bl, 'rps'), cpu: pick(bl, 'cpuMsPerRequest') },
      p50Ratio: acrossRuns(le.map((x, i) => x.p50 / bl[i].p50)),
      p99Ratio: acrossRuns(le.map((x, i) => x.p99 / bl[i].p99)),
    };
    log(
      `ingest ${cell.events === 1 ? 'single' : `batch ${cell.events}`} c=${cell.concurrency}: ` +
        `p50 ${result.le.p50.median.toFixed(2)} vs ${result.bl.p50.median.toFixed(2)} ms (${result.p50Ratio.median.toFixed(2)}x), ` +
        `p99 ${result.le.p99.median.toFixed(2)} vs ${result.bl.p99.median.toFixed(2)} ms, ` +
        `${Math.round(result.le.rps.median)} vs ${Math.round(result.bl.rps.median)} req/s`,
    );
    return result;
  });
  return { site: SITE, visitors: VISITORS, warmUp, runs: runsPerPair * pairs, pairs, cells, worstP50Ratio: Math.max(...cells.map((c) => c.p50Ratio.median)) };
}
