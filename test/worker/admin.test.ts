import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { siteStub } from '../../worker/config/config-cache';
import { journey, makeBatch, makeEvent, uid, ANA_EMAIL } from '../helpers/factories';
import { api, collect, expectError, fetchWorker, profile } from './helpers';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const siteConfig = (over: Record<string, unknown> = {}) => ({
  allowedOrigins: ['https://shop.example.com'],
  scoring: { halfLifeDays: 0, behavior: [{ id: 'any', when: {}, points: 10 }] },
  stages: { mql: { score: 20 }, sql: { score: 40 } },
  ctas: { hero: [{ id: 'hello', text: 'Hello {{firstName|friend}}' }] },
  ...over,
});

describe('admin auth', () => {
  it('401 without a token or with a wrong one; no CORS on admin routes', async () => {
    const none = await fetchWorker('http://localhost:8787/v1/admin/sites/demo', { headers: { origin: 'http://localhost:8787' } });
    expect(none.status).toBe(401);
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
    expectError(await api('/v1/admin/sites/demo', { headers: { authorization: 'Bearer wrong' } }), 401, 'unauthorized');
  });
});

describe('site config', () => {
  it('GET shows the current demo config with its version', async () => {
    const res = await api('/v1/admin/sites/demo');
    expect(res.status).toBe(200);
    expect(res.body.version).toBeGreaterThanOrEqual(1);
    expect(res.body.config.stages.mql).toEqual({ score: 50, fit: 10 });
  });

  it('PUT of a bad config is a 400 listing every problem by path, and saves nothing', async () => {
    const site = uid('site').toLowerCase();
    const res = await api(`/v1/admin/sites/${site}`, {
      method: 'PUT',
      json: { stages: { mql: { score: 'high' } }, scoring: { behavior: [{ id: 'Bad Id', points: 1 }] }, webhooks: [{ id: 'w', url: 'https://10.1.2.3/h', secret: SECRET, events: ['lead.sql'] }] },
    });
    expectError(res, 400, 'invalid_config');
    expect(res.body.error.issues.map((i: any) => i.path)).toEqual(expect.arrayContaining(['stages.mql.score', 'scoring.behavior.0.id']));
    expectError(await api(`/v1/admin/sites/${site}`), 404, 'unknown_site');
  });

  it('refuses webhooks to private addresses even when the schema is fine', async () => {
    const res = await api(`/v1/admin/sites/${uid('site').toLowerCase()}`, {
      method: 'PUT',
      json: { webhooks: [{ id: 'w', url: 'https://192.168.0.10/h', secret: SECRET, events: ['lead.sql'] }] },
    });
    expectError(res, 400, 'invalid_config');
    expect(res.body.error.issues).toEqual([{ path: 'webhooks.0.url', message: '"192.168.0.10" is a private, loopback or link-local address' }]);
  });

  it('PUT creates a site whose rules score its visitors at once', async () => {
    const site = uid('site').toLowerCase();
    const put = await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: siteConfig() });
    expect(put.status).toBe(201);
    const res = await collect(makeBatch([journey.identify(), makeEvent(), makeEvent()], { site }), { origin: 'https://shop.example.com' });
    expect(res.status).toBe(200);
    expect(res.body.visitor.stage).toBe('mql');
    expect(res.body.ctas.hero).toEqual({ id: 'hello', text: 'Hello Ana' });
    expectError(await collect(makeBatch([makeEvent()], { site }), { origin: 'http://localhost:8787' }), 403, 'origin_not_allowed');
  });

  it('a saved change takes effect on the next beacon', async () => {
    const site = uid('site').toLowerCase();
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: siteConfig() });
    const aid = uid('a');
    expect((await collect(makeBatch([makeEvent()], { site, anonymousId: aid }))).body.ctas.hero.text).toBe('Hello friend');
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: siteConfig({ ctas: { hero: [{ id: 'new', text: 'Fresh offer' }] } }) });
    expect((await collect(makeBatch([makeEvent()], { site, anonymousId: aid }))).body.ctas.hero).toEqual({ id: 'new', text: 'Fresh offer' });
  });

  it('keeps versions, and restoring one makes it current again', async () => {
    const site = uid('site').toLowerCase();
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: siteConfig() });
    await api(`/v1/admin/sites/${site}?note=raise%20thresholds`, { method: 'PUT', json: siteConfig({ stages: { mql: { score: 90 }, sql: { score: 200 } } }) });
    const versions = await api(`/v1/admin/sites/${site}/config/versions`);
    expect(versions.body.versions.map((v: any) => [v.version, v.note])).toEqual([[2, 'raise thresholds'], [1, null]]);
    const restored = await api(`/v1/admin/sites/${site}/config/versions/1/restore`, { method: 'POST' });
    expect(restored.body).toMatchObject({ version: 3, restoredFrom: 1 });
    expect((await api(`/v1/admin/sites/${site}`)).body.config.stages.mql.score).toBe(20);
    expectError(await api(`/v1/admin/sites/${site}/config/versions/99/restore`, { method: 'POST' }), 404, 'unknown_version');
  });

  it('never shows a webhook secret, and a GET-edit-PUT round trip keeps it', async () => {
    const site = uid('site').toLowerCase();
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: siteConfig({ webhooks: [{ id: 'crm', url: 'https://crm.example.com/h', secret: SECRET, events: ['lead.sql'] }] }) });
    const got = await api(`/v1/admin/sites/${site}`);
    expect(JSON.stringify(got.body)).not.toContain(SECRET.slice(6, 30));
    const put = await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: { ...got.body.config, name: 'edited' } });
    expect(put.status).toBe(200);
    expect(JSON.stringify(put.body)).not.toContain(SECRET.slice(6, 30));
  });
});

describe('config strictness', () => {
  it('refuses unknown keys with a 400 naming the path and the key meant, and saves nothing', async () => {
    const site = uid('site').toLowerCase();
    const res = await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: { ...siteConfig(), retentionDay: 30, scoring: { behaviour: [{ id: 'a', points: 1 }] } } });
    expectError(res, 400, 'invalid_config');
    expect(res.body.error.issues).toEqual(
      expect.arrayContaining([
        { path: 'retentionDay', message: 'unknown key "retentionDay"; did you mean "retentionDays"?' },
        { path: 'scoring.behaviour', message: 'unknown key "behaviour"; did you mean "behavior"?' },
      ]),
    );
    expectError(await api(`/v1/admin/sites/${site}`), 404, 'unknown_site');
  });

  it('refuses the GET answer sent back as a config, saying to send its config object', async () => {
    const site = uid('site').toLowerCase();
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: siteConfig() });
    const got = await api(`/v1/admin/sites/${site}`);
    const res = await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: got.body });
    expectError(res, 400, 'invalid_config');
    expect(res.body.error.message).toMatch(/send its "config" object as the body/);
    expect((await api(`/v1/admin/sites/${site}`)).body.version).toBe(1);
  });

  it('refuses a rule named "constructor" (it used to zero every score)', async () => {
    const res = await api(`/v1/admin/sites/${uid('site').toLowerCase()}`, { method: 'PUT', json: siteConfig({ scoring: { behavior: [{ id: 'constructor', when: {}, points: 10 }] } }) });
    expectError(res, 400, 'invalid_config');
    expect(res.body.error.issues[0]).toMatchObject({ path: 'scoring.behavior.0.id' });
  });

  it('a config stored before unknown keys were refused still scores beacons, and GET shows it as stored', async () => {
    const site = uid('site').toLowerCase();
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: siteConfig() });
    await runInDurableObject(siteStub(env as never, site), (_i, ctx) => {
      ctx.storage.sql.exec("INSERT INTO config_versions (version, saved_at, note, document) VALUES (2, 0, 'old release', ?)", JSON.stringify({ ...siteConfig(), retentionDay: 30 }));
    });
    const res = await collect(makeBatch([journey.identify(), makeEvent()], { site }), { origin: 'https://shop.example.com' });
    expect(res.status).toBe(200);
    expect(res.body.visitor.stage).toBe('mql');
    expect((await api(`/v1/admin/sites/${site}`)).body.config.retentionDay).toBe(30);
  });
});

describe('config versions and If-Match', () => {
  const hook = { id: 'crm', url: 'https://crm.example.com/h', secret: SECRET, events: ['lead.sql'] };

  it('GET answers with the version as its ETag', async () => {
    const site = uid('site').toLowerCase();
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: siteConfig() });
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: siteConfig() });
    expect((await api(`/v1/admin/sites/${site}`)).headers.get('etag')).toBe('"2"');
  });

  it('a stale editor cannot re-enable an endpoint a 410 turned off: 409 naming the current version', async () => {
    const site = uid('site').toLowerCase();
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: siteConfig({ webhooks: [hook] }) });
    const editor = await api(`/v1/admin/sites/${site}`);
    const etag = editor.headers.get('etag')!;
    // Meanwhile the receiver answered 410 Gone: a new version turns the endpoint off.
    expect(await siteStub(env as never, site).disableWebhook('crm')).toBe(true);
    const stale = await api(`/v1/admin/sites/${site}`, { method: 'PUT', headers: { 'if-match': etag }, json: { ...editor.body.config, name: 'edited' } });
    expectError(stale, 409, 'version_conflict');
    expect(stale.body.error.message).toMatch(/version 2/);
    expect(stale.headers.get('etag')).toBe('"2"');
    const now = await api(`/v1/admin/sites/${site}`);
    expect(now.body.version).toBe(2);
    expect(now.body.config.webhooks[0].enabled).toBe(false);
  });

  it('saves when If-Match names the current version (quoted, bare or weak) or is *', async () => {
    const site = uid('site').toLowerCase();
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: siteConfig() });
    for (const [ifMatch, version] of [['"1"', 2], ['2', 3], ['W/"3"', 4], ['*', 5], ['"9", "5"', 6]] as const) {
      const res = await api(`/v1/admin/sites/${site}`, { method: 'PUT', headers: { 'if-match': ifMatch }, json: siteConfig() });
      expect(res.status, `${ifMatch}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.version).toBe(version);
      expect(res.headers.get('etag')).toBe(`"${version}"`);
    }
    expectError(await api(`/v1/admin/sites/${site}`, { method: 'PUT', headers: { 'if-match': 'v6' }, json: siteConfig() }), 400, 'invalid_if_match');
    expectError(await api(`/v1/admin/sites/${uid('site').toLowerCase()}`, { method: 'PUT', headers: { 'if-match': '*' }, json: siteConfig() }), 409, 'version_conflict');
  });

  it('restore takes If-Match too', async () => {
    const site = uid('site').toLowerCase();
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: siteConfig() });
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: siteConfig({ name: 'second' }) });
    expectError(await api(`/v1/admin/sites/${site}/config/versions/1/restore`, { method: 'POST', headers: { 'if-match': '"1"' } }), 409, 'version_conflict');
    const ok = await api(`/v1/admin/sites/${site}/config/versions/1/restore`, { method: 'POST', headers: { 'if-match': '"2"' } });
    expect(ok.body).toMatchObject({ version: 3, restoredFrom: 1 });
  });
});

describe('visitors', () => {
  it('profile: traits, stage history with times, score breakdown, timeline', async () => {
    const batch = makeBatch([journey.identify({ companySize: '51-200' }), journey.download()]);
    await collect(batch);
    const res = await profile('demo', batch.anonymousId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: batch.anonymousId, stage: 'known', traits: { email: expect.stringMatching(ANA_EMAIL), companySize: '51-200' }, eventCount: 2 });
    expect(res.body.stageHistory[0]).toMatchObject({ from: 'anonymous', to: 'known', trigger: { type: 'identify' } });
    expect(Date.parse(res.body.stageHistory[0].atIso)).not.toBeNaN();
    expect(res.body.score.breakdown).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'company-size', kind: 'fit', points: 10 })]));
    expect(res.body.topics).toEqual([{ topic: 'analytics', weight: 1 }]);
  });

  it('DELETE erases the visitor; the same id starts over afterwards', async () => {
    const batch = makeBatch([journey.identify(), journey.demo()]);
    await collect(batch);
    const del = await api(`/v1/admin/sites/demo/visitors/${batch.anonymousId}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expectError(await profile('demo', batch.anonymousId), 404, 'unknown_visitor');
    expectError(await api(`/v1/admin/sites/demo/visitors/${batch.anonymousId}`, { method: 'DELETE' }), 404, 'unknown_visitor');
    const again = await collect(makeBatch([makeEvent()], { anonymousId: batch.anonymousId }));
    expect(again.body.visitor.stage).toBe('anonymous');
  });

  it('invalid ids in the path are a 400', async () => {
    expectError(await api('/v1/admin/sites/demo/visitors/has%20space'), 400, 'invalid_path');
    expectError(await api('/v1/admin/sites/Bad_Site'), 400, 'invalid_path');
  });
});

describe('embedded default configs', () => {
  it('follow a new release while untouched, and never overwrite a saved version', async () => {
    const stub = siteStub(env as never, 'demo');
    const { DEMO_CONFIG } = await import('../../worker/config/demo-config');
    // An older release's embedded document, as a local dev state would hold it.
    await runInDurableObject(stub, (_i, ctx) => {
      ctx.storage.sql.exec("INSERT INTO config_versions (version, saved_at, note, document) VALUES (9000, 0, 'embedded default', ?)", JSON.stringify({ ...DEMO_CONFIG, name: 'old release' }));
    });
    const upgraded = await api('/v1/admin/sites/demo');
    expect(upgraded.body.config.name).toBe(DEMO_CONFIG.name);
    expect(upgraded.body.version).toBe(9001);

    await api('/v1/admin/sites/demo?note=mine', { method: 'PUT', json: { ...DEMO_CONFIG, name: 'edited by marketing' } });
    expect((await api('/v1/admin/sites/demo')).body.config.name).toBe('edited by marketing');
  });
});
