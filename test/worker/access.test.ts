import { createExecutionContext, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROLES, ROUTE_ACCESS, type Role, type RouteAccess } from '../../worker/access/roles';
import { DEMO_KEYS } from '../../worker/config/dev-keys';
import { app } from '../../worker/app';
import worker from '../../worker/index';
import { journey, makeBatch, makeEvent, uid } from '../helpers/factories';
import { ADMIN_TOKEN, api, collect, expectError } from './helpers';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function newSite(config: Record<string, unknown> = {}) {
  const site = uid('acc').toLowerCase();
  expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: { allowedOrigins: ['https://shop.example.com'], ...config } })).status).toBe(201);
  return site;
}

async function newKey(site: string, role: Role, extra: Record<string, unknown> = {}) {
  const res = await api(`/v1/admin/sites/${site}/keys`, { method: 'POST', json: { role, label: `${role} key`, ...extra } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; key: string; role: Role };
}

/** A request every allowed role can send without changing anything: bodies are invalid, ids unknown. */
function probe(route: RouteAccess, site: string, aid: string): { path: string; init: RequestInit } {
  const path = route.path
    .replace(':site', site)
    .replace(':aid', aid)
    .replace(':version', '99999')
    .replace(':id', route.path.includes('/keys/') ? 'key_doesnotexist' : 'msg_00000000-0000-0000-0000-000000000000');
  const body = route.method === 'PUT' || route.method === 'POST' ? { body: JSON.stringify({ stages: 5, role: 'nobody', verdict: 'maybe', outcome: 'maybe', rows: 'none', targetPrecision: 'x' }), headers: { 'content-type': 'application/json' } } : {};
  return { path, init: { method: route.method, ...body } };
}

describe('the access matrix (generated from worker/access/roles.ts)', () => {
  let site: string;
  let aid: string;
  const keys = {} as Record<Role, string>;

  beforeAll(async () => {
    site = await newSite();
    aid = uid('lead');
    await collect(makeBatch([journey.identify()], { site, anonymousId: aid }));
    for (const role of ROLES) keys[role] = (await newKey(site, role)).key;
  });

  for (const route of ROUTE_ACCESS) {
    for (const role of ROLES) {
      const allowed = route.roles.includes(role);
      it(`${route.method} ${route.path}: ${role} is ${allowed ? 'allowed' : 'refused'}`, async () => {
        const { path, init } = probe(route, site, aid);
        const res = await api(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...bearer(keys[role]) } });
        if (allowed) {
          expect([401, 403], JSON.stringify(res.body)).not.toContain(res.status);
        } else {
          expectError(res, 403, 'forbidden');
          const needed = route.roles.length === 0 ? ['instance owner'] : route.roles.map((r) => `"${r}"`);
          for (const n of needed) expect(res.body.error.message).toContain(n);
        }
      });
    }
    it(`${route.method} ${route.path}: the instance token is allowed`, async () => {
      // Deleting a site is the one probe that would change something: it deletes a site of its own.
      const target = route.method === 'DELETE' && route.path === '/v1/admin/sites/:site' ? await newSite() : site;
      const { path, init } = probe(route, target, aid);
      const res = await api(path, init);
      expect([401, 403], JSON.stringify(res.body)).not.toContain(res.status);
    });
  }

  it('every admin route the app serves is in the table, and the OpenAPI document states its roles', async () => {
    const served = new Set(app.routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/v1/admin')).map((r) => `${r.method} ${r.path}`));
    const table = new Set(ROUTE_ACCESS.map((r) => `${r.method} ${r.path}`));
    expect([...served].sort()).toEqual([...table].sort());
    const doc = (await api('/v1/openapi.json')).body;
    for (const r of ROUTE_ACCESS) {
      const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.path} in openapi.json`).toBeDefined();
      expect(op['x-roles'], `${r.method} ${r.path}`).toEqual(['admin', ...r.roles]);
    }
  });
});

describe('keys', () => {
  it('a key is shown once, listed without its secret, and stops working the moment it is revoked', async () => {
    const site = await newSite();
    const created = await newKey(site, 'marketer');
    expect(created.key).toMatch(new RegExp(`^le_${site}_[0-9a-f]{64}$`));
    const list = await api(`/v1/admin/sites/${site}/keys`);
    expect(list.body.keys).toEqual([{ id: created.id, role: 'marketer', label: 'marketer key', createdAt: expect.any(String), lastUsedAt: null }]);
    expect(JSON.stringify(list.body)).not.toContain(created.key.slice(-64));

    expect((await api(`/v1/admin/sites/${site}`, { headers: bearer(created.key) })).status).toBe(200);
    expect((await api(`/v1/admin/sites/${site}/keys`)).body.keys[0].lastUsedAt).not.toBeNull();
    expect((await api(`/v1/admin/sites/${site}/keys/${created.id}`, { method: 'DELETE' })).status).toBe(200);
    expectError(await api(`/v1/admin/sites/${site}`, { headers: bearer(created.key) }), 401, 'unauthorized');
    expect((await api(`/v1/admin/sites/${site}/keys`)).body.keys).toEqual([]);
  });

  it("a key for site A is refused on site B with 403, and a made-up key with 401", async () => {
    const a = await newSite();
    const b = await newSite();
    const key = await newKey(a, 'owner');
    const res = await api(`/v1/admin/sites/${b}`, { headers: bearer(key.key) });
    expectError(res, 403, 'forbidden');
    expect(res.body.error.message).toContain(`belongs to site "${a}"`);
    expectError(await api(`/v1/admin/sites/${b}`, { headers: bearer(`le_${b}_${'f'.repeat(64)}`) }), 401, 'unauthorized');
    expectError(await api('/v1/admin/sites', { headers: bearer(key.key) }), 403, 'forbidden');
  });

  it('a sales key reads leads and records verdicts, never config, keys or export; the audit log shows its verdict', async () => {
    const site = await newSite();
    const sales = await newKey(site, 'sales', { repId: 'rep-7' });
    const aid = uid('lead');
    await collect(makeBatch([journey.identify(), journey.demo()], { site, anonymousId: aid }));
    expect((await api(`/v1/admin/sites/${site}/visitors`, { headers: bearer(sales.key) })).status).toBe(200);
    expect((await api(`/v1/admin/sites/${site}/visitors/${aid}`, { headers: bearer(sales.key) })).status).toBe(200);
    const verdict = await api(`/v1/admin/sites/${site}/visitors/${aid}/verdict`, { method: 'POST', headers: bearer(sales.key), json: { verdict: 'accepted' } });
    expect(verdict.status).toBe(200);
    expectError(await api(`/v1/admin/sites/${site}`, { method: 'PUT', headers: bearer(sales.key), json: {} }), 403, 'forbidden');
    expectError(await api(`/v1/admin/sites/${site}/visitors/${aid}/export`, { headers: bearer(sales.key) }), 403, 'forbidden');
    expectError(await api(`/v1/admin/sites/${site}/visitors/${aid}`, { method: 'DELETE', headers: bearer(sales.key) }), 403, 'forbidden');

    const audit = await api(`/v1/admin/sites/${site}/audit`);
    const entry = audit.body.entries.find((e: any) => e.action === 'visitor.verdict');
    expect(entry).toMatchObject({ keyId: sales.id, role: 'sales', target: aid, detail: { verdict: 'accepted', stage: 'sal' } });
    expect(audit.body.entries.map((e: any) => e.action)).toEqual(expect.arrayContaining(['key.create', 'site.create']));
    expectError(await api(`/v1/admin/sites/${site}/audit`, { headers: bearer(sales.key) }), 403, 'forbidden');
  });

  it('a marketer changes rules but not webhooks; only the instance owner creates a site', async () => {
    const hook = { id: 'crm', url: 'https://crm.example.com/hook', secret: SECRET, events: ['lead.sql'] };
    const site = await newSite({ webhooks: [hook] });
    const marketer = await newKey(site, 'marketer');
    const owner = await newKey(site, 'owner');
    const current = (await api(`/v1/admin/sites/${site}`, { headers: bearer(marketer.key) })).body.config;
    const withRule = { ...current, scoring: { behavior: [{ id: 'any', when: {}, points: 5 }] } };
    expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', headers: bearer(marketer.key), json: withRule })).status).toBe(200);
    const repointed = { ...withRule, webhooks: [{ ...current.webhooks[0], url: 'https://attacker.example.net/hook' }] };
    const refused = await api(`/v1/admin/sites/${site}`, { method: 'PUT', headers: bearer(marketer.key), json: repointed });
    expectError(refused, 403, 'forbidden');
    expect(refused.body.error.message).toContain('"owner"');
    expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', headers: bearer(owner.key), json: repointed })).status).toBe(200);
    const other = uid('acc').toLowerCase();
    expectError(await api(`/v1/admin/sites/${other}`, { method: 'PUT', headers: bearer(owner.key), json: {} }), 403, 'forbidden');
  });

  it('the instance owner lists sites', async () => {
    const site = await newSite();
    const res = await api('/v1/admin/sites');
    expect(res.status).toBe(200);
    expect(res.body.sites).toEqual(expect.arrayContaining([expect.objectContaining({ site, status: 'active' })]));
    // Local dev's embedded demo site is listed without ever being saved.
    expect(res.body.sites.map((s: any) => s.site)).toContain('demo');
  });

  it('local dev seeds the documented demo keys (only their hashes are stored)', async () => {
    for (const k of DEMO_KEYS) {
      const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(k.key)))].map((b) => b.toString(16).padStart(2, '0')).join('');
      expect(digest).toBe(k.hash);
    }
    const sales = DEMO_KEYS.find((k) => k.role === 'sales')!;
    expect((await api('/v1/admin/sites/demo/visitors', { headers: bearer(sales.key) })).status).toBe(200);
    expectError(await api('/v1/admin/sites/demo', { headers: bearer(sales.key) }), 403, 'forbidden');
  });
});

describe('the instance token', () => {
  const call = (token: string | undefined, dev = '1') =>
    worker.fetch(new Request('http://localhost:8787/v1/admin/sites/demo', { headers: bearer(token ?? 'x') }) as never, { ...env, ADMIN_TOKEN: token, LEADEDGE_DEV: dev } as never, createExecutionContext());

  it('admin routes answer 503 admin_disabled while ADMIN_TOKEN is missing, shorter than 32 characters, or the dev token in production', async () => {
    for (const [token, dev] of [[undefined, '1'], ['a'.repeat(31), '1'], [ADMIN_TOKEN, '0']] as const) {
      const res = await call(token, dev);
      expect(res.status, `${token} ${dev}`).toBe(503);
      expect(((await res.json()) as any).error.code).toBe('admin_disabled');
    }
    expect((await call('b'.repeat(32), '0')).status).toBe(200);
  });

  it('failed authentications from one address are limited (429 with Retry-After), other addresses are not', async () => {
    const ip = { 'cf-connecting-ip': '192.0.2.77' };
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await api('/v1/admin/sites/demo', { headers: { ...ip, ...bearer(`wrong-${i}`) } })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    const locked = await api('/v1/admin/sites/demo', { headers: { ...ip, ...bearer(ADMIN_TOKEN) } });
    expectError(locked, 429, 'rate_limited');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await api('/v1/admin/sites/demo', { headers: { 'cf-connecting-ip': '192.0.2.78' } })).status).toBe(200);
  });
});

describe('server-side beacons need a server key', () => {
  it('no Origin and no key: 401 server_key_required, and nothing is stored', async () => {
    const site = await newSite();
    const batch = makeBatch([journey.identify(), journey.demo()], { site });
    expectError(await collect(batch, { authorization: '' }), 401, 'server_key_required');
    expectError(await collect(batch, { 'user-agent': 'curl/8.5.0', authorization: '' }), 401, 'server_key_required');
    expectError(await api(`/v1/admin/sites/${site}/visitors/${batch.anonymousId}`), 404, 'unknown_visitor');
    expect((await api(`/v1/admin/sites/${site}/visitors`)).body.total).toBe(0);
  });

  it("a server key (or the owner key) sends; a sales key, another site's key or a revoked key does not", async () => {
    const site = await newSite();
    const other = await newSite();
    const server = await newKey(site, 'server');
    const owner = await newKey(site, 'owner');
    const sales = await newKey(site, 'sales');
    const foreign = await newKey(other, 'server');
    const send = (key: string) => collect(makeBatch([makeEvent()], { site }), bearer(key));
    expect((await send(server.key)).status).toBe(200);
    expect((await send(owner.key)).status).toBe(200);
    expectError(await send(sales.key), 401, 'server_key_required');
    expectError(await send(foreign.key), 401, 'server_key_required');
    expect((await api(`/v1/admin/sites/${site}/keys/${server.id}`, { method: 'DELETE' })).status).toBe(200);
    expectError(await send(server.key), 401, 'server_key_required');
  });

  it('a browser Origin still needs no key', async () => {
    const site = await newSite();
    const res = await collect(makeBatch([makeEvent()], { site }), { origin: 'https://shop.example.com' });
    expect(res.status).toBe(200);
    expect(res.body.tracked).toBe(true);
  });
});
