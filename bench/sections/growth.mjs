/**
 * Growth: does history make a visitor's next event slower or its storage larger, and do many visitors
 * alive slow the others down?
 * (a) A visitor receives 1 -> 1,000 -> 10,000 -> 20,000 -> 30,000 events (batches of 50). At each checkpoint
 *     single-event beacons to it are timed alternately with beacons to a fresh control visitor, and its
 *     SQLite database size is read. Past 10,000 the dedupe window wraps: 20,000 and 30,000 show it settle.
 * (b) 10,000 visitors are created on each side; once both runtimes are idle again, the same 50 warm
 *     visitors are timed as before, alternating with the baseline (drift-corrected against it).
 */
import { closedLoop } from '../lib/http.mjs';
import { batch, pageView, pageViews } from '../lib/events.mjs';
import { createBenchSite } from '../lib/site.mjs';
import { bytes, fmt, median, sleep } from '../lib/stats.mjs';

const TARGET = 1.2;
const SITE = 'bench-growth';
const CHECKPOINTS = [1, 1_000, 10_000, 20_000, 30_000];
/**
 * Locally workerd closes an object's database about 5 s after it goes idle; creating ~200 visitors/s it
 * held ~3,000 open and SQLite failed with SQLITE_NOMEM. Visitors are created in chunks while fewer files
 * than this are open (about two per open object), as if they arrived a little more slowly.
 */
const MAX_OPEN_FILES = 3_000;

const dbSize = async (le, aid) => (await le.client.json('GET', `/__bench/db-size?site=${SITE}&aid=${aid}`)).bytes;
async function single(target, aid, id) {
  const res = await target.client.beacon(batch(SITE, aid, [pageView(id, id.length)]));
  if (res.status !== 200) throw new Error(`growth ${target.kind} ${aid}: ${res.status} ${res.body}`);
  return res.ms;
}

/** Median latencies of `count` single beacons to `aid(i)` on sides `a` and `b`, alternating. */
async function alternate(a, b, count, aid, tag) {
  const [x, y] = [[], []];
  for (let i = 0; i < count; i++) {
    x.push(await single(a, aid(i, 'a'), `${aid(i, 'a')}-${tag}-${i}`));
    y.push(await single(b, aid(i, 'b'), `${aid(i, 'b')}-${tag}-${i}`));
  }
  return { a: median(x), b: median(y) };
}

async function history(le, runs, singles, log) {
  const points = CHECKPOINTS.map(() => ({ bytes: [], vsControl: [] }));
  for (let run = 0; run < runs; run++) {
    const aid = `grow-${run}`;
    let n = 0;
    for (const [k, cp] of CHECKPOINTS.entries()) {
      for (; n < cp; n += Math.min(50, cp - n)) {
        const res = await le.client.beacon(batch(SITE, aid, pageViews(`${aid}-f${n}`, Math.min(50, cp - n))));
        if (res.status !== 200) throw new Error(`growth fill: ${res.status} ${res.body}`);
      }
      points[k].bytes.push(await dbSize(le, aid));
      const control = `${aid}-ctl-${cp}`;
      await single(le, control, `${control}-0`); // untimed: the control's object exists before it is timed
      const t = await alternate(le, le, singles, (i, side) => (side === 'a' ? aid : control), `cp${cp}`);
      points[k].vsControl.push(t.a / t.b);
      n += singles;
    }
    log(`growth run ${run + 1}: ${CHECKPOINTS.map((cp, k) => `${cp} ev ${fmt(points[k].vsControl[run])}x/${bytes(points[k].bytes[run])}`).join(', ')}`);
  }
  return CHECKPOINTS.map((events, k) => ({ events, bytes: median(points[k].bytes), vsControl: median(points[k].vsControl) }));
}

/** Creates `visitors` one-event visitors on one side, paced by the files workerd holds open. */
async function populate(target, visitors) {
  for (let done = 0; done < visitors; done += 250) {
    for (let waited = 0; target.openFiles() > MAX_OPEN_FILES && waited < 30_000; waited += 250) await sleep(250);
    await closedLoop({ concurrency: 32, count: Math.min(250, visitors - done), maxMs: 120_000, send: (i) => target.client.beacon(batch(SITE, `pop-${done + i}`, [pageView(`pop-${done + i}-0`, i)])) });
  }
}

/** Waits (up to 30 s) until each runtime used under 50 ms of CPU in a second: the arrivals' own work (outboxes, closing files) is done. */
async function settle(...targets) {
  for (let k = 0; k < 30; k++) {
    const cpu = targets.map((t) => t.cpuMs());
    await sleep(1000);
    if (targets.every((t, i) => t.cpuMs() - cpu[i] < 50)) return;
  }
}

export default {
  name: 'growth',
  title: 'Growth: history and population',
  async run({ quick, start, log }) {
    const [le, bl] = [await start('leadedge'), await start('baseline')];
    await createBenchSite(le.client, SITE);
    const points = await history(le, quick ? 1 : 3, 40, log);
    const visitors = quick ? 1_000 : 10_000;
    const probes = quick ? 100 : 600; // many: the ratio of two ratios of medians is noisy on a shared machine
    const warm = (i) => `probe-${i % 50}`;
    await alternate(le, bl, 1000, warm, 'warm'); // untimed: V8 optimizes a beacon's path over its first ~1,000 (LeadEdge's ran above)
    const before = await alternate(le, bl, probes, warm, 'before');
    const started = Date.now();
    await Promise.all([populate(le, visitors), populate(bl, visitors)]); // untimed, both sides at once
    const perSecond = visitors / ((Date.now() - started) / 1000);
    await settle(le, bl);
    await alternate(le, bl, 50, warm, 'rewarm'); // untimed: the 50 went idle (and were evicted) meanwhile
    const after = await alternate(le, bl, probes, warm, 'after');
    const cold = await alternate(le, bl, 200, (i) => `pop-${(i * 7919) % visitors}`, 'cold');
    const population = { visitors, perSecond, before, after, cold, driftCorrected: after.a / after.b / (before.a / before.b) };
    log(`growth: ${visitors} visitors alive: ${fmt(population.driftCorrected)}x drift-corrected (p50 before ${fmt(before.a)} / ${fmt(before.b)} ms, after ${fmt(after.a)} / ${fmt(after.b)} ms)`);
    return { points, population };
  },
  targets: ({ points, population: p }) => {
    const at10k = points.find((x) => x.events === 10_000);
    const [settled, last] = points.slice(-2);
    return [
      ['Growth: per-event p50 after 10,000 events vs a fresh visitor', `≤ ${TARGET}x`, `${fmt(at10k.vsControl)}x`, at10k.vsControl <= TARGET],
      [`Growth: storage per visitor, ${fmt(settled.events, 0)} -> ${fmt(last.events, 0)} events`, 'flat (≤ 1.1x)', `${bytes(settled.bytes)} -> ${bytes(last.bytes)}`, last.bytes <= settled.bytes * 1.1],
      [`Growth: p50 with ${fmt(p.visitors, 0)} visitors alive vs 50`, `flat (≤ ${TARGET}x)`, `${fmt(p.driftCorrected)}x`, p.driftCorrected <= TARGET],
    ];
  },
  reading: ({ points, population: p }) =>
    `A visitor's beacon takes ${points.map((x) => `${fmt(x.vsControl)}x`).join(', ')} a fresh visitor's after ${points.map((x) => fmt(x.events, 0)).join(', ')} events ` +
    `(timed alternately, median over visitors): every table is bounded and looked up by key. Its database holds ${points.map((x) => bytes(x.bytes)).join(', ')}: ` +
    `the 10,000-id dedupe window bounds it, and once the window wraps, freed pages are reused. With ${fmt(p.visitors, 0)} visitors created on each side ` +
    `(${fmt(p.perSecond, 0)} new visitors/s on each side at once, paced to keep each workerd under ${fmt(MAX_OPEN_FILES / 2, 0)} open objects), 50 warm visitors answer in ${fmt(p.after.a)} ms at p50 ` +
    `(${fmt(p.before.a)} ms before; baseline ${fmt(p.after.b)} and ${fmt(p.before.b)} ms): ${fmt(p.driftCorrected)}x drift-corrected. A visitor whose object was evicted ` +
    `pays a cold start, ${fmt(p.cold.a)} ms against ${fmt(p.cold.b)} ms for the baseline's.`,
};
