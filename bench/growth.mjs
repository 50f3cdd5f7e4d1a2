/**
 * Growth: does a visitor's history make its next event slower or its storage larger?
 * (a) One visitor receives 1 -> 1,000 -> 10,000 -> 20,000 -> 30,000 events (filled in batches of 50). At each
 *     checkpoint, single-event beacons to it are timed alternately with beacons to a fresh control
 *     visitor, and its SQLite database size is read (ctx.storage.sql.databaseSize).
 * (b) 10,000 distinct visitors are created on each side; the same 50 visitors are timed before
 *     and after (drift-corrected against the baseline), and visitors across the 10,000 after.
 */
import { closedLoop } from './lib/http.mjs';
import { batch, pageView, pageViews } from './lib/events.mjs';
import { createBenchSite } from './lib/site.mjs';
import { acrossRuns, median, quantile, sleep } from './lib/stats.mjs';

const SITE = 'bench-growth';
/** Past 10,000 the dedupe window wraps (rows start to be dropped); 20,000 and 30,000 show where storage settles. */
export const CHECKPOINTS = [1, 1_000, 10_000, 20_000, 30_000];
const CHUNK = 250;
const MAX_OPEN_FILES = 3_000;

async function dbSize(le, aid) {
  const q = aid ? `site=${SITE}&aid=${encodeURIComponent(aid)}` : `site=${SITE}`;
  return (await le.client.json('GET', `/__bench/db-size?${q}`)).bytes;
}

async function single(target, aid, id) {
  const res = await target.client.beacon(batch(SITE, aid, [pageView(id, id.length)]));
  if (res.status !== 200) throw new Error(`growth ${target.runtime.kind} ${aid}: ${res.status} ${res.body}`);
  return res.ms;
}

/** (a) One visitor's history. */
async function oneVisitor({ le, runs, singles, checkpoints, log }) {
  const perRun = [];
  for (let run = 0; run < runs; run++) {
    const aid = `grow-${run}-${Date.now().toString(36)}`;
    let n = 0;
    const firstEventMs = await single(le, aid, `${aid}-${n++}`);
    const points = [];
    for (const cp of checkpoints) {
      while (n < cp) {
        const k = Math.min(50, cp - n);
        const events = pageViews(`${aid}-f${n}`, k);
        const res = await le.client.beacon(batch(SITE, aid, events));
        if (res.status !== 200) throw new Error(`growth fill: ${res.status} ${res.body}`);
        n += k;
      }
      const bytes = await dbSize(le, aid);
      const control = `${aid}-ctl-${cp}`;
      await single(le, control, `${control}-0`);
      const aged = [];
      const fresh = [];
      for (let k = 0; k < singles; k++) {
        aged.push(await single(le, aid, `${aid}-${n++}`));
        fresh.push(await single(le, control, `${control}-${k + 1}`));
      }
      points.push({ events: cp, bytes, agedP50: median(aged), agedP99: quantile(aged, 0.99), controlP50: median(fresh) });
    }
    perRun.push({ firstEventMs, points });
    log(`growth run ${run + 1}: ${points.map((p) => `${p.events} ev ${p.agedP50.toFixed(2)} ms/${(p.bytes / 1024).toFixed(0)} KiB`).join(', ')}`);
  }
  return checkpoints.map((cp, i) => {
    const at = perRun.map((r) => r.points[i]);
    return {
      events: cp,
      bytes: acrossRuns(at.map((p) => p.bytes)),
      agedP50: acrossRuns(at.map((p) => p.agedP50)),
      agedP99: acrossRuns(at.map((p) => p.agedP99)),
      controlP50: acrossRuns(at.map((p) => p.controlP50)),
      vsControl: acrossRuns(at.map((p) => p.agedP50 / p.controlP50)),
      vsFirstCheckpoint: acrossRuns(perRun.map((r) => r.points[i].agedP50 / r.points[0].agedP50)),
      firstEventMs: i === 0 ? acrossRuns(perRun.map((r) => r.firstEventMs)) : undefined,
    };
  });
}

/** Latency of `count` single beacons to `pick(i)` visitors on both sides, alternating. */
async function probe(le, bl, count, pick, tag) {
  const a = [];
  const b = [];
  for (let i = 0; i < count; i++) {
    const aid = pick(i);
    a.push(await single(le, aid, `${aid}-${tag}-${i}`));
    b.push(await single(bl, aid, `${aid}-${tag}-${i}`));
  }
  return { le: median(a), leP99: quantile(a, 0.99), bl: median(b), blP99: quantile(b, 0.99) };
}

/**
 * Creates `visitors` visitors on one side, paced: locally, workerd closes an object's database
 * about 5 s after it goes idle, and at ~200 new visitors/s it held ~3,000 open and SQLite failed
 * with SQLITE_NOMEM. So chunks of 250 are sent while fewer than MAX_OPEN_FILES files are open (about
 * two per open object), as if visitors arrived a little more slowly. Returns the seconds spent sending.
 */
async function populate(target, visitors) {
  let done = 0;
  let ms = 0;
  while (done < visitors) {
    for (let waited = 0; target.runtime.openFiles() > MAX_OPEN_FILES && waited < 30_000; waited += 250) await sleep(250);
    const from = done;
    const started = Date.now();
    const chunk = await closedLoop({
      concurrency: 32,
      count: Math.min(CHUNK, visitors - from),
      maxMs: 120_000,
      send: (i) => target.client.beacon(batch(SITE, `pop-${from + i}`, [pageView(`pop-${from + i}-0`, i)])),
    });
    ms += Date.now() - started;
    if (chunk.errors) throw new Error(`growth: creating visitors on ${target.runtime.kind}: ${chunk.errors} errors, first ${chunk.firstError}`);
    done += chunk.completed;
  }
  return ms / 1000;
}

/**
 * (b) Many visitors alive at once: the same 50 warm visitors are timed before and after 10,000
 * others exist (the headline, drift-corrected against the baseline doing the same), and visitors
 * picked across the 10,000 after (most of whose objects are no longer in memory: a cold start
 * on both sides).
 */
async function manyVisitors({ le, bl, visitors, probes, log }) {
  const warm = (i) => `probe-${i % 50}`;
  for (let k = 0; k < 50; k++) {
    await single(le, warm(k), `${warm(k)}-0`);
    await single(bl, warm(k), `${warm(k)}-0`);
  }
  const before = await probe(le, bl, probes, warm, 'before');
  const createSeconds = await populate(le, visitors);
  await populate(bl, visitors);
  log(`growth: ${visitors} visitors created on each side (LeadEdge ${createSeconds.toFixed(1)} s sending, paced)`);
  const afterProbes = await probe(le, bl, probes, warm, 'after-probe');
  const after = await probe(le, bl, probes, (i) => `pop-${(i * 7919) % visitors}`, 'after');
  const siteBytes = await dbSize(le, null);
  return {
    visitors,
    maxOpenFiles: MAX_OPEN_FILES,
    createSeconds,
    createdPerSecond: visitors / createSeconds,
    before,
    afterProbes,
    after,
    /** The same warm visitors, (LeadEdge / baseline after) / (LeadEdge / baseline before): 1.0 means no slowdown. */
    driftCorrected: afterProbes.le / afterProbes.bl / (before.le / before.bl),
    siteObjectBytes: siteBytes,
  };
}

export async function benchGrowth({ le, bl, runs, singles = 40, checkpoints = CHECKPOINTS, visitors = 10_000, probes = 200, log }) {
  await createBenchSite(le.client, SITE);
  const history = await oneVisitor({ le, runs, singles, checkpoints, log });
  const population = await manyVisitors({ le, bl, visitors, probes, log });
  log(
    `growth: per-event p50 at ${checkpoints.at(-2)} events = ${history.at(-2).vsFirstCheckpoint.median.toFixed(2)}x the first checkpoint; ` +
      `${population.visitors} visitors alive: ${population.driftCorrected.toFixed(2)}x (drift-corrected)`,
  );
  return { site: SITE, runs, singles, history, population };
}
