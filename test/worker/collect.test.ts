import { describe, expect, inject, it } from 'vitest';
import { journey, makeBatch, makeEvent, uid, ANA_EMAIL } from '../helpers/factories';
import { ADMIN, api, collect, eventually, expectError, fetchWorker, profile } from './helpers';

// @ts-expect-error plain ESM helper without types
import { TEST_WEBHOOK_SECRET } from '../helpers/recording-receiver.mjs';

describe('POST /v1/collect', () => {
  it('the demo journey: anonymous -> known -> mql -> sql, with the breakdown', async () => {
    const aid = uid('a');
    const stages: string[] = [];
    for (const events of [[journey.pricing()], [journey.identify(), journey.download()], [journey.webinar()], [journey.demo()]]) {
      const res = await collect(makeBatch(events, { anonymousId: aid }));
      expect(res.status).toBe(200);
      stages.push(res.body.visitor.stage);
    }
    expect(stages).toEqual(['anonymous', 'known', 'mql', 'sql']);

    const p = await profile('demo', aid);
    expect(p.status).toBe(200);
    expect(p.body.stageHistory.map((t: any) => `${t.from}->${t.to}`)).toEqual(['anonymous->known', 'known->mql', 'mql->sql']);
    expect(p.body.stageHistory[2].trigger.type).toBe('demo_request');
    expect(p.body.score.breakdown.map((l: any) => l.rule)).toEqual(
      expect.arrayContaining(['demo-request', 'webinar-signup', 'ebook-download', 'pricing-page', 'senior-title']),
    );
    expect(p.body.timeline[0].type).toBe('demo_request');
  });

  it('answers with the personalized CTA for each slot', async () => {
    const res = await collect(makeBatch([journey.identify(), journey.download()]));
    expect(res.body.ctas.hero).toEqual({ id: 'webinar-analytics', text: 'Join the live webinar on analytics', href: '/webinar?topic=analytics', variant: 'primary' });
  });

  it('re-sent batch changes nothing', async () => {
    const batch = makeBatch([journey.identify(), journey.download(), journey.webinar()]);
    const first = await collect(batch);
    const before = await profile('demo', batch.anonymousId);
    const again = await collect(batch);
    expect(first.body).toMatchObject({ accepted: 3, duplicates: 0 });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 3, visitor: first.body.visitor });
    const after = await profile('demo', batch.anonymousId);
    expect(after.body.eventCount).toBe(3);
    expect(after.body.timeline).toEqual(before.body.timeline);
    expect(after.body.stageHistory).toEqual(before.body.stageHistory);
  });

  it('a batch mixing old and new events applies only the new ones', async () => {
    const e1 = journey.identify();
    const batch = makeBatch([e1]);
    await collect(batch);
    const res = await collect({ ...batch, events: [e1, journey.download()] });
    expect(res.body).toMatchObject({ accepted: 1, duplicates: 1 });
    expect((await profile('demo', batch.anonymousId)).body.eventCount).toBe(2);
  });

  it('accepts text/plain bodies, as sendBeacon sends them', async () => {
    const batch = makeBatch([makeEvent()]);
    const res = await fetchWorker('http://localhost:8787/v1/collect', {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8', ...ADMIN },
      body: JSON.stringify(batch),
    });
    expect(res.status).toBe(200);
  });

  it('honours Sec-GPC: the page gets a decision, nothing is stored', async () => {
    const batch = makeBatch([journey.identify()]);
    const res = await collect(batch, { 'sec-gpc': '1' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tracked: false, accepted: 0, visitor: { stage: 'anonymous' } });
    expectError(await profile('demo', batch.anonymousId), 404, 'unknown_visitor');
  });

  it('honours DNT: 1 the same way', async () => {
    const batch = makeBatch([journey.identify()]);
    expect((await collect(batch, { dnt: '1' })).body).toMatchObject({ tracked: false, accepted: 0 });
    expectError(await profile('demo', batch.anonymousId), 404, 'unknown_visitor');
  });
});

describe('bad input gets a 4xx naming the problem, and changes nothing', () => {
  const aid = uid('bad');
  const ok = () => makeBatch([makeEvent()], { anonymousId: aid });
  const cases: [string, () => Promise<{ status: number; body: any }>, number, string, RegExp?][] = [
    ['malformed JSON', () => collect('{"site": "demo", '), 400, 'invalid_json'],
    ['empty body', () => collect(''), 400, 'empty_body'],
    ['a form body', () => collect(JSON.stringify(ok()), { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type'],
    ['a body over 64 KiB', () => collect({ ...ok(), pad: 'x'.repeat(70_000) }), 413, 'body_too_large'],
    ['a missing site', () => collect({ ...ok(), site: undefined }), 400, 'invalid_batch', /^invalid batch: site/],
    ['an unknown site', () => collect({ ...ok(), site: 'nope' }), 404, 'unknown_site'],
    ['an unknown event type', () => collect({ ...ok(), events: [{ ...makeEvent(), type: 'purchase' }] }), 400, 'invalid_batch', /events\.0\.type/],
    ['no events', () => collect({ ...ok(), events: [] }), 400, 'invalid_batch', /events/],
    ['51 events', () => collect({ ...ok(), events: Array.from({ length: 51 }, () => makeEvent()) }), 400, 'invalid_batch', /events/],
    ['duplicate ids in one batch', () => { const e = makeEvent(); return collect({ ...ok(), events: [e, e] }); }, 400, 'invalid_batch', /duplicate event id/],
    ['a __proto__ prop', () => collect({ ...ok(), events: [{ ...makeEvent(), props: JSON.parse('{"__proto__": {"x": 1}}') }] }), 400, 'invalid_batch', /props/],
    ['a nested prop object', () => collect({ ...ok(), events: [{ ...makeEvent(), props: { a: { b: 1 } } }] }), 400, 'invalid_batch', /props\.a/],
    ['a NaN-like timestamp', () => collect({ ...ok(), events: [{ ...makeEvent(), ts: 'NaN' }] }), 400, 'invalid_batch', /events\.0\.ts/],
    ['a negative timestamp', () => collect({ ...ok(), events: [{ ...makeEvent(), ts: -1 }] }), 400, 'invalid_batch', /events\.0\.ts/],
    ['a javascript: url', () => collect({ ...ok(), events: [{ ...makeEvent(), url: 'javascript:alert(1)' }] }), 400, 'invalid_batch', /events\.0\.url/],
    ['an identify without traits', () => collect({ ...ok(), events: [{ ...makeEvent(), type: 'identify' }] }), 400, 'invalid_batch', /traits/],
    ['a custom event named like a built-in type', () => collect({ ...ok(), events: [makeEvent({ type: 'track', name: 'download' } as never)] }), 400, 'invalid_batch', /events\.0\.name/],
    ['an invalid email', () => collect({ ...ok(), events: [makeEvent({ type: 'identify', traits: { email: 'not-an-email' } } as never)] }), 400, 'invalid_batch', /traits\.email/],
    ['a foreign origin', () => collect(ok(), { origin: 'https://evil.example' }), 403, 'origin_not_allowed'],
  ];

  it.each(cases)('%s', async (_name, send, status, code, message) => {
    const res = await send();
    expectError(res, status, code);
    if (message) expect(res.body.error.message).toMatch(message);
    expectError(await profile('demo', aid), 404, 'unknown_visitor');
  });

  it('a batch with one bad event applies none of it (all or nothing)', async () => {
    const batch = makeBatch([journey.identify(), { ...makeEvent(), type: 'bogus' } as never]);
    expectError(await collect(batch), 400, 'invalid_batch');
    expectError(await profile('demo', batch.anonymousId), 404, 'unknown_visitor');
  });
});

describe('routing a beacon on its first bytes', () => {
  it('gives the same error for a bad batch whatever its key order (parsed by the object, or by the Worker)', async () => {
    const bad = makeBatch([{ ...makeEvent(), url: 'javascript:alert(1)' }]);
    const { site, anonymousId, ...rest } = bad;
    const sdkOrder = await collect(JSON.stringify(bad));
    const otherOrder = await collect(JSON.stringify({ ...rest, anonymousId, site }));
    expectError(sdkOrder, 400, 'invalid_batch');
    expect(otherOrder.body).toEqual(sdkOrder.body);
    expectError(await profile('demo', anonymousId), 404, 'unknown_visitor');
  });

  it('records a valid batch in any key order, in the same object', async () => {
    const first = makeBatch([makeEvent()]);
    const { site, anonymousId, ...rest } = makeBatch([makeEvent()], { anonymousId: first.anonymousId });
    expect((await collect(first)).body).toMatchObject({ accepted: 1 });
    expect((await collect(JSON.stringify({ ...rest, anonymousId, site }))).body).toMatchObject({ accepted: 1 });
    expect((await profile('demo', first.anonymousId)).body.eventCount).toBe(2);
  });

  it('refuses a body that names anonymousId twice, and stores nothing for either', async () => {
    const batch = makeBatch([makeEvent()]);
    const other = uid('dup');
    const res = await collect(JSON.stringify(batch).replace(/}$/, `,"anonymousId":"${other}"}`));
    expectError(res, 400, 'invalid_batch');
    expect(res.body.error.message).toMatch(/appear once/);
    expectError(await profile('demo', batch.anonymousId), 404, 'unknown_visitor');
    expectError(await profile('demo', other), 404, 'unknown_visitor');
  });

  it('takes the beacon route with a query string too', async () => {
    const res = await fetchWorker('http://localhost:8787/v1/collect?debug=1', { method: 'POST', headers: ADMIN, body: JSON.stringify(makeBatch([makeEvent()])) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 1, tracked: true });
  });
});

describe('CORS', () => {
  it('names an allowed origin on the response and exposes Retry-After', async () => {
    const res = await collect(makeBatch([makeEvent()]), { origin: 'http://localhost:8787' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8787');
    expect(res.headers.get('access-control-expose-headers')).toContain('retry-after');
  });

  it('names the origin on error answers too, so the SDK can read them', async () => {
    const res = await collect('{"site":"demo","anonymousId":"a1",', { origin: 'http://localhost:8787' });
    expectError(res, 400, 'invalid_json');
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8787');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('answers the preflight', async () => {
    const res = await fetchWorker('http://localhost:8787/v1/collect', { method: 'OPTIONS', headers: { origin: 'http://localhost:8787', 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });
});

describe('GET /v1/decide', () => {
  it('gives a new visitor the anonymous decision without storing anything', async () => {
    const aid = uid('a');
    const res = await fetchWorker(`http://localhost:8787/v1/decide?site=demo&aid=${aid}`, { headers: ADMIN });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ visitor: { id: aid, stage: 'anonymous' }, ctas: { hero: { id: 'read-blog' } } });
    expectError(await profile('demo', aid), 404, 'unknown_visitor');
  });

  it("gives a known visitor their stage's CTA", async () => {
    const batch = makeBatch([journey.identify(), journey.demo()]);
    await collect(batch);
    const res = await fetchWorker(`http://localhost:8787/v1/decide?site=demo&aid=${batch.anonymousId}`, { headers: ADMIN });
    expect(await res.json()).toMatchObject({ visitor: { stage: 'sql' }, ctas: { hero: { id: 'demo-booked' } } });
  });

  it('names a missing parameter', async () => {
    const res = await fetchWorker('http://localhost:8787/v1/decide?site=demo', { headers: ADMIN });
    expectError({ status: res.status, body: await res.json() }, 400, 'invalid_query');
  });
});

describe('identify traits', () => {
  it('keeps unknown top-level traits under custom, where fit rules read them', async () => {
    const site = uid('tr').toLowerCase();
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: { scoring: { fit: [{ id: 'pro-plan', trait: 'custom.plan', match: { equals: 'pro' }, points: 15 }] } } });
    const batch = makeBatch([journey.identify({ plan: 'pro', seats: 12 })], { site });
    expect((await collect(batch)).status).toBe(200);
    const p = await profile(site, batch.anonymousId);
    expect(p.body.traits).toMatchObject({ email: expect.stringMatching(ANA_EMAIL), custom: { plan: 'pro', seats: 12 } });
    expect(p.body.score.fit).toBe(15);
  });

  it('refuses an unknown trait that is not a scalar with a 400 naming it', async () => {
    const res = await collect(makeBatch([journey.identify({ address: { city: 'Lisbon' } })]));
    expectError(res, 400, 'invalid_batch');
    expect(res.body.error.issues).toEqual([{ path: 'events.0.traits.address', message: expect.stringContaining('kept under custom') }]);
  });
});

describe('query strings', () => {
  it('are stored, exported and sent in webhooks with only utm_* and the parameters the site lists', async () => {
    const rx = inject('receiverUrl');
    const site = uid('qs').toLowerCase();
    const hook = `${site}-crm`;
    const put = await api(`/v1/admin/sites/${site}`, {
      method: 'PUT',
      json: {
        privacy: { keepQueryParams: ['plan'] },
        scoring: { behavior: [{ id: 'demo', when: { type: 'demo_request' }, points: 50 }] },
        webhooks: [{ id: 'crm', url: `${rx}/hooks/${hook}`, secret: TEST_WEBHOOK_SECRET, events: ['lead.demo_requested'] }],
      },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    const form = 'https://acme.io/demo?email=ana%40acme.io&token=s3cr3t&utm_campaign=spring&plan=pro';
    const batch = makeBatch([{ ...journey.identify(), url: form }, { ...journey.demo(), url: form }], { site });
    expect((await collect(batch)).status).toBe(200);

    const kept = 'https://acme.io/demo?utm_campaign=spring&plan=pro';
    const exported = await api(`/v1/admin/sites/${site}/visitors/${batch.anonymousId}/export`);
    expect(exported.status).toBe(200);
    expect(JSON.stringify(exported.body)).not.toMatch(/s3cr3t|token=|email=/);
    expect((await profile(site, batch.anonymousId)).body.timeline.map((e: any) => e.url)).toEqual([kept, kept]);
    const delivered = await eventually(async () => {
      const log = (await (await fetch(`${rx}/log/${hook}`)).json()) as { deliveries: { payload: any }[] };
      expect(log.deliveries).toHaveLength(1);
      return log.deliveries[0]!.payload;
    });
    expect(delivered.data.timeline.map((e: any) => e.url)).toEqual([kept, kept]);
    expect(JSON.stringify(delivered)).not.toMatch(/s3cr3t|token=/);
  });
});

describe('documents', () => {
  it('serves an OpenAPI 3.1 document generated from the schemas', async () => {
    const res = await api('/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/collect', '/v1/decide', '/v1/admin/sites/{site}']));
    const batch = res.body.components.schemas.Batch;
    expect(batch.required).toEqual(expect.arrayContaining(['site', 'anonymousId', 'sessionId', 'sentAt', 'events']));
    expect(batch.properties.events.maxItems).toBe(50);
  });

  it('serves the config JSON Schema', async () => {
    const res = await api('/v1/config.schema.json');
    expect(res.body.properties.scoring.properties.halfLifeDays.default).toBe(30);
  });

  it('serves /sdk.js with an ETag and answers 304 to a revalidation', async () => {
    const res = await fetchWorker('http://localhost:8787/sdk.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await fetchWorker('http://localhost:8787/sdk.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('unknown API routes get a JSON 404', async () => {
    expectError(await api('/v1/nope'), 404, 'not_found');
  });
});
