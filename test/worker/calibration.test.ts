import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { TrainingRow } from '../../worker/calibration/training-row';
import { siteStub } from '../../worker/config/config-cache';
import { journey, makeBatch, makeEvent, uid } from '../helpers/factories';
import { makeRow, syntheticLeads } from '../helpers/training';
import { api, collect, eventually, expectError } from './helpers';

/** The synthetic leads' config: a path rule (pricing), a neutral one (blog), a fit rule (VP). */
const CONFIG = {
  scoring: {
    halfLifeDays: 0,
    behavior: [
      { id: 'pricing', when: { type: 'page_view', path: '/pricing' }, points: 10, maxPoints: 20 },
      { id: 'blog', when: { type: 'page_view', path: '/blog/**' }, points: 5, maxPoints: 15 },
      { id: 'demo', when: { type: 'demo_request' }, points: 50 },
    ],
    fit: [{ id: 'vp', trait: 'title', match: { anyWord: ['vp'] }, points: 10 }],
  },
  stages: { mql: { score: 20 }, sql: { score: 40 } },
};

async function newSite(config: unknown = CONFIG) {
  const site = uid('cal').toLowerCase();
  expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: config })).status).toBe(201);
  return site;
}

/** A training row as the import route takes it. */
const asImport = (r: TrainingRow) => ({
  id: r.id,
  outcome: r.source as 'won' | 'lost',
  events: r.counts,
  rules: r.rules,
  traits: { ...r.traits, email: `lead${r.traits.email}` },
});

const importRows = (site: string, rows: unknown[]) => api(`/v1/admin/sites/${site}/training/import`, { method: 'POST', json: { rows } });
const training = async (site: string) => (await api(`/v1/admin/sites/${site}/training`)).body;
const calibrate = (site: string, json: unknown = {}) => api(`/v1/admin/sites/${site}/calibrate`, { method: 'POST', json });
const outcome = (site: string, aid: string, json: unknown) => api(`/v1/admin/sites/${site}/visitors/${aid}/outcome`, { method: 'POST', json });
const verdict = (site: string, aid: string, json: unknown) => api(`/v1/admin/sites/${site}/visitors/${aid}/verdict`, { method: 'POST', json });

describe('outcomes and verdicts label leads', () => {
  it('a won outcome on a known visitor becomes one training row of its site', async () => {
    const site = await newSite();
    const aid = uid('won');
    await collect(makeBatch([journey.identify(), journey.pricing(), journey.demo()], { site, anonymousId: aid }));
    const res = await outcome(site, aid, { outcome: 'won' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ visitor: { id: aid, stage: 'sql' }, outcome: { outcome: 'won' }, label: 'positive' });
    const t = await eventually(async () => {
      const body = await training(site);
      expect(body.rows).toBe(1);
      return body;
    });
    expect(t).toMatchObject({ bySource: { won: 1 }, byOrigin: { live: 1 }, cap: 10000 });
  });

  it('an unknown visitor is a 404, an anonymous one a 409, a bad body a 400', async () => {
    const site = await newSite();
    expectError(await outcome(site, uid('x'), { outcome: 'won' }), 404, 'unknown_visitor');
    const anon = makeBatch([makeEvent()], { site });
    await collect(anon);
    expectError(await outcome(site, anon.anonymousId, { outcome: 'won' }), 409, 'not_a_lead');
    const bad = await outcome(site, anon.anonymousId, { outcome: 'maybe' });
    expectError(bad, 400, 'invalid_outcome');
    expect(bad.body.error.issues[0].path).toBe('outcome');
  });

  it('accepted is a weak positive; a recycle drops a verdict label but never an outcome', async () => {
    const site = await newSite();
    const [a, b] = [uid('acc'), uid('out')];
    for (const aid of [a, b]) await collect(makeBatch([journey.identify(), journey.demo()], { site, anonymousId: aid }));
    expect((await verdict(site, a, { verdict: 'accepted' })).status).toBe(200);
    expect((await outcome(site, b, { outcome: 'lost' })).status).toBe(200);
    expect((await verdict(site, b, { verdict: 'accepted' })).status).toBe(200);
    await eventually(async () => expect((await training(site)).bySource).toEqual({ won: 0, lost: 1, accepted: 1, disqualified: 0 }));
    await verdict(site, a, { verdict: 'rejected', reason: 'not this quarter', action: 'recycle' });
    await verdict(site, b, { verdict: 'rejected', reason: 'not this quarter', action: 'recycle' });
    await eventually(async () => expect((await training(site)).bySource).toEqual({ won: 0, lost: 1, accepted: 0, disqualified: 0 }));
  });

  it('erasing a visitor erases its label', async () => {
    const site = await newSite();
    const aid = uid('gone');
    await collect(makeBatch([journey.identify()], { site, anonymousId: aid }));
    await outcome(site, aid, { outcome: 'lost' });
    await eventually(async () => expect((await training(site)).rows).toBe(1));
    expect((await api(`/v1/admin/sites/${site}/visitors/${aid}`, { method: 'DELETE' })).status).toBe(200);
    expect((await training(site)).rows).toBe(0);
  });
});

describe('erasure wins over a late label', () => {
  it('a label still in flight when its visitor was erased does not bring the row back', async () => {
    const site = await newSite();
    const stub = siteStub(env as never, site);
    const before = Date.now() - 1000;
    await stub.forgetLead('late-1');
    await stub.recordNotice('ntc_late-1', [], before, null, { kind: 'label', row: makeRow({ id: 'late-1', origin: 'live', source: 'won', at: before }) });
    expect((await training(site)).rows).toBe(0);
    await stub.recordNotice('ntc_late-2', [], Date.now() + 1000, null, { kind: 'label', row: makeRow({ id: 'late-1', origin: 'live', source: 'won', at: Date.now() + 1000 }) });
    expect((await training(site)).rows).toBe(1); // labelled again after the erasure: a new fact
  });
});

describe('import', () => {
  it('refuses the whole batch when a row is wrong, naming each problem', async () => {
    const site = await newSite();
    const res = await importRows(site, [{ id: 'ok-1', outcome: 'won' }, { id: 'bad 2', outcome: 'maybe', events: { download: -1 } }]);
    expectError(res, 400, 'invalid_import');
    expect(res.body.error.issues.map((i: any) => i.path)).toEqual(expect.arrayContaining(['rows.1.id', 'rows.1.outcome', 'rows.1.events.download']));
    expect((await training(site)).rows).toBe(0);
    expectError(await importRows(site, []), 400, 'invalid_import');
  });

  it('importing the same id again replaces the row', async () => {
    const site = await newSite();
    await importRows(site, [{ id: 'crm-1', outcome: 'won' }]);
    const res = await importRows(site, [{ id: 'crm-1', outcome: 'lost', at: '2025-06-30' }]);
    expect(res.body).toMatchObject({ imported: 1, training: { rows: 1, bySource: { won: 0, lost: 1 }, byOrigin: { import: 1 }, oldest: '2025-06-30T00:00:00.000Z' } });
  });
});

describe('calibrate', () => {
  it('refuses too few labelled leads and a single class with a 422 that says what is missing', async () => {
    const site = await newSite();
    const won = syntheticLeads(60, 1).map((r) => asImport({ ...r, source: 'won' }));
    await importRows(site, won.slice(0, 5));
    const few = await calibrate(site);
    expectError(few, 422, 'too_few_rows');
    expect(few.body.error.message).toMatch(/at least 40 labelled leads; this site has 5/);
    await importRows(site, won);
    expectError(await calibrate(site), 422, 'single_class');
    expectError(await calibrate(site, { holdout: 0.9 }), 400, 'invalid_options');
    expectError(await calibrate(site, { sed: 1 }), 400, 'invalid_options');
  });

  it('learns from imported history: side-by-side figures, points per rule, a proposal PUT takes as is, one-click rollback', async () => {
    const site = await newSite();
    const rows = syntheticLeads(1200, 7).map(asImport);
    for (let i = 0; i < rows.length; i += 500) expect((await importRows(site, rows.slice(i, i + 500))).status).toBe(200);

    const res = await calibrate(site, { seed: 3, targetPrecision: { sql: 0.8 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = res.body;
    expect(body.rows).toMatchObject({ labelled: 1200, imported: 1200, holdout: 300 });
    expect(body.evaluation.proposed.auc).toBeGreaterThan(body.evaluation.current.auc);
    expect(body.evaluation.proposed.logLoss).toBeLessThan(body.evaluation.current.logLoss);
    const rule = (id: string) => body.rules.find((r: any) => r.id === id);
    expect(rule('learned-calculator_used')).toMatchObject({ status: 'new', kind: 'behavior', when: { type: 'track', name: 'calculator_used' } });
    expect(rule('learned-occupation-student')).toMatchObject({ status: 'new', kind: 'fit', trait: 'custom.occupation' });
    expect(rule('learned-occupation-student').proposedPoints).toBeLessThan(0);
    expect(rule('demo')).toMatchObject({ status: 'no-data', proposedPoints: 50 });
    expect(body.thresholds.sql).toMatchObject({ current: 40, targetPrecision: 0.8 });

    const before = (await api(`/v1/admin/sites/${site}`)).body;
    const put = await api(`/v1/admin/sites/${site}?note=calibrated`, { method: 'PUT', json: body.proposal });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.config.scoring.behavior.map((r: any) => r.id)).toContain('learned-calculator_used');
    const back = await api(`/v1/admin/sites/${site}/config/versions/${before.version}/restore`, { method: 'POST' });
    expect(back.status).toBe(200);
    expect((await api(`/v1/admin/sites/${site}`)).body.config).toEqual(before.config);
  });

  it('a site with webhooks: the proposal carries masked secrets and applying it keeps the stored ones', async () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const site = await newSite({ ...CONFIG, webhooks: [{ id: 'crm', url: 'https://crm.example.com/hook', secret, events: ['lead.sql'] }] });
    await importRows(site, syntheticLeads(200, 4).map(asImport));
    const res = await calibrate(site);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain(secret);
    expect(res.body.proposal.webhooks[0].secret).toMatch(/^whsec_\*+/);
    expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: res.body.proposal })).status).toBe(200);
    const stored = (await api(`/v1/admin/sites/${site}`)).body.config.webhooks[0].secret;
    expect(stored).toBe(res.body.proposal.webhooks[0].secret); // the same mask: the secret was kept
  });

  it('the same rows, seed and options give the same proposal', async () => {
    const site = await newSite();
    await importRows(site, syntheticLeads(300, 11).map(asImport));
    const [a, b] = [await calibrate(site, { seed: 5 }), await calibrate(site, { seed: 5 })];
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
  });
});

describe('OpenAPI', () => {
  it('documents the calibration routes and their bodies', async () => {
    const doc = (await api('/v1/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/v1/admin/sites/{site}/visitors/{aid}/outcome',
      '/v1/admin/sites/{site}/training',
      '/v1/admin/sites/{site}/training/import',
      '/v1/admin/sites/{site}/calibrate',
    ]));
    expect(doc.components.schemas.CalibrateOptions.properties.targetPrecision).toBeDefined();
    expect(doc.components.schemas.Outcome.properties.outcome.enum).toEqual(['won', 'lost']);
  });
});
