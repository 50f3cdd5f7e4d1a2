import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import type { VisitorObject } from '../../worker/objects/visitor-object';
import { describe, expect, it } from 'vitest';
import { visitorStub } from '../../worker/routes/stubs';
import { journey, makeBatch, makeEvent, uid, ANA_EMAIL } from '../helpers/factories';
import { api, collect, eventually, expectError, profile } from './helpers';

const DAY = 24 * 3600 * 1000;

async function site(config: Record<string, unknown> = {}) {
  const key = uid('priv').toLowerCase();
  expect((await api(`/v1/admin/sites/${key}`, { method: 'PUT', json: { allowedOrigins: ['*'], ...config } })).status).toBe(201);
  return key;
}

describe('GDPR', () => {
  it('export returns everything stored about the visitor', async () => {
    const key = await site({ scoring: { behavior: [{ id: 'dl', when: { type: 'download' }, points: 10 }] } });
    const batch = makeBatch([journey.identify(), journey.download()], { site: key });
    await collect(batch);
    const res = await api(`/v1/admin/sites/${key}/visitors/${batch.anonymousId}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('attachment');
    expect(res.body.profile).toMatchObject({ id: batch.anonymousId, traits: { email: expect.stringMatching(ANA_EMAIL) }, eventCount: 2 });
    expect(res.body.profile.timeline).toHaveLength(2);
    expect(res.body.aggregates.counts).toEqual({ identify: 1, download: 1 });
    expect(Array.isArray(res.body.deliveries)).toBe(true);
    expectError(await api(`/v1/admin/sites/${key}/visitors/${uid('nobody')}/export`), 404, 'unknown_visitor');
  });

  it('erase removes the visitor, its index row and its pending deliveries', async () => {
    const key = await site({
      webhooks: [{ id: 'down', url: 'http://127.0.0.1:9/never', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['lead.demo_requested'] }],
      delivery: { retryScheduleSeconds: [3600] },
    });
    const batch = makeBatch([journey.identify(), journey.demo()], { site: key });
    await collect(batch);
    await eventually(async () => expect((await api(`/v1/admin/sites/${key}/visitors`)).body.total).toBe(1));
    const pending = await api(`/v1/admin/sites/${key}/visitors/${batch.anonymousId}/deliveries`);
    expect(pending.body.deliveries[0].status).toBe('pending');
    expect((await api(`/v1/admin/sites/${key}/visitors/${batch.anonymousId}`, { method: 'DELETE' })).status).toBe(200);
    expect((await api(`/v1/admin/sites/${key}/visitors/${batch.anonymousId}/deliveries`)).body.deliveries).toEqual([]);
    expect((await api(`/v1/admin/sites/${key}/visitors`)).body.total).toBe(0);
    // What stays is the erasure's tombstone, with the alarm that drops it (test/worker/erasure.test.ts).
    const left = await runInDurableObject(visitorStub(env as never, key, batch.anonymousId), async (_i: VisitorObject, ctx) => ({
      tables: ctx.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'").toArray().map((r) => r.name),
      alarm: await ctx.storage.getAlarm(),
    }));
    expect(left.tables).toEqual(['erased']);
    expect(left.alarm).toBeGreaterThan(Date.now() + 399 * DAY);
  });
});

describe('retention', () => {
  it("purges events older than the site's window, by the visitor's own alarm", async () => {
    const key = await site({ retentionDays: 2 });
    const now = Date.now();
    // One beacon entirely past the window, one straddling it (a stored row holds one beacon's events).
    const old = makeBatch([makeEvent({ ts: now - 4 * DAY })], { site: key, sentAt: now });
    const batch = makeBatch([makeEvent({ ts: now - 3 * DAY }), makeEvent({ ts: now - 1000 })], { site: key, sentAt: now, anonymousId: old.anonymousId });
    await collect(old);
    await collect(batch);
    // The alarm is due at once (the old event is already past the window); run it if it has not run.
    await runDurableObjectAlarm(visitorStub(env as never, key, batch.anonymousId));
    await eventually(async () => {
      const after = await profile(key, batch.anonymousId);
      expect(after.body.timeline.map((e: any) => e.id)).toEqual([batch.events[1]!.id]);
      expect(after.body.eventCount).toBe(3);
    });
  });

  it('purges timeline rows, rows straddling the cutoff and entries still in the state row alike; purged ids stay deduplicated', async () => {
    const key = await site({ retentionDays: 2 });
    const now = Date.now();
    const events = (n: number, ts: (k: number) => number) => Array.from({ length: n }, (_, k) => makeEvent({ ts: ts(k) }));
    // 12 events fill a timeline row at once; 2 stay in the state row.
    const past = makeBatch(events(12, () => now - 4 * DAY), { site: key, sentAt: now });
    const straddling = makeBatch(events(12, (k) => (k < 6 ? now - 3 * DAY : now - 2000)), { site: key, sentAt: now, anonymousId: past.anonymousId });
    const recent = makeBatch(events(2, (k) => (k === 0 ? now - 3 * DAY : now - 1000)), { site: key, sentAt: now, anonymousId: past.anonymousId });
    for (const b of [past, straddling, recent]) expect((await collect(b)).body.accepted).toBe(b.events.length);
    await runDurableObjectAlarm(visitorStub(env as never, key, past.anonymousId));
    const kept = [...straddling.events.slice(6), recent.events[1]!].map((e) => e.id);
    await eventually(async () => {
      const after = await profile(key, past.anonymousId);
      expect([...after.body.timeline.map((e: any) => e.id)].sort()).toEqual([...kept].sort());
      expect(after.body.eventCount).toBe(26);
    });
    for (const b of [past, straddling, recent]) expect((await collect(b)).body).toMatchObject({ accepted: 0, duplicates: b.events.length });
  });

  it('erases a visitor unseen for the whole window, index row included', async () => {
    const key = await site({ retentionDays: 2 });
    const now = Date.now();
    const batch = makeBatch([{ ...journey.identify(), ts: now - 3 * DAY }], { site: key, sentAt: now });
    await collect(batch);
    await runDurableObjectAlarm(visitorStub(env as never, key, batch.anonymousId));
    await eventually(async () => {
      expectError(await profile(key, batch.anonymousId), 404, 'unknown_visitor');
      expect((await api(`/v1/admin/sites/${key}/visitors`)).body.total).toBe(0);
    });
  });
});

describe('no raw IP is stored', () => {
  it("the client's address appears nowhere in what is kept", async () => {
    const key = await site();
    const batch = makeBatch([journey.identify(), journey.download()], { site: key });
    await collect(batch, { 'cf-connecting-ip': '203.0.113.77', 'x-forwarded-for': '203.0.113.77' });
    const exported = await api(`/v1/admin/sites/${key}/visitors/${batch.anonymousId}/export`);
    expect(JSON.stringify(exported.body)).not.toContain('203.0.113.77');
  });
});
