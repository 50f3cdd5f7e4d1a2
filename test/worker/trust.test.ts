import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { journey, makeBatch, makeEvent, uid } from '../helpers/factories';
// @ts-expect-error plain ESM helper without types
import { TURNSTILE_TEST_SECRET } from '../helpers/turnstile-standin.mjs';
import { api, collect, expectError, profile } from './helpers';

const PAGE = 'https://shop.example.com';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
let ipCounter = 10;
/** A client address of its own per test: the limiters count per address across the whole run. */
const newIp = () => `198.51.100.${ipCounter++}`;
const browser = (ip: string) => ({ origin: PAGE, 'user-agent': CHROME, 'cf-connecting-ip': ip });

async function newSite(config: Record<string, unknown> = {}) {
  const site = uid('trust').toLowerCase();
  expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: { allowedOrigins: [PAGE], rateLimits: { visitorBurst: 1000 }, ...config } })).status).toBe(201);
  return site;
}

describe('what one client address may do', () => {
  it('creates at most the budgeted new visitors a minute from a browser; an existing visitor, another address and a server key are not held back', async () => {
    const site = await newSite();
    const ip = newIp();
    const first = makeBatch([makeEvent()], { site });
    expect((await collect(first, browser(ip))).status).toBe(200);
    const statuses: number[] = [];
    const batches = Array.from({ length: 6 }, () => makeBatch([makeEvent()], { site }));
    for (const b of batches) statuses.push((await collect(b, browser(ip))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const refused = await collect(makeBatch([makeEvent()], { site }), browser(ip));
    expectError(refused, 429, 'rate_limited');
    expect(refused.body.error.message).toContain('new visitors');
    expect(refused.headers.get('retry-after')).toBe('60');
    expectError(await profile(site, batches[5]!.anonymousId), 404, 'unknown_visitor');
    // The visitor that already exists keeps being served; another address and a server-side integration are unaffected.
    expect((await collect(makeBatch([makeEvent()], { site, anonymousId: first.anonymousId }), browser(ip))).status).toBe(200);
    expect((await collect(makeBatch([makeEvent()], { site }), browser(newIp()))).status).toBe(200);
    expect((await collect(makeBatch([makeEvent()], { site }), { 'cf-connecting-ip': ip })).status).toBe(200);
  });

  it('sends at most the budgeted demo requests a minute from a browser, and a refused one changes nothing', async () => {
    const site = await newSite();
    const ip = newIp();
    const aid = uid('demo');
    expect((await collect(makeBatch([journey.identify()], { site, anonymousId: aid }), browser(ip))).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await collect(makeBatch([journey.demo()], { site, anonymousId: aid }), browser(ip))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await profile(site, aid)).body.counts.demo_request).toBe(3);
  });
});

describe('Turnstile on demo requests', () => {
  const turnstileCalls = async () => (await (await fetch((env as { TURNSTILE_VERIFY_URL: string }).TURNSTILE_VERIFY_URL.replace('/siteverify', '/calls'))).json()) as { response: string }[];

  it('a demo request without a valid token is refused whole; a valid one passes once; a resend is not checked again', async () => {
    const site = await newSite({ turnstile: { secret: TURNSTILE_TEST_SECRET } });
    const aid = uid('ts');
    const send = (events: ReturnType<typeof makeEvent>[]) => collect(makeBatch(events, { site, anonymousId: aid }), browser(newIp()));

    const none = await send([journey.identify(), journey.demo()]);
    expectError(none, 403, 'turnstile_failed');
    expect(none.body.error.message).toContain('no Turnstile token');
    expectError(await profile(site, aid), 404, 'unknown_visitor');
    expectError(await send([journey.identify(), { ...journey.demo(), turnstile: 'forged-token' } as never]), 403, 'turnstile_failed');

    const token = `ok-${uid()}`;
    const batch = makeBatch([journey.identify(), { ...journey.demo(), turnstile: token } as never], { site, anonymousId: aid });
    const ok = await collect(batch, browser(newIp()));
    expect(ok.status).toBe(200);
    expect(ok.body.visitor.stage).toBe('sql');
    const checked = (await turnstileCalls()).filter((c) => c.response === token).length;
    expect((await collect(batch, browser(newIp()))).body).toMatchObject({ accepted: 0, duplicates: 2 });
    expect((await turnstileCalls()).filter((c) => c.response === token).length).toBe(checked);
    // A token is single-use: on a new demo request it is refused.
    expectError(await send([{ ...journey.demo(), turnstile: token } as never]), 403, 'turnstile_failed');
    // The token is never stored.
    expect(JSON.stringify((await api(`/v1/admin/sites/${site}/visitors/${aid}/export`)).body)).not.toContain(token);
  });

  it('the Turnstile secret is masked like webhook secrets and survives a GET-edit-PUT round trip', async () => {
    const site = await newSite({ turnstile: { secret: TURNSTILE_TEST_SECRET } });
    const got = (await api(`/v1/admin/sites/${site}`)).body.config;
    expect(JSON.stringify(got)).not.toContain(TURNSTILE_TEST_SECRET);
    expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: { ...got, exposeScore: true } })).status).toBe(200);
    const token = `ok-${uid()}`;
    const res = await collect(makeBatch([journey.identify(), { ...journey.demo(), turnstile: token } as never], { site }), browser(newIp()));
    expect(res.status).toBe(200);
  });
});
