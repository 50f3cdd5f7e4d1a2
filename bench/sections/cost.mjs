/**
 * Cost per million events: a seeded mix of visitor journeys (most browse anonymously, some identify, a
 * few become MQL or SQL) is sent to a LeadEdge runtime that counts (bench/harness/leadedge-entry.ts with
 * BENCH_COUNT=1) Worker requests, Durable Object requests (RPC calls and alarms), SQL rows written and
 * read, and alarm writes; workerd's CPU time and each visitor's database size are read too. The counts
 * per event are priced at Cloudflare's list prices (bench/lib/prices.mjs).
 */
import { closedLoop } from '../lib/http.mjs';
import { batch, pageView } from '../lib/events.mjs';
import { CLOUDFLARE as P, PRICES_READ, SOURCES } from '../lib/prices.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { createBenchSite } from '../lib/site.mjs';
import { bytes, fmt, median, seededRandom, sleep } from '../lib/stats.mjs';

const SITE = 'bench-cost';
/** Not measured: an object is billed while active, about one ingest, plus the wait on a webhook receiver on the internet. */
const ACTIVE_MS_PER_REQUEST = 5;
const WEBHOOK_WAIT_MS = 300;

/** One visitor's beacons (one per page, as the SDK sends them): 70% browse, 20% identify and download, 7% reach MQL, 3% request a demo. */
function journey(aid, random) {
  const r = random();
  const kind = r < 0.7 ? 'browse' : r < 0.9 ? 'known' : r < 0.97 ? 'mql' : 'sql';
  let n = 0;
  const ev = (type, extra = {}) => ({ id: `${aid}-${n++}`, type, ts: Date.now(), url: 'https://www.example.com/x', ...extra });
  const pages = (k) => Array.from({ length: k }, () => [pageView(`${aid}-${n++}`, Math.floor(random() * 6))]);
  const beacons = pages(1 + Math.floor(random() * 6));
  if (random() < 0.2) beacons.push([ev('cta_click', { ctaId: 'read-blog' }), pageView(`${aid}-${n++}`, 2)]);
  if (kind === 'browse') return beacons;
  beacons.push([ev('identify', { traits: { email: `${aid}@acme.io`, name: 'Ana Lima', company: 'Acme', title: 'VP Marketing' } }), ev('download', { topics: ['analytics'] })]);
  beacons.push(...pages(1 + Math.floor(random() * 3)));
  if (kind === 'known') return beacons;
  beacons.push([ev('webinar_signup', { topics: ['analytics'] })], ...pages(1));
  return kind === 'mql' ? beacons : [...beacons, [ev('demo_request')]];
}

export default {
  name: 'cost',
  title: 'Cost per million events',
  async run({ quick, start, log }) {
    const receiver = await startReceiver();
    const le = await start('leadedge', { count: true });
    await createBenchSite(le.client, SITE, { receiverUrl: receiver.url });
    const random = seededRandom(20261123);
    const journeys = Array.from({ length: quick ? 100 : 300 }, (_, i) => journey(`cost-${i}`, random));
    const events = journeys.flat(2).length;
    await le.client.json('GET', '/__bench/counts?reset');
    const cpu0 = le.cpuMs();
    await closedLoop({
      concurrency: 8,
      count: journeys.length,
      send: async (i) => {
        let last;
        for (const beacon of journeys[i]) {
          last = await le.client.beacon(batch(SITE, `cost-${i}`, beacon));
          if (last.status !== 200) break;
        }
        return last;
      },
    });
    // Outboxes drain right after each commit (webhooks, directory notices): wait until the statement count stops moving.
    for (let k = 0, statements = -1; k < 50; k++) {
      const now = (await le.client.json('GET', '/__bench/counts')).sqlStatements;
      if (now === statements) break;
      statements = now;
      await sleep(200);
    }
    const cpuMs = le.cpuMs() - cpu0;
    const c = await le.client.json('GET', '/__bench/counts');
    const sizes = [];
    for (let i = 0; i < journeys.length; i++) sizes.push((await le.client.json('GET', `/__bench/db-size?site=${SITE}&aid=cost-${i}`)).bytes);
    await receiver.close();

    const doRequests = Object.values(c.doRequests).reduce((a, b) => a + b, 0) + c.alarms;
    const per = { workerRequests: c.workerRequests / events, doRequests: doRequests / events, rowsWritten: (c.rowsWritten + c.alarmWrites) / events, rowsRead: c.rowsRead / events, cpuMs: cpuMs / events, webhooks: receiver.stats.verified / events };
    const gbSeconds = ((per.doRequests * ACTIVE_MS_PER_REQUEST + per.webhooks * WEBHOOK_WAIT_MS) / 1000) * P.doMemoryGb;
    const dollars = {
      'rows written': per.rowsWritten * P.sqlRowsWrittenPerMillion,
      'Worker requests': per.workerRequests * P.workerRequestsPerMillion,
      'DO requests': per.doRequests * P.doRequestsPerMillion,
      'Worker CPU': per.cpuMs * P.workerCpuPerMillionMs,
      'DO duration (estimated)': gbSeconds * P.doDurationPerMillionGbS,
      'rows read': per.rowsRead * P.sqlRowsReadPerMillion,
    };
    const total = Object.values(dollars).reduce((a, b) => a + b, 0);
    log(`cost: ${events} events from ${journeys.length} visitors; ${fmt(per.rowsWritten)} rows written per event; $${fmt(total)} per million events`);
    return { visitors: journeys.length, events, beacons: journeys.flat(1).length, per, byObject: c.doRequests, dollars, total, bytesPerVisitor: median(sizes) };
  },
  targets: (r) => [['Cost per million events (list prices, storage apart)', 'reported', `$${fmt(r.total)} (${fmt(r.per.rowsWritten)} rows written per event)`, null]],
  reading: (r) => {
    const storage = ((1e6 / (r.events / r.visitors)) * r.bytesPerVisitor) / 1024 ** 3 * P.sqlStoragePerGbMonth;
    return (
      `${r.visitors} seeded visitor journeys send ${r.events} events in ${r.beacons} beacons to a runtime that counts what is billed. Per event: ` +
      `${fmt(r.per.workerRequests, 3)} Worker requests, ${fmt(r.per.doRequests, 3)} Durable Object requests (${Object.entries(r.byObject).map(([k, v]) => `${k} ${v}`).join(', ')}), ` +
      `${fmt(r.per.rowsWritten)} rows written (alarm writes included), ${fmt(r.per.rowsRead)} read, ${fmt(r.per.cpuMs)} ms of workerd CPU (an upper bound). Per million events: ` +
      `${Object.entries(r.dollars).map(([k, v]) => `${k} $${fmt(v, 3)}`).join(', ')}. Rows written dominate: a beacon writes its state row, a new visitor its tables' schema ` +
      `and a first-visit notice to a directory shard. Duration assumes ${ACTIVE_MS_PER_REQUEST} ms active per request and ${WEBHOOK_WAIT_MS} ms per webhook. Storage: ` +
      `${bytes(r.bytesPerVisitor)} per visitor (median), $${fmt(storage)} a month for the visitors of a million events. ` +
      `Prices read ${PRICES_READ}: ${SOURCES.join(', ')}.`
    );
  },
};
