/** The per-site ceiling on demo-request alerts per hour (config `alerts.demoRequestsPerHour`). */
import { env, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { siteStub } from '../../worker/config/config-cache';
import type { SiteObject } from '../../worker/objects/site-object';
import type { VisitorObject } from '../../worker/objects/visitor-object';
import { visitorStub } from '../../worker/routes/stubs';
import { journey, makeBatch, uid } from '../helpers/factories';
import { api, collect, eventually, expectError } from './helpers';
import { deliveries, receiverLog, settle, siteWithHooks } from './webhook-helpers';

const HOUR_MS = 3_600_000;

// Counts are per clock hour: start well inside one, so a test never straddles two.
beforeAll(async () => {
  const left = HOUR_MS - (Date.now() % HOUR_MS);
  if (left < 20_000) await new Promise((r) => setTimeout(r, left + 100));
}, 30_000);

/** A known visitor's demo request; resolves once its alert is no longer pending. */
async function demoRequest(site: string) {
  const aid = uid('a');
  await collect(makeBatch([journey.identify(), journey.demo()], { site, anonymousId: aid }));
  const [alert] = await eventually(async () => {
    const d = await deliveries(site, aid);
    expect(d[0]?.status).toMatch(/delivered|cancelled/);
    return d;
  });
  return { aid, alert };
}

describe('demo alert ceiling', () => {
  it("past the site's hourly ceiling a demo alert is not sent: the delivery log says why and the site counts it", async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.demo_requested'] }], { demoRequestsPerHour: 2 });
    const first = await demoRequest(site);
    const second = await demoRequest(site);
    const third = await demoRequest(site);
    expect([first.alert.status, second.alert.status]).toEqual(['delivered', 'delivered']);
    expect(third.alert).toMatchObject({
      status: 'cancelled',
      attempts: 0,
      lastError: "suppressed: the site's ceiling of 2 demo alerts per hour was reached",
      log: [],
    });
    await settle();
    expect((await receiverLog(hook('crm'))).deliveries.map((d) => d.payload.data.visitor.id)).toEqual([first.aid, second.aid]);

    const stats = await api(`/v1/admin/sites/${site}`);
    expect(stats.body.demoAlerts).toEqual({ thisHour: { allowed: 2, suppressed: 1 }, last24Hours: { allowed: 2, suppressed: 1 } });
  });

  it('redelivering a suppressed alert sends it (an admin clicking is not a flood)', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.demo_requested'] }], { demoRequestsPerHour: 1 });
    await demoRequest(site);
    const over = await demoRequest(site);
    expect(over.alert.status).toBe('cancelled');
    expect((await api(`/v1/admin/sites/${site}/visitors/${over.aid}/deliveries/${over.alert.id}/redeliver`, { method: 'POST' })).status).toBe(202);
    await eventually(async () => expect((await receiverLog(hook('crm'))).deliveries.map((d) => d.id)).toContain(over.alert.id));
    expect((await deliveries(site, over.aid))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('a claim repeated for the same alert keeps its slot and takes no other', async () => {
    const site = uid('cl').toLowerCase();
    const results = await runInDurableObject(siteStub(env as never, site), (instance: SiteObject) => [
      instance.claimDemoAlert('msg_a', 1),
      instance.claimDemoAlert('msg_a', 1),
      instance.claimDemoAlert('msg_b', 1),
      instance.claimDemoAlert('msg_a', 1),
      instance.demoAlertStats().thisHour,
    ]);
    expect(results).toEqual([true, true, false, true, { allowed: 1, suppressed: 1 }]);
  });

  it('when the site object cannot be reached the demo alert is sent anyway', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.demo_requested'] }], { demoRequestsPerHour: 1 });
    const aid = uid('a');
    await runInDurableObject(visitorStub(env as never, site, aid), (instance: VisitorObject) => {
      instance.faults.step = (step) => {
        if (step === 'claim') throw new Error('site object unreachable');
      };
    });
    await collect(makeBatch([journey.identify(), journey.demo()], { site, anonymousId: aid }));
    await eventually(async () => expect((await receiverLog(hook('crm'))).deliveries).toHaveLength(1));
    expect((await deliveries(site, aid))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    // Not counted: the site object never heard of it.
    expect((await api(`/v1/admin/sites/${site}`)).body.demoAlerts.thisHour).toEqual({ allowed: 0, suppressed: 0 });
  });

  it('only demo requests count: MQL and SQL alerts are never suppressed', async () => {
    const { site, hook } = await siteWithHooks([{ id: 'crm', events: ['lead.sql', 'lead.demo_requested'] }], { demoRequestsPerHour: 1 });
    await demoRequest(site);
    const { aid } = await demoRequest(site);
    const mine = await eventually(async () => {
      const d = await deliveries(site, aid);
      expect(d.map((x) => x.status).sort()).toEqual(['cancelled', 'delivered']);
      return d;
    });
    expect(mine.find((x) => x.status === 'delivered')!.type).toBe('lead.sql');
    expect((await receiverLog(hook('crm'))).deliveries.map((d) => d.payload.type).sort()).toEqual(['lead.demo_requested', 'lead.sql', 'lead.sql']);
  });

  it('the ceiling is validated: 1 to 100,000 a whole number', async () => {
    for (const bad of [0, 100_001, 2.5, '10']) {
      const res = await api(`/v1/admin/sites/${uid('cv').toLowerCase()}`, { method: 'PUT', json: { alerts: { demoRequestsPerHour: bad } } });
      expectError(res, 400, 'invalid_config');
      expect(res.body.error.issues[0].path).toBe('alerts.demoRequestsPerHour');
    }
  });
});
