import { describe, expect, inject, it } from 'vitest';
import { journey, makeBatch, makeEvent, uid, ANA_EMAIL } from '../helpers/factories';
import { api, collect, eventually, expectError, profile } from './helpers';
// @ts-expect-error plain ESM helper without types
import { TEST_WEBHOOK_SECRET } from '../helpers/recording-receiver.mjs';

const rx = inject('receiverUrl');

/** A site with the demo-like journey thresholds and an endpoint for verdicts. */
async function newSite() {
  const site = uid('leads').toLowerCase();
  const res = await api(`/v1/admin/sites/${site}`, {
    method: 'PUT',
    json: {
      allowedOrigins: ['*'],
      scoring: {
        halfLifeDays: 0,
        behavior: [
          { id: 'content', when: { type: ['download', 'webinar_signup'] }, points: 25 },
          { id: 'demo', when: { type: 'demo_request' }, points: 50 },
        ],
        fit: [{ id: 'senior', trait: 'title', match: { anyWord: ['vp'] }, points: 10 }],
      },
      stages: { mql: { score: 50 }, sql: { score: 500 } },
      webhooks: [{ id: 'sales', url: `${rx}/hooks/${site}`, secret: TEST_WEBHOOK_SECRET, events: ['lead.verdict'] }],
      delivery: { retryScheduleSeconds: [0.05], timeoutMs: 2000 },
    },
  });
  expect(res.status).toBe(201);
  return site;
}

const visitors = (site: string, query = '') => api(`/v1/admin/sites/${site}/visitors${query}`);

describe('leads index', () => {
  it('lists known visitors with stage, score, fit, company and topics; anonymous ones are not leads', async () => {
    const site = await newSite();
    const ana = uid('ana');
    await collect(makeBatch([makeEvent()], { site }));
    await collect(makeBatch([journey.identify(), journey.download(), journey.webinar()], { site, anonymousId: ana }));
    const res = await eventually(async () => {
      const r = await visitors(site);
      expect(r.body.total).toBe(1);
      return r;
    });
    expect(res.body.visitors[0]).toMatchObject({ id: ana, stage: 'mql', score: 60, fit: 10, traits: { company: 'Acme', email: expect.stringMatching(ANA_EMAIL) }, topics: ['analytics'], verdict: null });
    expect(Date.parse(res.body.visitors[0].lastSeen)).not.toBeNaN();
  });

  it('filters by stage, sorts by score and pages with a cursor', async () => {
    const site = await newSite();
    const ids = [uid('k'), uid('m1'), uid('m2')];
    await collect(makeBatch([journey.identify({ title: 'Analyst' })], { site, anonymousId: ids[0] }));
    await collect(makeBatch([journey.identify(), journey.download(), journey.webinar()], { site, anonymousId: ids[1] }));
    await collect(makeBatch([journey.identify(), journey.download(), journey.webinar(), journey.demo()], { site, anonymousId: ids[2] }));
    await eventually(async () => expect((await visitors(site)).body.total).toBe(3));
    const sorted = await visitors(site, '?sort=score');
    expect(sorted.body.visitors.map((v: any) => v.id)).toEqual([ids[2], ids[1], ids[0]]);
    const mqls = await visitors(site, '?stage=mql');
    expect(mqls.body.visitors.map((v: any) => v.id)).toEqual([ids[1]]);
    const page1 = await visitors(site, '?sort=score&limit=2');
    expect(page1.body.nextCursor).toBe('2');
    const page2 = await visitors(site, `?sort=score&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toMatchObject({ visitors: [{ id: ids[0] }], nextCursor: null });
    expectError(await visitors(site, '?stage=hot'), 400, 'invalid_query');
  });

  it('erasing a visitor removes it from the index', async () => {
    const site = await newSite();
    const aid = uid('gone');
    await collect(makeBatch([journey.identify()], { site, anonymousId: aid }));
    await eventually(async () => expect((await visitors(site)).body.total).toBe(1));
    expect((await api(`/v1/admin/sites/${site}/visitors/${aid}`, { method: 'DELETE' })).status).toBe(200);
    expect((await visitors(site)).body.total).toBe(0);
  });
});

describe('funnel', () => {
  it('counts visitors, known, MQL and SQL per day with the MQL-to-SQL rate', async () => {
    const site = await newSite();
    await collect(makeBatch([makeEvent()], { site }));
    await collect(makeBatch([journey.identify()], { site }));
    await collect(makeBatch([journey.identify(), journey.download(), journey.webinar()], { site }));
    await collect(makeBatch([journey.identify(), journey.download(), journey.webinar()], { site }));
    await collect(makeBatch([journey.identify(), journey.demo()], { site }));
    const today = new Date().toISOString().slice(0, 10);
    const res = await eventually(async () => {
      const r = await api(`/v1/admin/sites/${site}/funnel?from=${today}&to=${today}`);
      expect(r.body.totals).toMatchObject({ visitors: 5, known: 4, mql: 3, sql: 1 });
      return r;
    });
    expect(res.body.mqlToSqlRate).toBeCloseTo(1 / 3, 3);
    expect(res.body.days).toEqual([expect.objectContaining({ day: today, visitors: 5, sql: 1 })]);
  });

  it('defaults to the last 30 days and refuses a bad range', async () => {
    const site = await newSite();
    const res = await api(`/v1/admin/sites/${site}/funnel`);
    expect(res.body.days).toHaveLength(30);
    expect(res.body.mqlToSqlRate).toBeNull();
    expectError(await api(`/v1/admin/sites/${site}/funnel?from=2026-02-01&to=2026-01-01`), 400, 'invalid_query');
    expectError(await api(`/v1/admin/sites/${site}/funnel?from=yesterday`), 400, 'invalid_query');
  });
});

describe('sales verdicts', () => {
  it('accept: stage sal on the visitor, in the index and the funnel, and lead.verdict fires', async () => {
    const site = await newSite();
    const aid = uid('v');
    await collect(makeBatch([journey.identify(), journey.demo()], { site, anonymousId: aid }));
    const res = await api(`/v1/admin/sites/${site}/visitors/${aid}/verdict`, { method: 'POST', json: { verdict: 'accepted' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ visitor: { id: aid, stage: 'sal' }, verdict: { verdict: 'accepted' } });
    const p = await profile(site, aid);
    expect(p.body.stage).toBe('sal');
    expect(p.body.stageHistory.at(-1)).toMatchObject({ from: 'sql', to: 'sal', trigger: { type: 'verdict' } });
    await eventually(async () => {
      const l = await (await fetch(`${rx}/log/${site}`)).json() as any;
      expect(l.deliveries).toHaveLength(1);
      expect(l.deliveries[0].payload).toMatchObject({ type: 'lead.verdict', data: { stage: 'sal', previousStage: 'sql', verdict: { verdict: 'accepted' } } });
    });
    await eventually(async () => {
      expect((await visitors(site, '?stage=sal')).body.visitors[0]).toMatchObject({ id: aid, verdict: { verdict: 'accepted' } });
      const today = new Date().toISOString().slice(0, 10);
      expect((await api(`/v1/admin/sites/${site}/funnel?from=${today}&to=${today}`)).body.totals.sal).toBe(1);
    });
  });

  it('reject needs a reason and an action; recycle puts the lead back at MQL', async () => {
    const site = await newSite();
    const aid = uid('v');
    await collect(makeBatch([journey.identify(), journey.demo()], { site, anonymousId: aid }));
    const bad = await api(`/v1/admin/sites/${site}/visitors/${aid}/verdict`, { method: 'POST', json: { verdict: 'rejected' } });
    expectError(bad, 400, 'invalid_verdict');
    expect(bad.body.error.issues.map((i: any) => i.path)).toEqual(expect.arrayContaining(['reason', 'action']));
    const res = await api(`/v1/admin/sites/${site}/visitors/${aid}/verdict`, { method: 'POST', json: { verdict: 'rejected', reason: 'no budget this quarter', action: 'recycle' } });
    expect(res.body.visitor.stage).toBe('mql');
    expect((await collect(makeBatch([makeEvent()], { site, anonymousId: aid }))).body.visitor.stage).toBe('mql');
  });

  it('a verdict on an unknown or anonymous visitor is refused', async () => {
    const site = await newSite();
    expectError(await api(`/v1/admin/sites/${site}/visitors/${uid('x')}/verdict`, { method: 'POST', json: { verdict: 'accepted' } }), 404, 'unknown_visitor');
    const anon = makeBatch([makeEvent()], { site });
    await collect(anon);
    expectError(await api(`/v1/admin/sites/${site}/visitors/${anon.anonymousId}/verdict`, { method: 'POST', json: { verdict: 'accepted' } }), 409, 'not_a_lead');
  });
});
