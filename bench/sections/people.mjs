/**
 * People: a linked browser's beacon (one of a person's two browsers, carrying the person hint the SDK
 * keeps, so it goes straight to the person's object) against the bare Worker -> Durable Object hop, timed
 * as the ingest section times its cells; and the time a browser with 10,000 events takes to join a person
 * with 10,000 events (the identify beacon that merges it, round trip: an upper bound on the object's share).
 */
import { performance } from 'node:perf_hooks';
import { closedLoop } from '../lib/http.mjs';
import { batch, pageViews } from '../lib/events.mjs';
import { createBenchSite } from '../lib/site.mjs';
import { bootstrapMedian, fmt, median, quantile } from '../lib/stats.mjs';

const TARGET = 1.5;
const MERGE_TARGET_MS = 50;
const SITE = 'bench-people';
const PEOPLE = 128;
const CELLS = [{ concurrency: 1, count: 400 }, { concurrency: 16, count: 800 }];
const SIZE = { full: { pairs: 4, runsPerPair: 3, merges: 5 }, quick: { pairs: 1, runsPerPair: 1, merges: 2 } };

const identify = (id, email) => ({ id, type: 'identify', ts: Date.now(), url: 'https://www.example.com/signup', path: '/signup', traits: { email } });
/** A beacon as the SDK writes it for a linked browser: the person hint right after anonymousId. */
const linked = (aid, person, events) => {
  const { site, anonymousId, ...rest } = batch(SITE, aid, events);
  return { site, anonymousId, person, ...rest };
};

async function personOf(le, aid, email) {
  const res = await le.client.beacon(batch(SITE, aid, [identify(`${aid}-i`, email)]));
  if (res.status !== 200) throw new Error(`people: identify ${res.status} ${res.body}`);
  return JSON.parse(res.body).person;
}

/** A browser with `events` page views (in batches of 20), then its identify; returns the identify's round trip. */
async function browserWithHistory(le, aid, events, email) {
  await closedLoop({ concurrency: 8, count: events / 20, send: (i) => le.client.beacon(batch(SITE, aid, pageViews(`${aid}-${i}`, 20))) });
  const t0 = performance.now();
  const res = await le.client.beacon(batch(SITE, aid, [identify(`${aid}-i`, email)]));
  if (res.status !== 200) throw new Error(`people: merge ${res.status} ${res.body}`);
  return performance.now() - t0;
}

export default {
  name: 'people',
  title: "People: a linked browser's beacon, and a merge",
  async run({ quick, start, log }) {
    const { pairs, runsPerPair, merges } = SIZE[quick ? 'quick' : 'full'];
    let seq = 0;
    const runs = CELLS.map(() => []);
    const mergeMs = [];
    for (let p = 0; p < pairs; p++) {
      const sides = { le: await start('leadedge'), bl: await start('baseline') };
      await createBenchSite(sides.le.client, SITE);
      // PEOPLE persons of two browsers each; the timed beacons come from their second browsers.
      const hints = [];
      for (let i = 0; i < PEOPLE; i++) {
        await personOf(sides.le, `pa-${i}`, `p${i}@bench.example`);
        hints.push(await personOf(sides.le, `pb-${i}`, `p${i}@bench.example`));
      }
      if (hints.some((h) => !/^p~/.test(h ?? ''))) throw new Error('people: a browser was not linked');
      const send = (target) => (i) => target.client.beacon(linked(`pb-${i % PEOPLE}`, hints[i % PEOPLE], pageViews(`q${++seq}`, 1)));
      for (const target of Object.values(sides)) await closedLoop({ concurrency: 16, count: PEOPLE * 4, send: send(target) });
      for (const [k, cell] of CELLS.entries()) {
        for (let r = 0; r < runsPerPair; r++) {
          const run = {};
          for (const side of (p * runsPerPair + r) % 2 ? ['bl', 'le'] : ['le', 'bl']) {
            const { latencies } = await closedLoop({ concurrency: cell.concurrency, count: quick ? cell.count / 4 : cell.count, send: send(sides[side]) });
            run[side] = quantile(latencies, 0.5);
          }
          runs[k].push(run);
        }
      }
      // Merges: X (10,000 events) owns the email, Y (10,000) makes it a person, Z (10,000) joins it: Z's identify is timed.
      for (let m = p; m < merges; m += pairs) {
        const email = `m${m}@bench.example`;
        await browserWithHistory(sides.le, `mx-${m}`, 10_000, email);
        await browserWithHistory(sides.le, `my-${m}`, 10_000, email);
        mergeMs.push(await browserWithHistory(sides.le, `mz-${m}`, 10_000, email));
      }
      await Promise.all(Object.values(sides).map((s) => s.close()));
      log(`people: runtime pair ${p + 1}/${pairs} done`);
    }
    return {
      runs: pairs * runsPerPair,
      cells: CELLS.map((cell, k) => ({ ...cell, ratio: bootstrapMedian(runs[k].map((r) => r.le / r.bl)), le: median(runs[k].map((r) => r.le)), bl: median(runs[k].map((r) => r.bl)) })),
      merge: { p50: median(mergeMs), max: Math.max(...mergeMs), n: mergeMs.length },
    };
  },
  targets: ({ cells, merge }) => [
    ...cells.map((c) => [`Ingest p50 vs baseline, linked browser, single event, c=${c.concurrency}`, `≤ ${TARGET}x`, `${fmt(c.ratio.median)}x (${fmt(c.ratio.low)}-${fmt(c.ratio.high)})`, c.ratio.median <= TARGET]),
    ['Merge: a browser of 10,000 events joins a person of 20,000 (two browsers of 10,000; identify round trip)', `< ${MERGE_TARGET_MS} ms`, `${fmt(merge.p50)} ms p50, ${fmt(merge.max)} ms max (${merge.n} merges)`, merge.max < MERGE_TARGET_MS],
  ],
  reading: ({ cells, runs, merge }) =>
    `A linked browser's beacon carries the person id the SDK was given, so the Worker routes it straight to the person's object: one hop, as for a lone visitor. ` +
    `Over ${runs} interleaved runs per cell (${PEOPLE} persons of two browsers), a single event took ${fmt(cells[0].le)} ms at p50 against ${fmt(cells[0].bl)} ms for the hop at c=1. ` +
    `The person folds the event into its browser's part and scores the sum of its parts, so the work per beacon does not grow with the person's browsers beyond one addition of bounded aggregates. ` +
    `A merge of a browser with 10,000 events into a person with 20,000 (two browsers of 10,000) took ${fmt(merge.p50)} ms p50 (${fmt(merge.max)} ms max) for the whole identify beacon: the identifier's claim in its ` +
    `directory shard, the hand-over (bounded: the browser's aggregates, at most about 400 timeline entries and its 10,000 dedupe ids) and the person's commit.`,
};
