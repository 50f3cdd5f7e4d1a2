/**
 * Handoff: a demo request sent -> the signed `lead.demo_requested` webhook verified by a local
 * receiver. Each sample is a known visitor (identified beforehand, untimed) who requests a demo;
 * the clock starts just before the beacon is sent and stops when the verified webhook arrives.
 * The floor, interleaved sample by sample: the baseline object writes its counter and POSTs to
 * the same receiver (unsigned) after answering.
 */
import { performance } from 'node:perf_hooks';
import { batch, pageView } from './lib/events.mjs';
import { ADMIN_TOKEN } from './lib/runtime.mjs';
import { createBenchSite } from './lib/site.mjs';
import { summarize } from './lib/stats.mjs';

const SITE = 'bench-handoff';

export async function benchHandoff({ le, bl, receiver, samples, log }) {
  await createBenchSite(le.client, SITE, { receiverUrl: receiver.url });
  const le50 = [];
  const leFirst = [];
  const leResponse = [];
  const floor = [];
  for (let i = 0; i < samples; i++) {
    const aid = `ho-${i}`;
    const now = Date.now();
    // Untimed: the visitor reads a page and identifies (becomes known; the object exists).
    await le.client.json('POST', '/v1/collect', batch(SITE, aid, [
      pageView(`${aid}-p`, 2, now),
      { id: `${aid}-i`, type: 'identify', ts: now, url: 'https://www.example.com/ebook', traits: { email: `${aid}@acme.io`, name: 'Ana Lima', company: 'Acme', title: 'VP Marketing' } },
    ]), { authorization: `Bearer ${ADMIN_TOKEN}` });

    const demo = receiver.waitFor((p) => p.type === 'lead.demo_requested' && p.data?.visitor?.id === aid);
    const first = receiver.waitFor((p) => p.data?.visitor?.id === aid);
    const t0 = performance.now();
    const res = await le.client.beacon(batch(SITE, aid, [{ id: `${aid}-d`, type: 'demo_request', ts: Date.now(), url: 'https://www.example.com/demo' }]));
    const answered = performance.now();
    if (res.status !== 200) throw new Error(`handoff beacon: ${res.status} ${res.body}`);
    const [d, f] = await Promise.all([demo, first]);
    if (!d.verified) throw new Error('handoff: webhook signature did not verify');
    le50.push(d.at - t0);
    leFirst.push(f.at - t0);
    leResponse.push(answered - t0);

    const fid = `fl-${i}`;
    // Untimed: create the floor's object too, so both sides time an existing object.
    await bl.client.json('POST', '/v1/collect', batch(SITE, fid, [pageView(`${fid}-0`, 0)]));
    const got = receiver.waitFor((p) => p.id === fid);
    const b0 = performance.now();
    const r = await bl.client.post(`/v1/collect?notify=${encodeURIComponent(`${receiver.url}/unsigned`)}`, batch(SITE, fid, [pageView(fid, 0)]));
    if (r.status !== 200) throw new Error(`handoff floor: ${r.status} ${r.body}`);
    floor.push((await got).at - b0);
  }
  const result = {
    samples,
    demoAlert: summarize(le50),
    firstWebhook: summarize(leFirst),
    beaconAnswered: summarize(leResponse),
    floor: summarize(floor),
    receiver: { ...receiver.stats },
  };
  log(
    `handoff: demo alert p50 ${result.demoAlert.p50.toFixed(2)} ms, p99 ${result.demoAlert.p99.toFixed(2)} ms ` +
      `(first webhook p50 ${result.firstWebhook.p50.toFixed(2)}; floor p50 ${result.floor.p50.toFixed(2)}, p99 ${result.floor.p99.toFixed(2)} ms)`,
  );
  return result;
}
