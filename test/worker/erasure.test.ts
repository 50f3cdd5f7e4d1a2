import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { expireSiteConfigs, siteStub } from '../../worker/config/config-cache';
import { Counters, COUNTER_TABLES } from '../../worker/objects/counters';
import { DIRECTORY_SHARDS, directoryStub } from '../../worker/objects/directory-object';
import { existingTables, LazySchema } from '../../worker/objects/lazy-schema';
import { LEADS_TABLES, LeadsStore, type LeadSnapshot } from '../../worker/objects/leads-store';
import type { SiteObject } from '../../worker/objects/site-object';
import type { VisitorObject } from '../../worker/objects/visitor-object';
import { visitorStub } from '../../worker/routes/stubs';
import { journey, makeBatch, makeEvent, uid, ANA_EMAIL } from '../helpers/factories';
import { api, collect, eventually, expectError, fetchWorker, profile } from './helpers';

const DAY = 24 * 3600 * 1000;
const PAGE = 'https://shop.example.com';

async function newSite(config: Record<string, unknown> = {}) {
  const site = uid('era').toLowerCase();
  expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: { allowedOrigins: [PAGE], scoring: { halfLifeDays: 0, behavior: [{ id: 'any', when: {}, points: 10 }] }, ...config } })).status).toBe(201);
  return site;
}

/** Tables an object holds (SQLite's and the runtime's own excepted). */
const tablesOf = (stub: unknown): Promise<string[]> =>
  runInDurableObject(stub as DurableObjectStub, (_i: unknown, ctx: DurableObjectState) =>
    ctx.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'").toArray().map((r) => r.name),
  );

describe('an erased visitor stays erased', () => {
  it('re-sending the old queue after an erase restores nothing, and the answer tells the SDK', async () => {
    const site = await newSite();
    const old = makeBatch([journey.identify(), journey.demo()], { site });
    expect((await collect(old)).status).toBe(200);
    await eventually(async () => expect((await api(`/v1/admin/sites/${site}/visitors`)).body.total).toBe(1));
    expect((await api(`/v1/admin/sites/${site}/visitors/${old.anonymousId}`, { method: 'DELETE' })).status).toBe(200);

    // As a server integration would re-send it (verbatim, its old sentAt) and as the SDK would (sentAt now).
    const verbatim = await collect(old);
    expect(verbatim.body).toMatchObject({ accepted: 0, tracked: false, erased: true });
    const replay = await collect({ ...old, sentAt: Date.now() + 1000 });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ accepted: 0, tracked: false, erased: true, visitor: { stage: 'anonymous' } });
    expectError(await profile(site, old.anonymousId), 404, 'unknown_visitor');
    await new Promise((r) => setTimeout(r, 100));
    expect((await api(`/v1/admin/sites/${site}/visitors`)).body.total).toBe(0);

    // What the browser does after the erasure is a new visitor's (the SDK also switches to a new id).
    const later = await collect(makeBatch([makeEvent({ ts: Date.now() + 500 })], { site, anonymousId: old.anonymousId }));
    expect(later.body).toMatchObject({ accepted: 1, tracked: true, visitor: { stage: 'anonymous' } });
    expect((await profile(site, old.anonymousId)).body.traits).toEqual({});
  });

  it('retention forgets the lead row before erasing the visitor: a failure leaves both, retried by the next alarm', async () => {
    const site = await newSite({ retentionDays: 1 });
    const batch = makeBatch([journey.identify(), journey.demo()].map((e) => ({ ...e, ts: Date.now() - 2 * DAY })), { site, sentAt: Date.now() });
    // The visitor is past its retention from its first beacon, so its own alarm tries to erase it at once: it fails from the start.
    await runInDurableObject(siteStub(env as never, site), (i: SiteObject) => void (i.faults.forgetFails = true));
    await collect(batch);
    await eventually(async () => expect((await api(`/v1/admin/sites/${site}/visitors`)).body.total).toBe(1));
    const stub = visitorStub(env as never, site, batch.anonymousId);
    await runInDurableObject(stub, (_i: VisitorObject, ctx) => ctx.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(stub).catch(() => undefined);
    // Nothing half-done: the visitor and its lead row (email, name, company) are both still there.
    expect((await profile(site, batch.anonymousId)).status).toBe(200);
    expect((await api(`/v1/admin/sites/${site}/visitors`)).body.visitors[0].traits.email).toMatch(ANA_EMAIL);

    await runInDurableObject(siteStub(env as never, site), (i: SiteObject) => void (i.faults.forgetFails = false));
    // The next alarm (it was re-armed after the failure; run it now rather than wait for its backoff) erases both.
    await eventually(async () => {
      await runInDurableObject(stub, (_i: VisitorObject, ctx) => ctx.storage.setAlarm(Date.now()));
      await runDurableObjectAlarm(stub);
      expectError(await profile(site, batch.anonymousId), 404, 'unknown_visitor');
    }, 10_000);
    expect((await api(`/v1/admin/sites/${site}/visitors`)).body.total).toBe(0);
  });
});

describe('export is everything held, from every object', () => {
  it('every stored timeline entry, the leads-index row, the funnel stages and the training label', async () => {
    const site = await newSite({ rateLimits: { visitorBurst: 1000 } });
    const aid = uid('exp');
    await collect(makeBatch([journey.identify(), journey.demo()], { site, anonymousId: aid }));
    for (let i = 0; i < 6; i++) await collect(makeBatch(Array.from({ length: 50 }, () => makeEvent()), { site, anonymousId: aid }));
    await api(`/v1/admin/sites/${site}/visitors/${aid}/outcome`, { method: 'POST', json: { outcome: 'won' } });
    const res = await eventually(async () => {
      const r = await api(`/v1/admin/sites/${site}/visitors/${aid}/export`);
      expect(r.body.trainingLabel).not.toBeNull();
      return r;
    });
    expect(res.status).toBe(200);
    expect(res.body.profile.timeline.length).toBeGreaterThan(300);
    expect(res.body.leadsIndex).toMatchObject({ id: aid, stage: 'sql', traits: { email: expect.stringMatching(ANA_EMAIL) } });
    expect(res.body.funnelStages.map((s: any) => s.stage).sort()).toEqual(['known', 'mql', 'sql']);
    expect(res.body.trainingLabel).toMatchObject({ id: aid, source: 'won' });
    expect(res.body.directory.firstDay).toBe(new Date().toISOString().slice(0, 10));
  });
});

describe('reads and refusals store nothing', () => {
  it('a decision for a visitor never seen creates no storage', async () => {
    const aid = uid('ghost');
    const res = await fetchWorker(`http://localhost:8787/v1/decide?site=demo&aid=${aid}`, { headers: { origin: 'http://localhost:8787' } });
    expect(res.status).toBe(200);
    expect(await tablesOf(visitorStub(env as never, 'demo', aid))).toEqual([]);
  });

  it('a beacon for an unknown site leaves no storage anywhere', async () => {
    const site = uid('nosite').toLowerCase();
    const batch = makeBatch([makeEvent()], { site });
    expectError(await collect(batch, { origin: PAGE }), 404, 'unknown_site');
    expectError(await collect(batch), 404, 'unknown_site');
    expect(await tablesOf(siteStub(env as never, site))).toEqual([]);
    expect(await tablesOf(visitorStub(env as never, site, batch.anonymousId))).toEqual([]);
  });

  it('erasing a visitor that never existed stores nothing', async () => {
    const site = await newSite();
    const aid = uid('none');
    expectError(await api(`/v1/admin/sites/${site}/visitors/${aid}`, { method: 'DELETE' }), 404, 'unknown_visitor');
    expect(await tablesOf(visitorStub(env as never, site, aid))).toEqual([]);
  });
});

describe('deleting a site', () => {
  it('erases its config, keys, leads and every visitor object, anonymous ones too; the list shows it until done', async () => {
    const site = await newSite();
    const key = (await api(`/v1/admin/sites/${site}/keys`, { method: 'POST', json: { role: 'owner', label: 'o' } })).body.key;
    const anon = makeBatch([makeEvent()], { site });
    const lead = makeBatch([journey.identify(), journey.demo()], { site });
    await collect(anon, { origin: PAGE });
    await collect(lead, { origin: PAGE });
    await eventually(async () => expect((await api(`/v1/admin/sites/${site}/funnel`)).body.totals.visitors).toBe(2));

    const res = await api(`/v1/admin/sites/${site}`, { method: 'DELETE' });
    expect(res.status).toBe(202);
    expect((await api('/v1/admin/sites')).body.sites.find((s: any) => s.site === site)).toMatchObject({ status: 'deleting' });
    expectError(await collect(makeBatch([makeEvent()], { site }), { origin: PAGE }), 404, 'unknown_site');
    expectError(await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: {} }), 409, 'site_deleting');
    expectError(await api(`/v1/admin/sites/${site}/visitors`, { headers: { authorization: `Bearer ${key}` } }), 401, 'unauthorized');

    // Run every shard's sweep to the end (each alarm erases a batch, then waits for stragglers).
    for (let round = 0; round < 3; round++) {
      for (let shard = 0; shard < DIRECTORY_SHARDS; shard++) await runDurableObjectAlarm(directoryStub(env as never, site, shard));
    }
    for (const aid of [anon.anonymousId, lead.anonymousId]) expect(await tablesOf(visitorStub(env as never, site, aid))).toEqual([]);
    expect(await tablesOf(siteStub(env as never, site))).toEqual([]);
    for (let shard = 0; shard < DIRECTORY_SHARDS; shard++) expect(await tablesOf(directoryStub(env as never, site, shard))).toEqual([]);
    expect((await api('/v1/admin/sites')).body.sites.find((s: any) => s.site === site)).toBeUndefined();
    expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: {} })).status).toBe(201);
  });
});

describe('the site object is not a single point of failure', () => {
  it('beacons keep being answered from the last known config while it fails; keys are never trusted stale', async () => {
    const site = await newSite();
    const server = (await api(`/v1/admin/sites/${site}/keys`, { method: 'POST', json: { role: 'server', label: 's' } })).body.key;
    const owner = (await api(`/v1/admin/sites/${site}/keys`, { method: 'POST', json: { role: 'owner', label: 'o' } })).body.key;
    expect((await collect(makeBatch([makeEvent()], { site }), { origin: PAGE })).status).toBe(200);
    await runInDurableObject(siteStub(env as never, site), (i: SiteObject) => void (i.faults.unavailable = true));
    try {
      expireSiteConfigs();
      const answers = await Promise.all(Array.from({ length: 10 }, () => collect(makeBatch([makeEvent()], { site }), { origin: PAGE })));
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(a.headers.get('x-leadedge-config')).toBe('stale');
        expect(a.body.tracked).toBe(true);
      }
      expectError(await collect(makeBatch([makeEvent()], { site }), { authorization: `Bearer ${server}` }), 503, 'auth_unavailable');
      expectError(await api(`/v1/admin/sites/${site}/visitors`, { headers: { authorization: `Bearer ${owner}` } }), 503, 'auth_unavailable');
    } finally {
      await runInDurableObject(siteStub(env as never, site), (i: SiteObject) => void (i.faults.unavailable = false));
      expireSiteConfigs();
    }
    const back = await collect(makeBatch([makeEvent()], { site }), { origin: PAGE });
    expect(back.headers.get('x-leadedge-config')).toBeNull();
  });
});

describe('funnel counts', () => {
  it('the same verdict twice is counted and sent once; recycle then a new demo request counts SQL once; the rate stays within 1', async () => {
    const hook = { id: 'crm', url: 'http://127.0.0.1:9/never', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['lead.verdict'] };
    const site = await newSite({ webhooks: [hook], delivery: { retryScheduleSeconds: [3600] } });
    const aid = uid('lead');
    await collect(makeBatch([journey.identify(), journey.demo()], { site, anonymousId: aid }));
    for (let i = 0; i < 2; i++) expect((await api(`/v1/admin/sites/${site}/visitors/${aid}/verdict`, { method: 'POST', json: { verdict: 'accepted' } })).status).toBe(200);
    const deliveries = (await api(`/v1/admin/sites/${site}/visitors/${aid}/deliveries`)).body.deliveries;
    expect(deliveries.filter((d: any) => d.type === 'lead.verdict')).toHaveLength(1);

    const other = uid('lead');
    await collect(makeBatch([journey.identify(), journey.demo()], { site, anonymousId: other }));
    await api(`/v1/admin/sites/${site}/visitors/${other}/verdict`, { method: 'POST', json: { verdict: 'rejected', action: 'recycle', reason: 'not now' } });
    await collect(makeBatch([journey.demo()], { site, anonymousId: other }));
    const funnel = await eventually(async () => {
      const f = (await api(`/v1/admin/sites/${site}/funnel`)).body;
      expect(f.totals).toMatchObject({ sal: 1, recycled: 1 });
      return f;
    });
    expect(funnel.totals.sql).toBe(2);
    expect(funnel.totals.mql).toBe(2);
    expect(funnel.mqlToSqlRate).toBe(1);
  });
});

describe('the leads index when full', () => {
  it('never evicts an SQL, a SAL or a recent verdict; the weakest known lead goes first, and evictions are counted', async () => {
    const stub = siteStub(env as never, uid('cap').toLowerCase());
    const result = await runInDurableObject(stub, (_i: SiteObject, ctx) => {
      const schema = new LazySchema(ctx.storage.sql, { ...LEADS_TABLES, ...COUNTER_TABLES }, existingTables(ctx.storage.sql));
      const leads = new LeadsStore(ctx.storage.sql, schema, new Counters(ctx.storage.sql, schema), 3);
      const now = Date.now();
      const lead = (id: string, stage: LeadSnapshot['stage'], score: number, verdictAt?: number): LeadSnapshot => ({
        id, stage, score, fit: 0, traits: {}, topics: [], lastSeen: now, stageSince: now, updatedAt: now,
        verdict: verdictAt ? { verdict: 'rejected', action: 'disqualify', at: verdictAt } : null,
      });
      leads.upsert(lead('sql-low', 'sql', 1));
      leads.upsert(lead('dq-recent', 'disqualified', 2, now - DAY));
      leads.upsert(lead('known-strong', 'known', 40));
      leads.upsert(lead('known-weak', 'known', 5));
      leads.upsert(lead('known-new', 'known', 30));
      const page = leads.page({ sort: 'score', limit: 10, offset: 0 });
      return { ids: page.leads.map((l) => l.id).sort(), evicted: page.evicted };
    });
    expect(result.ids).toEqual(['dq-recent', 'known-strong', 'sql-low']);
    expect(result.evicted).toBe(2);
  });
});

describe('erasing twice', () => {
  it("a second erase keeps the first one's tombstone: the old queue still cannot come back", async () => {
    const site = await newSite();
    const old = makeBatch([journey.identify(), journey.demo()], { site });
    await collect(old);
    expect((await api(`/v1/admin/sites/${site}/visitors/${old.anonymousId}`, { method: 'DELETE' })).status).toBe(200);
    expectError(await api(`/v1/admin/sites/${site}/visitors/${old.anonymousId}`, { method: 'DELETE' }), 404, 'unknown_visitor');
    const replay = await collect({ ...old, sentAt: Date.now() });
    expect(replay.body).toMatchObject({ accepted: 0, erased: true });
    expectError(await profile(site, old.anonymousId), 404, 'unknown_visitor');
  });
});

describe('retention and the leads index over time', () => {
  it("retention also drops finished deliveries older than the window (their payloads copy the visitor's timeline)", async () => {
    const hook = { id: 'crm', url: 'http://127.0.0.1:9/never', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['lead.demo_requested'] };
    const site = await newSite({ retentionDays: 2, webhooks: [hook], delivery: { retryScheduleSeconds: [] } });
    const aid = uid('ret');
    await collect(makeBatch([journey.identify(), journey.demo()], { site, anonymousId: aid }));
    await eventually(async () => expect((await api(`/v1/admin/sites/${site}/visitors/${aid}/deliveries`)).body.deliveries[0].status).toBe('failed'));
    const stub = visitorStub(env as never, site, aid);
    await runInDurableObject(stub, (_i: VisitorObject, ctx) => {
      ctx.storage.sql.exec('UPDATE outbox SET created_at = ?', Date.now() - 3 * DAY);
      return ctx.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(stub);
    expect((await api(`/v1/admin/sites/${site}/visitors/${aid}/deliveries`)).body.deliveries).toEqual([]);
    expect((await profile(site, aid)).status).toBe(200);
  });

  it("an inactive lead's index row is refreshed by its own alarm at least daily while its score decays", async () => {
    const site = await newSite({ scoring: { halfLifeDays: 30, behavior: [{ id: 'any', when: {}, points: 10 }] } });
    const aid = uid('idx');
    await collect(makeBatch([journey.identify(), makeEvent()], { site, anonymousId: aid }));
    const row = async () => (await api(`/v1/admin/sites/${site}/visitors`)).body.visitors.find((v: any) => v.id === aid);
    const first = await eventually(async () => {
      const r = await row();
      expect(r).toBeDefined();
      return r;
    });
    const stub = visitorStub(env as never, site, aid);
    // The alarm is due a day after the row was sent (well before retention).
    const alarm = await runInDurableObject(stub, (_i: VisitorObject, ctx) => ctx.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now() + 23 * 3600 * 1000);
    expect(alarm).toBeLessThan(Date.now() + 25 * 3600 * 1000);
    // A day and more later (the row's refresh time moved back), the alarm sends the row again.
    await runInDurableObject(stub, async (instance: VisitorObject, ctx) => {
      const held = instance as unknown as { state: { indexedAt: number } };
      held.state.indexedAt -= 2 * DAY;
      await ctx.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(stub);
    await eventually(async () => expect((await row()).updatedAt).toBeGreaterThan(first.updatedAt));
  });
});
