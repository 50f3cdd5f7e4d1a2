import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG } from '../../worker/config/demo-config';
import { journey, makeBatch, makeEvent, uid } from '../helpers/factories';
import { api, collect, eventually, expectError, fetchWorker, profile } from './helpers';

const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
const HEADLESS = CHROME.replace('Chrome/', 'HeadlessChrome/');
const PAGE = 'https://shop.example.com';

async function site(config: Record<string, unknown>) {
  const key = uid('ab').toLowerCase();
  expect((await api(`/v1/admin/sites/${key}`, { method: 'PUT', json: { allowedOrigins: ['*'], ...config } })).status).toBe(201);
  return key;
}

describe('rate limits', () => {
  it('a visitor over its beacon budget gets 429 with Retry-After; others are unaffected', async () => {
    const key = await site({ rateLimits: { visitorBurst: 5, visitorPerSecond: 0.01 } });
    const aid = uid('flood');
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof collect>> | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await collect(makeBatch([makeEvent()], { site: key, anonymousId: aid }));
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expectError(limited!, 429, 'rate_limited');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await profile(key, aid)).body.eventCount).toBe(5);
    expect((await collect(makeBatch([makeEvent()], { site: key }))).status).toBe(200);
  });

  it('a flood from one IP is refused with 429 while another IP still gets through', async () => {
    const key = await site({ rateLimits: { visitorBurst: 10_000 } });
    const flood = await Promise.all(
      Array.from({ length: 40 }, () => collect(makeBatch([makeEvent()], { site: key }), { origin: PAGE, 'user-agent': CHROME, 'cf-connecting-ip': '203.0.113.9' })),
    );
    const refused = flood.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.headers.get('retry-after')).toBe('60');
    expect(flood.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    expect((await collect(makeBatch([makeEvent()], { site: key }), { origin: PAGE, 'user-agent': CHROME, 'cf-connecting-ip': '198.51.100.20' })).status).toBe(200);
    // A server-side integration proves itself with a key, and one backend sends for many visitors: not limited by address.
    expect((await collect(makeBatch([makeEvent()], { site: key }), { 'cf-connecting-ip': '203.0.113.9' })).status).toBe(200);
  });
});

describe('bots', () => {
  it('known crawlers are not scored but counted', async () => {
    const key = await site({});
    const batch = makeBatch([journey.identify(), journey.demo()], { site: key });
    const res = await collect(batch, { 'user-agent': GOOGLEBOT, origin: 'https://shop.example.com' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tracked: false, bot: 'crawler', visitor: { stage: 'anonymous' } });
    expectError(await profile(key, batch.anonymousId), 404, 'unknown_visitor');
    const today = new Date().toISOString().slice(0, 10);
    await eventually(async () => expect((await api(`/v1/admin/sites/${key}/funnel?from=${today}&to=${today}`)).body.totals.bots).toBeGreaterThanOrEqual(1));
  });

  it('browser automation is counted as a bot unless the site allows it', async () => {
    const strict = await site({});
    const flagged = await collect(makeBatch([makeEvent()], { site: strict, context: { automated: true } }), { 'user-agent': CHROME, origin: PAGE });
    expect(flagged.body).toMatchObject({ tracked: false, bot: 'automation' });
    const headless = await collect(makeBatch([makeEvent()], { site: strict }), { 'user-agent': HEADLESS, origin: PAGE });
    expect(headless.body.bot).toBe('automation');

    const lenient = await site({ bots: { allowAutomated: true } });
    const allowed = await collect(makeBatch([makeEvent()], { site: lenient, context: { automated: true } }), { 'user-agent': HEADLESS, origin: PAGE });
    expect(allowed.body).toMatchObject({ tracked: true, accepted: 1 });
    expect((await collect(makeBatch([makeEvent()], { site: lenient }), { 'user-agent': GOOGLEBOT, origin: PAGE })).body.bot).toBe('crawler');
  });

  it("requests without an Origin are the site's own server-side calls (curl, a backend), never bot-filtered", async () => {
    const key = await site({});
    const res = await collect(makeBatch([journey.identify()], { site: key }), { 'user-agent': 'curl/8.5.0' });
    expect(res.body).toMatchObject({ tracked: true, accepted: 1 });
  });

  it('people are scored as usual', async () => {
    const res = await collect(makeBatch([makeEvent()]), { 'user-agent': CHROME });
    expect(res.body.tracked).toBe(true);
    expect(DEMO_CONFIG.bots?.allowAutomated).toBe(true);
  });
});

describe('site keys are public and write-only', () => {
  it('no public route reads a visitor, a config or a score', async () => {
    const batch = makeBatch([journey.identify(), journey.demo()]);
    await collect(batch);
    for (const path of ['/v1/admin/sites/demo', `/v1/admin/sites/demo/visitors/${batch.anonymousId}`, '/v1/admin/sites/demo/visitors']) {
      const res = await fetchWorker(`http://localhost:8787${path}?site=demo`, { headers: { origin: 'http://localhost:8787' } });
      expect(res.status, path).toBe(401);
    }
    // What a page of the site reads (its Origin is allowed).
    const decision = (await (await fetchWorker(`http://localhost:8787/v1/decide?site=demo&aid=${batch.anonymousId}`, { headers: { origin: 'http://localhost:8787' } })).json()) as Record<string, unknown>;
    expect(Object.keys(decision).sort()).toEqual(['ctas', 'visitor']);
    expect(JSON.stringify(decision)).not.toMatch(/ana\+[\w-]+@acme\.io/);
  });
});
