import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { FINISHED_KEPT } from '../../worker/objects/outbox-store';
import type { VisitorObject } from '../../worker/objects/visitor-object';
import { visitorStub } from '../../worker/routes/stubs';
import { MAX_PAYLOAD_BYTES } from '../../worker/webhooks/payload';
import { journey, makeBatch, makeEvent, uid, ANA_EMAIL } from '../helpers/factories';
import { api, collect, eventually } from './helpers';
import { deliveries, receiverLog as log, script, settle, siteWithHooks } from './webhook-helpers';

/** The object's tables (sqlite_master), to see what a code path created. */
const tables = (stub: DurableObjectStub<VisitorObject>) =>
  runInDurableObject(stub, (_i: VisitorObject, ctx) => ctx.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((r) => r.name));

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
    expect(p).toMatchObject({ type: 'lead.demo_requested', data: { site, visitor: { id: batch.anonymousId }, traits: { email: expect.stringMatching(ANA_EMAIL) }, stage: 'sql', trigger: { type: 'demo_request' } } });
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

  it("one visitor's alerts are first attempted in order: the stage change, then SQL, then the demo request", async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.stage_changed', 'lead.sql', 'lead.demo_requested'] }], { retryScheduleSeconds: [0.2] });
    const aid = uid('a');
    await collect(makeBatch([journey.identify(), journey.download(), journey.webinar()], { site, anonymousId: aid }));
    await eventually(async () => expect((await log(hook('crm'))).deliveries).toHaveLength(2));
    await collect(makeBatch([journey.demo()], { site, anonymousId: aid }));
    const l = await eventually(async () => {
      const l = await log(hook('crm'));
      expect(l.deliveries).toHaveLength(5);
      return l;
    });
    expect(l.attempts.map((a) => a.type)).toEqual(['lead.stage_changed', 'lead.stage_changed', 'lead.stage_changed', 'lead.sql', 'lead.demo_requested']);
    expect(l.deliveries.map((d) => d.payload.data.stage)).toEqual(['known', 'mql', 'sql', 'sql', 'sql']);
  });

  it("a 400 on lead.mql does not hold up the same visitor's demo alert", async () => {
    // Retries 5 s apart: the demo alert must not wait for any of them.
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.mql', 'lead.demo_requested'] }], { retryScheduleSeconds: [5, 5, 5] });
    await script(hook('crm'), { fail: 100, status: 400, type: 'lead.mql' });
    const aid = uid('a');
    await collect(makeBatch([journey.identify(), journey.download(), journey.webinar()], { site, anonymousId: aid }));
    await eventually(async () => expect((await log(hook('crm'))).attempts).toHaveLength(1));
    await collect(makeBatch([journey.demo()], { site, anonymousId: aid }));
    const l = await eventually(async () => {
      const l = await log(hook('crm'));
      expect(l.deliveries).toHaveLength(1);
      return l;
    });
    expect(l.deliveries[0]!.payload.type).toBe('lead.demo_requested');
    const mql = (await deliveries(site, aid)).find((d) => d.type === 'lead.mql');
    expect(mql).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 400 });
  });

  it('a non-retryable answer (400) fails the message after 3 attempts, however long the schedule', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.mql'] }], { retryScheduleSeconds: Array(10).fill(0.05) });
    await script(hook('crm'), { fail: 100, status: 400 });
    const aid = uid('a');
    await collect(makeBatch([journey.identify(), journey.download(), journey.webinar()], { site, anonymousId: aid }));
    const failed = await eventually(async () => {
      const [d] = await deliveries(site, aid);
      expect(d).toMatchObject({ status: 'failed' });
      return d;
    });
    expect(failed).toMatchObject({ attempts: 3, lastStatus: 400, lastError: 'HTTP 400' });
    await settle(300);
    expect((await log(hook('crm'))).attempts.map((a) => a.answered)).toEqual([400, 400, 400]);
  });

  it("a slow endpoint does not delay another endpoint's alerts", async () => {
    const { site, hook } = await siteWithHooks([
      { id: 'slow', events: ['lead.demo_requested'] },
      { id: 'fast', events: ['lead.demo_requested'] },
    ], { timeoutMs: 5000 });
    await script(hook('slow'), { delayMs: 1200 });
    const aid = uid('a');
    await collect(makeBatch([journey.identify(), journey.demo()], { site, anonymousId: aid }));
    await eventually(async () => expect((await log(hook('slow'))).attempts).toHaveLength(1));
    await collect(makeBatch([journey.demo()], { site, anonymousId: aid }));
    // Both demo alerts reach the fast endpoint while the slow one has not answered the first yet.
    await eventually(async () => expect((await log(hook('fast'))).deliveries).toHaveLength(2));
    expect((await log(hook('slow'))).deliveries).toHaveLength(0);
    await eventually(async () => expect((await log(hook('slow'))).deliveries).toHaveLength(2), 5000);
  }, 10_000);

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

  it('a redelivery gets a full retry schedule; the log keeps every attempt', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.sql'] }], [0.05]);
    await script(hook('crm'), { fail: 2, status: 500 });
    const batch = makeBatch([journey.identify(), journey.demo()], { site });
    await collect(batch);
    const failed = await eventually(async () => {
      const [d] = await deliveries(site, batch.anonymousId);
      expect(d).toMatchObject({ status: 'failed', attempts: 2 });
      return d;
    });
    // The redelivery fails once more, then succeeds on the retry its new schedule allows.
    await script(hook('crm'), { fail: 1, status: 500 });
    expect((await api(`/v1/admin/sites/${site}/visitors/${batch.anonymousId}/deliveries/${failed.id}/redeliver`, { method: 'POST' })).status).toBe(202);
    const done = await eventually(async () => {
      const [d] = await deliveries(site, batch.anonymousId);
      expect(d).toMatchObject({ status: 'delivered' });
      return d;
    });
    expect(done.attempts).toBe(4);
    expect(done.log.map((a: any) => [a.attempt, a.status])).toEqual([[1, 500], [2, 500], [3, 500], [4, 200]]);
    expect((await log(hook('crm'))).deliveries.map((d) => d.id)).toEqual([failed.id]);
  });

  it('site notices do not push webhook deliveries out of the log', async () => {
    const stub = visitorStub(env as never, 'demo', uid('a'));
    const kept = await runInDurableObject(stub, (instance: VisitorObject) => {
      const outbox = (instance as unknown as { outbox: import('../../worker/objects/outbox-store').OutboxStore }).outbox;
      let seq = 0;
      const finish = (kind: 'webhook' | 'site', n: number) => {
        for (let k = 0; k < n; k++) {
          const i = seq++;
          const id = `${kind === 'site' ? 'ntc' : 'msg'}_${i}`;
          outbox.add({ id, kind, target: kind === 'site' ? 'site' : 'crm', eventType: kind === 'site' ? 'notice' : 'lead.sql', payload: '{}', createdAt: i, nextAt: i });
          outbox.recordAttempt({ id, kind }, { attempt: 1, at: i, status: 200, latencyMs: 1, error: null }, { status: 'delivered', nextAt: i });
        }
      };
      finish('webhook', FINISHED_KEPT);
      finish('site', 50);
      const afterNotices = outbox.list(1000).length;
      finish('webhook', 1);
      return { afterNotices, afterOneMore: outbox.list(1000).length, oldest: outbox.list(1000).at(-1)!.id };
    });
    expect(kept).toEqual({ afterNotices: FINISHED_KEPT, afterOneMore: FINISHED_KEPT, oldest: 'msg_1' });
  });

  it("reading a visitor's deliveries, or a refused redelivery, creates no outbox", async () => {
    const { site } = await siteWithHooks([{ id: 'crm', events: ['lead.sql'] }]);
    const aid = uid('a');
    expect(await deliveries(site, aid)).toEqual([]);
    const id = `msg_${crypto.randomUUID()}`;
    expect((await api(`/v1/admin/sites/${site}/visitors/${aid}/deliveries/${id}/redeliver`, { method: 'POST' })).status).toBe(409);
    const made = await tables(visitorStub(env as never, site, aid));
    expect(made).not.toContain('outbox');
    expect(made).not.toContain('attempts');
  });

  it('an erase while a webhook attempt is in flight leaves nothing behind when the attempt ends', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.sql'] }], { timeoutMs: 5000 });
    await script(hook('crm'), { delayMs: 600 });
    const batch = makeBatch([journey.identify(), journey.demo()], { site });
    await collect(batch);
    await eventually(async () => expect((await log(hook('crm'))).attempts).toHaveLength(1));
    expect((await api(`/v1/admin/sites/${site}/visitors/${batch.anonymousId}`, { method: 'DELETE' })).status).toBe(200);
    // The receiver answers 200 after the erase; the attempt's end must write nothing.
    await eventually(async () => expect((await log(hook('crm'))).deliveries).toHaveLength(1));
    await settle(300);
    const stub = visitorStub(env as never, site, batch.anonymousId);
    expect(await tables(stub)).not.toEqual(expect.arrayContaining(['attempts']));
    expect(await tables(stub)).not.toEqual(expect.arrayContaining(['outbox']));
    expect(await deliveries(site, batch.anonymousId)).toEqual([]);
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
    // The visitor's first write creates its tables (the outbox's with its first row): rolled back with it, nothing is left at all.
    expect(await tables(stub)).toEqual([]);

    await runInDurableObject(stub, (instance: VisitorObject) => {
      instance.faults = {};
    });
    const retried = await collect(batch);
    expect(retried.body).toMatchObject({ accepted: 2, visitor: { stage: 'sql' } });
    await eventually(async () => expect((await log(hook('crm'))).deliveries).toHaveLength(1));
  });
});
