/**
 * Cost: a deterministic mix of visitor journeys (most browse anonymously, some identify, a few
 * become MQL or SQL) is sent to an instrumented LeadEdge that counts Worker requests, Durable
 * Object requests (RPC calls and alarms), SQL rows written and read (cursor.rowsWritten/rowsRead)
 * and alarm writes; workerd's CPU time and each visitor's database size are read too. The counts
 * per event become dollars per million events at Cloudflare's list prices.
 */
import { closedLoop } from './lib/http.mjs';
import { batch, pageView } from './lib/events.mjs';
import { ALTERNATIVES, CLOUDFLARE as P } from './lib/prices.mjs';
import { createBenchSite } from './lib/site.mjs';
import { median, seededRandom, sleep } from './lib/stats.mjs';

const SITE = 'bench-cost';

/**
 * One visitor's beacons, each an array of events (one beacon per page, as the SDK sends them):
 * 70% browse 1-6 pages; 20% also identify and download; 7% go on to a webinar (MQL);
 * 3% go on to request a demo (SQL).
 */
export function journey(aid, random) {
  const r = random();
  const kind = r < 0.7 ? 'browse' : r < 0.9 ? 'known' : r < 0.97 ? 'mql' : 'sql';
  const now = Date.now();
  let n = 0;
  const ev = (type, extra = {}) => ({ id: `${aid}-${n++}`, type, ts: now, url: 'https://www.example.com/x', ...extra });
  const pages = (k) => Array.from({ length: k }, () => [pageView(`${aid}-${n++}`, Math.floor(random() * 6), now)]);
  const beacons = pages(1 + Math.floor(random() * 6));
  // A click on a call to action travels with the next page view, one visitor in five.
  if (random() < 0.2) beacons.push([ev('cta_click', { ctaId: 'read-blog' }), pageView(`${aid}-${n++}`, 2, now)]);
  if (kind === 'browse') return { kind, beacons };
  beacons.push([ev('identify', { traits: { email: `${aid}@acme.io`, name: 'Ana Lima', company: 'Acme', title: 'VP Marketing' } }), ev('download', { topics: ['analytics'] })]);
  beacons.push(...pages(1 + Math.floor(random() * 3)));
  if (kind === 'known') return { kind, beacons };
  beacons.push([ev('webinar_signup', { topics: ['analytics'] })], ...pages(1));
  if (kind === 'mql') return { kind, beacons };
  beacons.push([ev('demo_request')]);
  return { kind, beacons };
}

export async function benchCost({ le, receiver, visitors, log }) {
  await createBenchSite(le.client, SITE, { receiverUrl: receiver.url });
  const random = seededRandom(20261123);
  const journeys = Array.from({ length: visitors }, (_, i) => journey(`cost-${i}`, random));
  const kinds = {};
  for (const j of journeys) kinds[j.kind] = (kinds[j.kind] ?? 0) + 1;
  const events = journeys.reduce((s, j) => s + j.beacons.reduce((t, b) => t + b.length, 0), 0);
  const beacons = journeys.reduce((s, j) => s + j.beacons.length, 0);
  const received0 = receiver.stats.verified;

  await le.client.json('GET', '/__bench/counts?reset');
  const cpu0 = le.runtime.cpuMs();
  // Eight visitors at a time, each visitor's beacons in order.
  const run = await closedLoop({
    concurrency: 8,
    count: journeys.length,
    maxMs: 240_000,
    send: async (i) => {
      const aid = `cost-${i}`;
      let last;
      for (const events of journeys[i].beacons) {
        last = await le.client.beacon(batch(SITE, aid, events));
        if (last.status !== 200) return last;
      }
      return last;
    },
  });
  if (run.errors) throw new Error(`cost: ${run.errors} failed journeys, first: ${run.firstError}`);
  // Let the outboxes drain (webhooks and site notices are sent right after each commit).
  for (let k = 0; k < 50 && (await pendingWork(le)) > 0; k++) await sleep(100);
  await sleep(500);
  const cpuMs = le.runtime.cpuMs() - cpu0;
  const counts = await le.client.json('GET', '/__bench/counts?reset');

  const sizes = [];
  for (let i = 0; i < journeys.length; i++) {
    sizes.push((await le.client.json('GET', `/__bench/db-size?site=${SITE}&aid=cost-${i}`)).bytes);
  }
  const siteBytes = (await le.client.json('GET', `/__bench/db-size?site=${SITE}`)).bytes;

  const doRequests = Object.values(counts.doRequests).reduce((a, b) => a + b, 0) + counts.alarms;
  const configReads = counts.doRequests['SiteObject.getConfig'] ?? 0;
  const per = (x) => x / events;
  const webhooks = receiver.stats.verified - received0;
  const perEvent = {
    workerRequests: per(counts.workerRequests),
    doRequests: per(doRequests),
    doRequestsExcludingConfig: per(doRequests - configReads),
    rowsWritten: per(counts.rowsWritten + counts.setAlarm + counts.deleteAlarm),
    sqlRowsWritten: per(counts.rowsWritten),
    alarmWrites: per(counts.setAlarm + counts.deleteAlarm),
    rowsRead: per(counts.rowsRead),
    webhooks: per(webhooks),
    cpuMs: per(cpuMs),
  };
  const bytesPerVisitor = median(sizes);
  const eventsPerVisitor = events / visitors;
  const dollars = dollarsPerMillion(perEvent, { bytesPerVisitor, eventsPerVisitor });
  log(
    `cost: ${events} events in ${beacons} beacons from ${visitors} visitors; per event ${perEvent.doRequests.toFixed(3)} DO requests, ` +
      `${perEvent.rowsWritten.toFixed(2)} rows written; $${dollars.total.toFixed(2)} per million events (storage excluded)`,
  );
  return {
    visitors,
    kinds,
    events,
    beacons,
    webhooks,
    counts,
    cpuMs,
    perEvent,
    bytesPerVisitor,
    bytesPerVisitorRange: [Math.min(...sizes), Math.max(...sizes)],
    siteBytes,
    eventsPerVisitor,
    dollars,
    alternatives: ALTERNATIVES,
  };
}

async function pendingWork(le) {
  // No endpoint reports outbox depth; the counters stop moving once deliveries are done.
  const a = await le.client.json('GET', '/__bench/counts');
  await sleep(100);
  const b = await le.client.json('GET', '/__bench/counts');
  return b.sqlStatements - a.sqlStatements;
}

/**
 * Dollars per million events at list prices (beyond the monthly allowances). DO duration is
 * estimated, not measured: objects are billed while active, and a visitor object is active for
 * about one ingest (a few ms, taken as `activeMsPerRequest`) plus the time it waits on a webhook
 * receiver (`webhookWaitMs`, an assumption for a receiver on the internet).
 */
export function dollarsPerMillion(perEvent, { bytesPerVisitor, eventsPerVisitor, activeMsPerRequest = 5, webhookWaitMs = 300 }) {
  const M = 1e6;
  const gbSeconds = (perEvent.doRequests * activeMsPerRequest + perEvent.webhooks * webhookWaitMs) / 1000 * P.doMemoryGb;
  const lines = {
    workerRequests: perEvent.workerRequests * P.workerRequestsPerMillion,
    workerCpu: perEvent.cpuMs * P.workerCpuPerMillionMs,
    doRequests: perEvent.doRequests * P.doRequestsPerMillion,
    doDuration: gbSeconds * P.doDurationPerMillionGbS,
    rowsWritten: perEvent.rowsWritten * P.sqlRowsWrittenPerMillion,
    rowsRead: perEvent.rowsRead * P.sqlRowsReadPerMillion,
  };
  const total = Object.values(lines).reduce((a, b) => a + b, 0);
  // Storage is per visitor kept, per month, not per event: a million events is this many visitors.
  const storagePerMonth = ((M / eventsPerVisitor) * bytesPerVisitor) / 1024 ** 3 * P.sqlStoragePerGbMonth;
  return { lines, total, storagePerMonth, assumptions: { activeMsPerRequest, webhookWaitMs } };
}
