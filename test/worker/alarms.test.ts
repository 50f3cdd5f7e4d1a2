/**
 * A visitor's alarm under faults, with real alarms firing (never runDurableObjectAlarm): whenever a
 * visitor has pending work, an alarm is set for a time in the future (or for now, when a row is due now).
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { FaultStep, RunOrigin, VisitorObject } from '../../worker/objects/visitor-object';
import { visitorStub } from '../../worker/routes/stubs';
import { journey, makeBatch, uid } from '../helpers/factories';
import { api, collect, eventually } from './helpers';
import { receiverLog, script, siteWithHooks } from './webhook-helpers';

type Snapshot = { pending: number; minNextAt: number | null; alarm: number | null; now: number; inAlarm: boolean };

/** What the invariant is about, read inside the object. */
function snapshot(stub: DurableObjectStub<VisitorObject>): Promise<Snapshot> {
  return runInDurableObject(stub, async (instance: VisitorObject, ctx) => {
    const { sql } = ctx.storage;
    const hasOutbox = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").toArray().length > 0;
    const row = hasOutbox
      ? sql.exec<{ n: number; m: number | null }>("SELECT count(*) AS n, min(next_at) AS m FROM outbox WHERE status = 'pending'").one()
      : { n: 0, m: null };
    const alarm = await ctx.storage.getAlarm();
    return { pending: row.n, minNextAt: row.m, alarm, now: Date.now(), inAlarm: alarmRuns(instance).running > 0 };
  });
}

/** Counts the alarm handler's runs, and whether one is running, by wrapping it on the instance. */
function alarmRuns(instance: VisitorObject): { fired: number; running: number } {
  const o = instance as VisitorObject & { alarmRuns?: { fired: number; running: number } };
  if (o.alarmRuns) return o.alarmRuns;
  const runs = (o.alarmRuns = { fired: 0, running: 0 });
  const alarm = instance.alarm.bind(instance);
  instance.alarm = async () => {
    runs.fired += 1;
    runs.running += 1;
    try {
      return await alarm();
    } finally {
      runs.running -= 1;
    }
  };
  return runs;
}

/**
 * Pending work has an alarm, set for later, or for a moment already past when a row is due by then
 * (it runs now). The runtime takes an alarm as it fires it: getAlarm() says null from then until
 * the handler sets one again (and the runtime runs the handler again if it fails), so null is
 * accepted while the handler runs, or for FIRING_MS while a row is due and the handler is starting.
 */
const FIRING_MS = 500;

function armed(s: Snapshot): 'armed' | 'firing' {
  if (s.pending === 0 || s.inAlarm) return 'armed';
  if (s.alarm !== null && s.alarm > s.now) return 'armed';
  const due = s.minNextAt !== null && s.minNextAt <= s.now;
  return due ? (s.alarm === null ? 'firing' : 'armed') : 'firing';
}

/** Samples the invariant every few milliseconds until `done`. */
async function watch(stub: DurableObjectStub<VisitorObject>, context: string, done: (s: Snapshot) => Promise<boolean>, timeoutMs = 9000): Promise<Snapshot[]> {
  const end = Date.now() + timeoutMs;
  const seen: Snapshot[] = [];
  let firingSince: number | null = null;
  for (;;) {
    const s = await snapshot(stub);
    seen.push(s);
    const state = armed(s);
    const detail = `${context}: ${JSON.stringify({ ...s, alarmIn: s.alarm === null ? null : s.alarm - s.now, dueIn: s.minNextAt === null ? null : s.minNextAt - s.now })}`;
    // An alarm in the past with no row due is never right (it fires for nothing).
    if (s.alarm !== null && s.alarm <= s.now && !s.inAlarm && s.pending > 0) expect(s.minNextAt! <= s.now, detail).toBe(true);
    if (state === 'firing') {
      firingSince ??= s.now;
      expect(s.now - firingSince, `pending work without an alarm for ${s.now - firingSince} ms: ${detail}`).toBeLessThan(FIRING_MS);
    } else firingSince = null;
    if (await done(s)) return seen;
    if (Date.now() > end) throw new Error(`${context}: not done after ${timeoutMs} ms; last ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Makes the next `step` of a run started by `origin` throw, once. */
async function injectOnce(stub: DurableObjectStub<VisitorObject>, step: FaultStep, origin: RunOrigin) {
  const state = { fired: false };
  await runInDurableObject(stub, (instance: VisitorObject) => {
    alarmRuns(instance);
    instance.faults.step = (s, o) => {
      if (s !== step || o !== origin || state.fired) return;
      state.fired = true;
      throw new Error(`injected fault at ${s} (${o})`);
    };
  });
  return state;
}

// Every await and storage step of delivery and the alarm, from the run that reaches it: a demo alert
// whose first attempt (a request) is answered 500, so its retry comes from the alarm.
const CASES: { step: FaultStep; origin: RunOrigin }[] = [
  ...(['config', 'read', 'claim', 'lease', 'fetch', 'record', 'notice', 'rearm'] as const).map((step) => ({ step, origin: 'request' as const })),
  ...(['arm', 'config', 'retention', 'read', 'lease', 'fetch', 'record', 'disable', 'rearm'] as const).map((step) => ({ step, origin: 'alarm' as const })),
];

describe('alarms under faults', () => {
  it.concurrent.each(CASES)('a fault at $step during a $origin run delays the demo alert but never leaves it without an alarm', async ({ step, origin }) => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.demo_requested'] }], { retryScheduleSeconds: [0.4, 0.2, 0.2, 0.2, 0.2, 0.2], timeoutMs: 1000 });
    const aid = uid('a');
    const stub = visitorStub(env as never, site, aid);
    // The first attempt fails, so the alarm sends the retry; at 'disable' the retry is answered 410.
    if (origin === 'alarm') await script(hook('crm'), { fail: step === 'disable' ? 2 : 1, status: 500 });
    const fault = await injectOnce(stub, step, origin);
    expect((await collect(makeBatch([journey.identify(), journey.demo()], { site, anonymousId: aid }))).status).toBe(200);
    if (step === 'disable') {
      await eventually(async () => expect((await receiverLog(hook('crm'))).attempts).toHaveLength(1));
      await script(hook('crm'), { fail: 1, status: 410 });
    }

    const context = `fault at ${step} (${origin})`;
    await watch(stub, context, async (s) => s.pending === 0 && (step === 'disable' || (await receiverLog(hook('crm'))).deliveries.length > 0));
    expect(fault.fired, `${context}: the fault was reached`).toBe(true);
    const l = await receiverLog(hook('crm'));
    // At least once: a fault after the receiver answered 200 ('record') sends the same message again.
    expect(new Set(l.attempts.map((a) => a.id)).size).toBe(1);
    if (step !== 'disable') expect(l.deliveries.length).toBeGreaterThanOrEqual(1);
    // Nothing pending, and the alarm that stays is the retention check, far ahead.
    const last = await snapshot(stub);
    expect(last.alarm, context).not.toBeNull();
    expect(last.alarm! - last.now, context).toBeGreaterThan(3600_000);
  }, 20_000);

  it('while a failed alert waits for its retry, later alerts go out and the alarm waits for the retry instead of firing over and over', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.stage_changed'] }], { retryScheduleSeconds: [1.5, 1.5] });
    await script(hook('crm'), { fail: 1, status: 500 });
    const aid = uid('a');
    const stub = visitorStub(env as never, site, aid);
    const runs = await runInDurableObject(stub, (instance: VisitorObject) => alarmRuns(instance));
    await collect(makeBatch([journey.identify()], { site, anonymousId: aid }));
    await eventually(async () => expect((await receiverLog(hook('crm'))).attempts).toHaveLength(1));
    await collect(makeBatch([journey.download(), journey.webinar()], { site, anonymousId: aid }));
    await collect(makeBatch([journey.demo()], { site, anonymousId: aid }));
    // The MQL and SQL changes do not wait behind the failed "known" one.
    await eventually(async () => expect((await receiverLog(hook('crm'))).deliveries.map((d) => d.payload.data.stage)).toEqual(['mql', 'sql']));
    await watch(stub, 'retry behind', async () => (await receiverLog(hook('crm'))).deliveries.length === 3, 5000);
    expect((await receiverLog(hook('crm'))).deliveries.map((d) => d.payload.data.stage)).toEqual(['mql', 'sql', 'known']);
    // One alarm for the retry (and at most one more for the retention check that follows).
    expect(runs.fired).toBeLessThanOrEqual(2);
  }, 10_000);

  it('retention that fails to remove the index row keeps the visitor and tries again, then erases both', async () => {
    const site = uid('ret').toLowerCase();
    expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: { allowedOrigins: ['*'], retentionDays: 1 } })).status).toBe(201);
    const aid = uid('a');
    const stub = visitorStub(env as never, site, aid);
    await collect(makeBatch([journey.identify()], { site, anonymousId: aid }));
    await eventually(async () => expect((await api(`/v1/admin/sites/${site}/visitors?limit=10`)).body.visitors.map((l: any) => l.id)).toEqual([aid]));
    const fault = await injectOnce(stub, 'forget', 'alarm');
    // Two days unseen (in memory only: the object stays up for the test), and the alarm due now.
    await runInDurableObject(stub, async (instance: VisitorObject, ctx) => {
      const o = instance as unknown as { state: { aggregates: { lastSeen: number } } };
      o.state = { ...o.state, aggregates: { ...o.state.aggregates, lastSeen: Date.now() - 2 * 86_400_000 } };
      await ctx.storage.setAlarm(Date.now() + 50);
    });
    await eventually(async () => expect(fault.fired).toBe(true));
    // After the fault the visitor is still there, with an alarm to try again.
    const after = await runInDurableObject(stub, async (_i: VisitorObject, ctx) => ({ alarm: await ctx.storage.getAlarm(), now: Date.now() }));
    expect((await api(`/v1/admin/sites/${site}/visitors/${aid}`)).status).toBe(200);
    expect(after.alarm).not.toBeNull();
    await eventually(async () => {
      expect((await api(`/v1/admin/sites/${site}/visitors/${aid}`)).status).toBe(404);
      expect((await api(`/v1/admin/sites/${site}/visitors?limit=10`)).body.visitors).toEqual([]);
    }, 5000);
  });
});
