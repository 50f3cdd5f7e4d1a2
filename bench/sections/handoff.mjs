/**
 * Handoff: a demo request sent -> the signed `lead.demo_requested` webhook verified by a local receiver.
 * Each sample is a visitor identified beforehand (untimed) who requests a demo; the clock starts just before
 * the beacon is sent. The floor, sample by sample: the baseline object writes its counter and POSTs
 * (unsigned) to the same receiver after answering.
 */
import { performance } from 'node:perf_hooks';
import { batch, pageView } from '../lib/events.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { ADMIN, createBenchSite } from '../lib/site.mjs';
import { fmt, quantile } from '../lib/stats.mjs';

const TARGET_MS = 100;
const SITE = 'bench-handoff';

export default {
  name: 'handoff',
  title: 'Handoff: demo request -> verified signed webhook',
  async run({ quick, start, log }) {
    const receiver = await startReceiver();
    const [le, bl] = [await start('leadedge'), await start('baseline')];
    // lead.sql goes first on the same endpoint: one visitor's alerts are delivered in order.
    await createBenchSite(le.client, SITE, { receiverUrl: receiver.url });
    const demo = [];
    const answered = [];
    const floor = [];
    try {
      for (let i = 0; i < (quick ? 40 : 150); i++) {
        const aid = `ho-${i}`;
        const identify = { id: `${aid}-i`, type: 'identify', ts: Date.now(), url: 'https://www.example.com/ebook', traits: { email: `${aid}@acme.io`, name: 'Ana Lima', company: 'Acme', title: 'VP Marketing' } };
        await le.client.json('POST', '/v1/collect', batch(SITE, aid, [pageView(`${aid}-p`, 2), identify]), ADMIN);
        const got = receiver.waitFor((p) => p.type === 'lead.demo_requested' && p.data?.visitor?.id === aid);
        const t0 = performance.now();
        const res = await le.client.beacon(batch(SITE, aid, [{ id: `${aid}-d`, type: 'demo_request', ts: Date.now(), url: 'https://www.example.com/demo' }]));
        if (res.status !== 200) throw new Error(`handoff beacon: ${res.status} ${res.body}`);
        answered.push(performance.now() - t0);
        const hook = await got;
        if (!hook.verified) throw new Error('handoff: the webhook signature did not verify');
        demo.push(hook.at - t0);

        const fid = `fl-${i}`;
        await bl.client.post('/v1/collect', batch(SITE, fid, [pageView(`${fid}-0`, 0)])); // the floor's object exists too
        const notified = receiver.waitFor((p) => p.id === fid);
        const b0 = performance.now();
        const r = await bl.client.post(`/v1/collect?notify=${encodeURIComponent(`${receiver.url}/unsigned`)}`, batch(SITE, fid, [pageView(fid, 0)]));
        if (r.status !== 200) throw new Error(`handoff floor: ${r.status} ${r.body}`);
        floor.push((await notified).at - b0);
      }
    } finally {
      await receiver.close();
    }
    const q = (xs) => ({ p50: quantile(xs, 0.5), p99: quantile(xs, 0.99) });
    const result = { samples: demo.length, demo: q(demo), answered: q(answered), floor: q(floor), rejected: receiver.stats.rejected };
    log(`handoff: p50 ${fmt(result.demo.p50)} ms, p99 ${fmt(result.demo.p99)} ms (floor p99 ${fmt(result.floor.p99)} ms)`);
    return result;
  },
  targets: ({ demo }) => [['Handoff: demo request -> verified webhook, p99', `< ${TARGET_MS} ms`, `${fmt(demo.p99)} ms (p50 ${fmt(demo.p50)} ms)`, demo.p99 < TARGET_MS]],
  reading: (r) =>
    `${r.samples} identified visitors each request a demo; the clock runs from just before the beacon is sent until the local receiver has verified ` +
    `the Standard Webhooks signature of \`lead.demo_requested\` (\`standardwebhooks\`; ${r.rejected} rejected). The first attempt starts right after ` +
    `the commit, in parallel with the answer (beacon answered at p50 ${fmt(r.answered.p50)} ms), and waits for \`lead.sql\` on the same endpoint, ` +
    `since one visitor's alerts are delivered in order. The floor, a counter write then a POST from the baseline object, takes ` +
    `${fmt(r.floor.p50)} ms at p50 and ${fmt(r.floor.p99)} ms at p99.`,
};
