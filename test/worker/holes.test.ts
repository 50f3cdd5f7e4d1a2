/**
 * Issue 17's smaller holes, through the real Worker in workerd: who may read a decision
 * (GET /v1/decide), and webhook URLs that reached private networks through the old filter.
 */
import { createExecutionContext, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../../worker/index';
import { journey, makeBatch, uid } from '../helpers/factories';
import { ADMIN, collect, expectError, fetchWorker } from './helpers';

const SITE_PAGE = 'http://localhost:8787'; // in the demo site's allowedOrigins
const FOREIGN = 'https://evil.example';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** The Worker as deployed: not local dev, a strong admin token. */
const PROD_TOKEN = 'a-strong-production-token-for-this-test';
const prodEnv = { ...env, LEADEDGE_DEV: undefined, ADMIN_TOKEN: PROD_TOKEN };
const fetchProd = (input: string, init?: RequestInit) => Promise.resolve(worker.fetch(new Request(input, init) as never, prodEnv as never, createExecutionContext()));

async function decide(aid: string, headers: Record<string, string> = {}, site = 'demo') {
  const res = await fetchWorker(`http://localhost:8787/v1/decide?site=${site}&aid=${aid}`, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as any };
}

describe('GET /v1/decide: only the site and its servers read a decision', () => {
  // Ana identified herself and booked a demo: her hero CTA says "Your demo is booked, Ana".
  let aid: string;
  beforeAll(async () => {
    const batch = makeBatch([journey.identify(), journey.demo()]);
    aid = batch.anonymousId;
    expect((await collect(batch)).body.ctas.hero.text).toContain('Ana');
  });

  it("a foreign page gets 403 origin_not_allowed, never the visitor's first name, and no CORS header to read even that", async () => {
    const res = await decide(aid, { origin: FOREIGN });
    expectError(res, 403, 'origin_not_allowed');
    expect(res.text).not.toContain('Ana');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("a page of the site reads the decision, personalized, with CORS naming that page's origin", async () => {
    const res = await decide(aid, { origin: SITE_PAGE });
    expect(res.status).toBe(200);
    expect(res.body.ctas.hero.text).toBe('Your demo is booked, Ana: meet your rep');
    expect(res.headers.get('access-control-allow-origin')).toBe(SITE_PAGE);
  });

  it('a foreign origin is named in no error either (unknown site, bad query) and gets no preflight permission', async () => {
    for (const [path, status] of [[`/v1/decide?site=nope-${uid('s').toLowerCase()}&aid=${aid}`, 404], ['/v1/decide?site=demo', 400]] as const) {
      const res = await fetchWorker(`http://localhost:8787${path}`, { headers: { origin: FOREIGN } });
      expect(res.status, path).toBe(status);
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const foreign = await fetchWorker(`http://localhost:8787/v1/decide?site=demo&aid=${aid}`, { method: 'OPTIONS', headers: { origin: FOREIGN, 'access-control-request-method': 'GET' } });
    expect(foreign.status).toBe(204);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const own = await fetchWorker(`http://localhost:8787/v1/decide?site=demo&aid=${aid}`, { method: 'OPTIONS', headers: { origin: SITE_PAGE, 'access-control-request-method': 'GET' } });
    expect(own.headers.get('access-control-allow-origin')).toBe(SITE_PAGE);
  });

  it('a request without an Origin needs the admin token: 401 server_key_required without it or with a wrong one', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: 'dev-admin-token' }] as Record<string, string>[]) {
      const res = await decide(aid, headers);
      expectError(res, 401, 'server_key_required');
      expect(res.text).not.toContain('Ana');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    const res = await decide(aid, ADMIN);
    expect(res.status).toBe(200);
    expect(res.body.ctas.hero.text).toContain('Ana');
  });

  it('in production the documented dev token does not open it; the real admin token does', async () => {
    const url = `http://localhost:8787/v1/decide?site=demo&aid=${aid}`;
    const dev = await fetchProd(url, { headers: ADMIN });
    expect(dev.status).toBe(401);
    expect(((await dev.json()) as any).error.code).toBe('server_key_required');
    const real = await fetchProd(url, { headers: { authorization: `Bearer ${PROD_TOKEN}` } });
    expect(real.status).toBe(200);
    expect(((await real.json()) as any).ctas.hero.text).toContain('Ana');
  });
});

describe('webhook URLs from issue 17 are refused when a production config is saved (the URL parser of workerd)', () => {
  const refused: [string, string][] = [
    ['https://[64:ff9b::a9fe:a9fe]/h', 'NAT64'],
    ['https://[::7f00:1]/h', 'IPv4-compatible address of 127.0.0.1'],
    ['https://[::127.0.0.1]/h', 'IPv4-compatible address of 127.0.0.1'],
    ['https://[::ffff:127.0.0.1]/h', 'IPv4-mapped address of 127.0.0.1'],
    ['https://[2002:7f00:1::1]/h', '6to4 address of 127.0.0.1'],
    ['https://[fec0::1]/h', 'site-local'],
    ['https://localhost./h', 'local name'],
    ['https://metadata.google.internal./h', 'local name'],
    ['https://2130706433/h', '"127.0.0.1" is a private'],
    ['https://0x7f.1/h', '"127.0.0.1" is a private'],
  ];

  it('each gets its own issue in a 400 invalid_config, and the site is not created', async () => {
    const site = uid('hooks').toLowerCase();
    const webhooks = refused.map(([url], i) => ({ id: `w${i}`, url, secret: SECRET, events: ['lead.sql'] }));
    const headers = { authorization: `Bearer ${PROD_TOKEN}`, 'content-type': 'application/json' };
    const res = await fetchProd(`http://localhost:8787/v1/admin/sites/${site}`, { method: 'PUT', headers, body: JSON.stringify({ webhooks }) });
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error.code).toBe('invalid_config');
    const issues = body.error.issues as { path: string; message: string }[];
    expect(issues.map((i) => i.path)).toEqual(refused.map((_, i) => `webhooks.${i}.url`));
    refused.forEach(([url, reason], i) => expect(issues[i]!.message, url).toContain(reason));
    expect((await fetchProd(`http://localhost:8787/v1/admin/sites/${site}`, { headers })).status).toBe(404);
  });

  it('a public https receiver is still accepted', async () => {
    const site = uid('hooks').toLowerCase();
    const headers = { authorization: `Bearer ${PROD_TOKEN}`, 'content-type': 'application/json' };
    const webhooks = [{ id: 'crm', url: 'https://hooks.example.com./h', secret: SECRET, events: ['lead.sql'] }];
    const res = await fetchProd(`http://localhost:8787/v1/admin/sites/${site}`, { method: 'PUT', headers, body: JSON.stringify({ webhooks }) });
    expect(res.status).toBe(201);
  });
});
