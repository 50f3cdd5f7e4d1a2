import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import type { VisitorObject } from '../../worker/objects/visitor-object';
import { visitorStub } from '../../worker/routes/stubs';
import { MAX_PAYLOAD_BYTES } from '../../worker/webhooks/payload';
import { journey, makeBatch, makeEvent, uid } from '../helpers/factories';
import { api, collect, eventually } from './helpers';

// @ts-expect-error plain ESM helper without types
import { TEST_WEBHOOK_SECRET } from '../helpers/recording-receiver.mjs';

const rx = inject('receiverUrl');
type Log = { attempts: { id: string; verified: boolean; answered?: number; at: number }[]; deliveries: { id: string; payload: any }[] };
const log = async (hook: string): Promise<Log> => (await fetch(`${rx}/log/${hook}`)).json() as Promise<Log>;
const script = (hook: string, s: { fail: number; status?: number; retryAfter?: string }) =>
  fetch(`${rx}/control/${hook}`, { method: 'POST', body: JSON.stringify(s) });

/** A fresh site whose endpoints point at the recording receiver, each under its own hook name. */
async function siteWithHooks(hooks: { id: string; events: string[]; format?: string }[], retryScheduleSeconds = [0.05, 0.05, 0.05, 0.05, 0.05]) {
  const site = uid('wh').toLowerCase();
  const names = Object.fromEntries(hooks.map((h) => [h.id, `${site}-${h.id}`]));
  const res = await api(`/v1/admin/sites/${site}`, {
    method: 'PUT',
    json: {
      allowedOrigins: ['*'],
      stages: { mql: { score: 40 }, sql: { score: 500 } },
      scoring: { halfLifeDays: 0, behavior: [{ id: 'content', when: { type: ['download', 'webinar_signup'] }, points: 20 }, { id: 'demo', when: { type: 'demo_request' }, points: 50 }] },
      webhooks: hooks.map((h) => ({ id: h.id, url: `${rx}/hooks/${names[h.id]}`, secret: TEST_WEBHOOK_SECRET, events: h.events, format: h.format ?? 'standard' })),
      delivery: { retryScheduleSeconds, timeoutMs: 2000 },
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { site, hook: (id: string) => names[id]! };
}

const settle = () => new Promise((r) => setTimeout(r, 150));

describe('handoff webhooks', () => {
  it('a demo request produces exactly one verified delivery per endpoint', async () => {
    const { site, hook } = await siteWithHooks([
      { id: 'crm', events: ['lead.demo_requested'] },
      { id: 'slack', events: ['lead.demo_requested'], format: 'slack' },
    ]);
    const batch = makeBatch([journey.identify(), journey.demo()], { site });
    await collect(batch);
    const crm = await eventually(async () => {
      const l = await log(hook('crm'));
      expect(l.deliveries).toHaveLength(1);
      return l;
    });
    const slack = await eventually(async () => {
      const l = await log(hook('slack'));
      expect(l.deliveries).toHaveLength(1);
      return l;
    });
    await settle();
    expect((await log(hook('crm'))).attempts).toHaveLength(1);
    expect(crm.attempts.every((a) => a.verified)).toBe(true);
    const p = crm.deliveries[0]!.payload;
    expect(p).toMatchObject({ type: 'lead.demo_requested', data: { site, visitor: { id: batch.anonymousId }, traits: { email: 'ana@acme.io' }, stage: 'sql', trigger: { type: 'demo_request' } } });
    expect(p.data.score.reasons[0]).toMatchObject({ rule: 'demo', points: 50 });
    expect(slack.deliveries[0]!.payload.text).toContain('Demo requested: Ana Lima');
    expect(slack.deliveries[0]!.payload.blocks.length).toBeGreaterThan(3);
  });

  it('every demo request alerts sales, even from a visitor who is already SQL', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.demo_requested'] }]);
    const aid = uid('a');
    await collect(makeBatch([journey.identify(), journey.demo()], { site, anonymousId: aid }));
    await collect(makeBatch([journey.demo()], { site, anonymousId: aid }));
    await eventually(async () => expect((await log(hook('crm'))).deliveries).toHaveLength(2));
  });

  it('a receiver that fails 3 times then recovers gets the alert once, with the same webhook-id', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.sql'] }]);
    await script(hook('crm'), { fail: 3, status: 500 });
    const batch = makeBatch([journey.identify(), journey.demo()], { site });
    await collect(batch);
    const l = await eventually(async () => {
      const l = await log(hook('crm'));
      expect(l.deliveries).toHaveLength(1);
      return l;
    }, 5000);
    expect(l.attempts.map((a) => a.answered)).toEqual([500, 500, 500, 200]);
    expect(new Set(l.attempts.map((a) => a.id)).size).toBe(1);

    const deliveries = await api(`/v1/admin/sites/${site}/visitors/${batch.anonymousId}/deliveries`);
    expect(deliveries.body.deliveries[0]).toMatchObject({ id: l.attempts[0]!.id, status: 'delivered', attempts: 4, lastStatus: 200 });
    expect(deliveries.body.deliveries[0].log.map((a: any) => a.status)).toEqual([500, 500, 500, 200]);
  });

  it('honours Retry-After on 503', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.sql'] }]);
    await script(hook('crm'), { fail: 1, status: 503, retryAfter: '1' });
    await collect(makeBatch([journey.identify(), journey.demo()], { site }));
    const l = await eventually(async () => {
      const l = await log(hook('crm'));
      expect(l.deliveries).toHaveLength(1);
      return l;
    }, 5000);
    expect(l.attempts[1]!.at - l.attempts[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('transitions for one visitor arrive in order, even when the first one needs a retry', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.stage_changed'] }], [0.2, 0.2, 0.2]);
    await script(hook('crm'), { fail: 1, status: 500 });
    const aid = uid('a');
    await collect(makeBatch([journey.identify()], { site, anonymousId: aid }));
    await collect(makeBatch([journey.download(), journey.webinar()], { site, anonymousId: aid }));
    await collect(makeBatch([journey.demo()], { site, anonymousId: aid }));
    const l = await eventually(async () => {
      const l = await log(hook('crm'));
      expect(l.deliveries).toHaveLength(3);
      return l;
    }, 5000);
    expect(l.deliveries.map((d) => d.payload.data.stage)).toEqual(['known', 'mql', 'sql']);
  });

  it('410 Gone turns the endpoint off; the failed delivery stays visible', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.stage_changed'] }]);
    await script(hook('crm'), { fail: 1, status: 410 });
    const aid = uid('a');
    await collect(makeBatch([journey.identify()], { site, anonymousId: aid }));
    await eventually(async () => {
      const config = await api(`/v1/admin/sites/${site}`);
      expect(config.body.config.webhooks[0].enabled).toBe(false);
      expect(config.body.note).toContain('410');
    });
    await collect(makeBatch([journey.demo()], { site, anonymousId: aid }));
    await settle();
    expect((await log(hook('crm'))).attempts).toHaveLength(1);
    const d = await api(`/v1/admin/sites/${site}/visitors/${aid}/deliveries`);
    expect(d.body.deliveries.find((x: any) => x.status === 'failed')).toMatchObject({ lastStatus: 410 });
  });

  it('an exhausted delivery stays visible, and redeliver sends it again with the same id', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.sql'] }], [0.05]);
    await script(hook('crm'), { fail: 2, status: 500 });
    const batch = makeBatch([journey.identify(), journey.demo()], { site });
    await collect(batch);
    const failed = await eventually(async () => {
      const d = await api(`/v1/admin/sites/${site}/visitors/${batch.anonymousId}/deliveries`);
      expect(d.body.deliveries[0]).toMatchObject({ status: 'failed', attempts: 2 });
      return d.body.deliveries[0];
    });
    expect((await log(hook('crm'))).deliveries).toHaveLength(0);
    const re = await api(`/v1/admin/sites/${site}/visitors/${batch.anonymousId}/deliveries/${failed.id}/redeliver`, { method: 'POST' });
    expect(re.status).toBe(202);
    const l = await eventually(async () => {
      const l = await log(hook('crm'));
      expect(l.deliveries).toHaveLength(1);
      return l;
    });
    expect(l.deliveries[0]!.id).toBe(failed.id);
  });

  it('payloads carry at most 20 timeline events and stay under 20 KB', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.sql'] }]);
    const aid = uid('a');
    const bulky = () => makeEvent({ title: 't'.repeat(300), props: Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`k${k}`, 'v'.repeat(200)])) });
    for (let i = 0; i < 2; i++) {
      expect((await collect(makeBatch([journey.identify(), ...Array.from({ length: 15 }, bulky)], { site, anonymousId: aid }))).status).toBe(200);
    }
    await collect(makeBatch([journey.demo()], { site, anonymousId: aid }));
    const l = await eventually(async () => {
      const l = await log(hook('crm'));
      expect(l.deliveries).toHaveLength(1);
      return l;
    });
    const p = l.deliveries[0]!.payload;
    expect(new TextEncoder().encode(JSON.stringify(p)).byteLength).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(p.data.timeline.length).toBeLessThanOrEqual(20);
    expect(p.data.timeline[0].type).toBe('demo_request');
  });
});

describe('transactional outbox', () => {
  it('an error thrown between the transition and its delivery neither loses nor duplicates the alert', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.sql'] }]);
    const batch = makeBatch([journey.identify(), journey.demo()], { site });
    const stub = visitorStub(env as never, site, batch.anonymousId);
    await runInDurableObject(stub, (instance: VisitorObject) => {
      instance.faults.afterCommit = () => {
        throw new Error('simulated crash after commit');
      };
    });
    const crashed = await collect(batch);
    expect(crashed.status).toBe(500);
    await settle();
    expect((await log(hook('crm'))).attempts).toHaveLength(0);

    await runInDurableObject(stub, (instance: VisitorObject) => {
      instance.faults = {};
    });
    // The client retries the same batch: already applied, so no second transition.
    const retried = await collect(batch);
    expect(retried.body).toMatchObject({ accepted: 0, duplicates: 2, visitor: { stage: 'sql' } });
    // The alarm written with the transition delivers it.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const l = await eventually(async () => {
      const l = await log(hook('crm'));
      expect(l.deliveries).toHaveLength(1);
      return l;
    });
    await settle();
    expect((await log(hook('crm'))).deliveries).toHaveLength(1);
    expect(l.deliveries[0]!.payload.data.stage).toBe('sql');
  });

  it('a crash in the middle of applying a batch leaves nothing half-applied', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.sql'] }]);
    const batch = makeBatch([journey.identify(), journey.demo()], { site });
    const stub = visitorStub(env as never, site, batch.anonymousId);
    await runInDurableObject(stub, (instance: VisitorObject) => {
      instance.faults.midTransaction = () => {
        throw new Error('simulated crash mid-transaction');
      };
    });
    expect((await collect(batch)).status).toBe(500);
    // The visitor's first write creates its tables: rolled back with it, nothing is left at all.
    const stored = await runInDurableObject(stub, (_i: VisitorObject, ctx) => {
      const rows = (table: string) =>
        ctx.storage.sql.exec('SELECT 1 FROM sqlite_master WHERE name = ?', table).toArray().length ? ctx.storage.sql.exec(`SELECT count(*) AS n FROM ${table}`).one().n : 0;
      return { timeline: rows('timeline'), state: rows('state'), outbox: rows('outbox') };
    });
    expect(stored).toEqual({ timeline: 0, state: 0, outbox: 0 });

    await runInDurableObject(stub, (instance: VisitorObject) => {
      instance.faults = {};
    });
    const retried = await collect(batch);
    expect(retried.body).toMatchObject({ accepted: 2, visitor: { stage: 'sql' } });
    await eventually(async () => expect((await log(hook('crm'))).deliveries).toHaveLength(1));
  });
});
