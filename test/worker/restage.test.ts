import { describe, expect, inject, it } from 'vitest';
import { journey, makeBatch, makeEvent, uid } from '../helpers/factories';
// @ts-expect-error plain ESM helper without types
import { TEST_WEBHOOK_SECRET } from '../helpers/recording-receiver.mjs';
import { api, collect, eventually, expectError } from './helpers';

const rx = inject('receiverUrl');
const log = async (hook: string) => (await (await fetch(`${rx}/log/${hook}`)).json()) as { deliveries: { payload: any }[] };

/** Three known leads scoring 60, 30 and 10 on a site whose MQL threshold (100) none of them passes. */
async function siteWithLeads() {
  const site = uid('rs').toLowerCase();
  const hook = `${site}-crm`;
  const config = {
    allowedOrigins: ['*'],
    stages: { mql: { score: 100 }, sql: { score: 500 } },
    scoring: { halfLifeDays: 0, behavior: [{ id: 'page', when: { type: 'page_view' }, points: 10 }] },
    webhooks: [{ id: 'crm', url: `${rx}/hooks/${hook}`, secret: TEST_WEBHOOK_SECRET, events: ['lead.mql', 'lead.stage_changed'] }],
    delivery: { retryScheduleSeconds: [0.05], timeoutMs: 2000 },
  };
  expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: config })).status).toBe(201);
  const leads: Record<number, string> = {};
  for (const pages of [6, 3, 1]) {
    const aid = uid('lead');
    leads[pages * 10] = aid;
    await collect(makeBatch([journey.identify(), ...Array.from({ length: pages }, () => makeEvent())], { site, anonymousId: aid }));
  }
  await eventually(async () => expect((await api(`/v1/admin/sites/${site}/visitors`)).body.total).toBe(3));
  const current = (await api(`/v1/admin/sites/${site}`)).body.config;
  return { site, hook, leads, lowered: { ...current, stages: { mql: { score: 25 }, sql: { score: 500 } } } };
}

const stageOf = async (site: string, aid: string) => (await api(`/v1/admin/sites/${site}/visitors/${aid}`)).body.stage;

describe('a config save that changes who passes a threshold', () => {
  it('shows a preview first and saves nothing', async () => {
    const { site, leads, lowered } = await siteWithLeads();
    const before = (await api(`/v1/admin/sites/${site}`)).body.version;
    const preview = await api(`/v1/admin/sites/${site}/config/preview`, { method: 'POST', json: lowered });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ changesStaging: true, leads: 2, moves: [{ from: 'known', to: 'mql', leads: 2 }], indexed: 3 });
    expect((await api(`/v1/admin/sites/${site}`)).body.version).toBe(before);
    expect(await stageOf(site, leads[60]!)).toBe('known');
    expectError(await api(`/v1/admin/sites/${site}/config/preview`, { method: 'POST', json: { stages: { mql: { score: 'low' } } } }), 400, 'invalid_config');
  });

  it('then moves existing leads in a background pass, alerting sales when asked', async () => {
    const { site, hook, leads, lowered } = await siteWithLeads();
    const saved = await api(`/v1/admin/sites/${site}?restage=alert`, { method: 'PUT', json: lowered });
    expect(saved.status).toBe(200);
    expect(saved.body.restage).toMatchObject({ alert: true, status: 'running', total: 3 });
    const status = await eventually(async () => {
      const s = (await api(`/v1/admin/sites/${site}/restage`)).body.restage;
      expect(s.status).toBe('done');
      return s;
    }, 10_000);
    expect(status).toMatchObject({ processed: 3, moved: 2 });
    expect(await stageOf(site, leads[60]!)).toBe('mql');
    expect(await stageOf(site, leads[30]!)).toBe('mql');
    expect(await stageOf(site, leads[10]!)).toBe('known');
    await eventually(async () => expect((await log(hook)).deliveries.filter((d) => d.payload.type === 'lead.mql')).toHaveLength(2));
    const funnel = await eventually(async () => {
      const f = (await api(`/v1/admin/sites/${site}/funnel`)).body;
      expect(f.totals.mql).toBe(2);
      return f;
    });
    expect(funnel.totals.known).toBe(3);
  });

  it('quietly by default: stages and counts move, no webhook is sent', async () => {
    const { site, hook, leads, lowered } = await siteWithLeads();
    const saved = await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: lowered });
    expect(saved.body.restage).toMatchObject({ alert: false });
    await eventually(async () => expect((await api(`/v1/admin/sites/${site}/restage`)).body.restage.status).toBe('done'), 10_000);
    expect(await stageOf(site, leads[60]!)).toBe('mql');
    await eventually(async () => expect((await api(`/v1/admin/sites/${site}/funnel`)).body.totals.mql).toBe(2));
    await new Promise((r) => setTimeout(r, 200));
    expect((await log(hook)).deliveries.filter((d) => d.payload.type === 'lead.mql')).toHaveLength(0);
  });

  it('a save that changes neither thresholds nor scoring starts no pass; restage=none never does', async () => {
    const { site, lowered } = await siteWithLeads();
    const current = (await api(`/v1/admin/sites/${site}`)).body.config;
    expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: { ...current, exposeScore: true } })).body.restage).toBeNull();
    expect((await api(`/v1/admin/sites/${site}?restage=none`, { method: 'PUT', json: lowered })).body.restage).toBeNull();
    expectError(await api(`/v1/admin/sites/${site}?restage=loud`, { method: 'PUT', json: lowered }), 400, 'invalid_query');
  });
});
