/**
 * Property-based fuzzing of every public input with fast-check: over 10,000 generated requests per
 * run (beacons, decisions, browser Origins, the admin API with its keys, config preview and
 * verdict routes, and random or forged Authorization headers). Whatever arrives, the answer is a
 * 2xx or a 4xx JSON error that names the problem, never a 5xx, and rejected input changes nothing.
 *
 * Inputs are drawn with `fc.sample` and sent in a plain loop: inside workerd, `fc.assert` adds tens
 * of milliseconds per run, which would make thousands of runs too slow for CI. The seed is printed
 * in every failure so a run can be replayed.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_ACCESS } from '../../worker/access/roles';
import { DEMO_CONFIG } from '../../worker/config/demo-config';
import { journey, makeBatch, makeEvent, uid } from '../helpers/factories';
import { ADMIN, ADMIN_TOKEN, api, fetchWorker, profile } from './helpers';

const SEED = Date.now() % 2 ** 31;
const SITE = 'fuzz';
/** The admin API's fixtures: a lead, an anonymous visitor, keys; and a scratch site that fuzzed saves may change. */
const ADMIN_SITE = 'fuzz-admin';
const SCRATCH_SITE = 'fuzz-scratch';
const LEAD = 'fuzz-lead';
const ANON = 'fuzz-anon';
const ALLOWED_ORIGINS = DEMO_CONFIG.allowedOrigins as string[];
/** Generated requests per kind: the totals in SECURITY.md come from this table. */
const RUNS = {
  json: 1500,
  text: 1500,
  damagedBatch: 2000,
  decide: 800,
  origins: 900,
  config: 400,
  preview: 500,
  keys: 600,
  verdicts: 500,
  adminRoutes: 1000,
  forgedAuth: 1200,
};
const tally = { requests: 0, fiveHundreds: 0, byKind: {} as Record<string, number> };
let kind = 'setup';
type Answer = { status: number; body: any; text: string };

async function send(path: string, init: RequestInit): Promise<Answer & { headers: Headers }> {
  tally.requests += 1;
  tally.byKind[kind] = (tally.byKind[kind] ?? 0) + 1;
  const res = await fetchWorker(`http://localhost:8787${path}`, init);
  const text = await res.text();
  if (res.status >= 500) tally.fiveHundreds += 1;
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* reported by problemWith */
  }
  return { status: res.status, body, text, headers: res.headers };
}

/** Why an answer is not clean, or null: a 2xx, or a 4xx whose JSON error names the problem. */
function problemWith(a: Answer): string | null {
  if (a.status >= 500) return `${a.status}: ${a.text.slice(0, 200)}`;
  if (a.body === null) return `not JSON: ${a.text.slice(0, 200)}`;
  if (a.status >= 400 && (typeof a.body.error?.code !== 'string' || !a.body.error?.message)) return `4xx without a named error: ${a.text.slice(0, 200)}`;
  return null;
}

const collect = (body: string, contentType = 'application/json') =>
  send('/v1/collect', { method: 'POST', headers: { 'content-type': contentType, ...ADMIN }, body });

/** Ways to damage one field of a valid document. */
const nasty = fc.oneof(
  fc.constantFrom(null, true, -1, 0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, '', 'NaN', 'Infinity', '__proto__', [], {}),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constant('x'.repeat(5000)),
  fc.constant('\u0000\u0007\u202e\ud800'),
  fc.jsonValue({ maxDepth: 4 }),
  fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}')),
  fc.integer({ min: -1e15, max: 9e15 }),
);

/** `n` values of `arb` from this run's seed; `kind` names the requests they make in the totals. */
function draw<T>(arb: fc.Arbitrary<T>, numRuns: number, salt: number, what: string): T[] {
  kind = what;
  return fc.sample(arb, { numRuns, seed: SEED + salt });
}

/** Header values a client can send (a Request refuses control characters), as clients send them (trimmed). */
const headerText = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength }).map((t) => t.trim());
const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const adminJson = (method: string, body: unknown) => ({ method, headers: { ...ADMIN, 'content-type': 'application/json' }, body: JSON.stringify(body) });

const CONFIG = { ...DEMO_CONFIG, webhooks: [], rateLimits: { visitorBurst: 100_000 } };
let crossSiteKey = '';

beforeAll(async () => {
  // Sites of their own: the demo's rules, no webhooks, a visitor budget that fuzzing cannot exhaust.
  for (const site of [SITE, ADMIN_SITE, SCRATCH_SITE]) expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: CONFIG })).status).toBeLessThan(300);
  // A known lead (for verdicts and profiles) and an anonymous visitor (not a lead).
  expect((await api('/v1/collect', { method: 'POST', json: makeBatch([journey.identify(), journey.download()], { site: ADMIN_SITE, anonymousId: LEAD }) })).status).toBe(200);
  expect((await api('/v1/collect', { method: 'POST', json: makeBatch([makeEvent()], { site: ADMIN_SITE, anonymousId: ANON }) })).status).toBe(200);
  // A real key, of another site: forged requests use it where it does not belong.
  crossSiteKey = (await api(`/v1/admin/sites/${SCRATCH_SITE}/keys`, { method: 'POST', json: { role: 'owner', label: 'fuzz' } })).body.key;
  expect(crossSiteKey).toMatch(/^le_/);
});

describe(`fuzzing POST /v1/collect (seed ${SEED})`, () => {
  it('arbitrary JSON documents: never a 5xx', async () => {
    const problems: string[] = [];
    for (const doc of draw(fc.jsonValue({ maxDepth: 6 }), RUNS.json, 1, 'collect: any JSON')) {
      const p = problemWith(await collect(JSON.stringify(doc)));
      if (p) problems.push(`${p} <- ${JSON.stringify(doc).slice(0, 200)}`);
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
  }, 300_000);

  it('arbitrary and truncated text, any content type: never a 5xx', async () => {
    const valid = JSON.stringify(makeBatch([makeEvent(), makeEvent({ type: 'identify' })], { site: SITE }));
    const bodies = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
      fc.constant('['.repeat(20_000)),
      fc.constant('{"a":'.repeat(5_000)),
    );
    const types = fc.constantFrom('application/json', 'text/plain', 'text/plain;charset=UTF-8', 'application/xml', 'multipart/form-data', '');
    const problems: string[] = [];
    for (const [body, type] of draw(fc.tuple(bodies, types), RUNS.text, 2, 'collect: any text')) {
      const p = problemWith(await collect(body, type));
      if (p) problems.push(`${p} <- ${type} ${body.slice(0, 100)}`);
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
  }, 300_000);

  it('valid batches with one damaged field: accepted or refused whole, and refused ones change nothing', async () => {
    const aid = uid('fuzz');
    const batchKeys = ['site', 'anonymousId', 'sessionId', 'sentAt', 'events', 'context'] as const;
    const eventKeys = ['id', 'type', 'ts', 'url', 'path', 'title', 'referrer', 'topics', 'props', 'traits', 'name', 'ctaId'] as const;
    const cases = fc.tuple(fc.constantFrom(...batchKeys), fc.constantFrom(...eventKeys), fc.boolean(), nasty, fc.nat({ max: 60 }));
    const problems: string[] = [];
    let accepted = 0;
    let refused = 0;
    for (const [batchKey, eventKey, damageEvent, value, extra] of draw(cases, RUNS.damagedBatch, 3, 'collect: damaged batches')) {
      const events = [makeEvent({ type: 'identify' }), makeEvent({ type: 'download' })];
      const batch: Record<string, unknown> = makeBatch(events, { site: SITE, anonymousId: aid });
      if (damageEvent) (events[1] as Record<string, unknown>)[eventKey] = value;
      else batch[batchKey] = value;
      if (extra > 48) batch.events = [...events, ...Array.from({ length: extra }, () => makeEvent())];
      const a = await collect(JSON.stringify(batch));
      const p = problemWith(a);
      if (p) problems.push(`${p} <- ${damageEvent ? `events.1.${eventKey}` : batchKey} = ${JSON.stringify(value)?.slice(0, 100)}`);
      if (a.status === 200 && a.body.tracked && batch.anonymousId === aid && batch.site === SITE) accepted += a.body.accepted;
      if (a.status >= 400) refused += 1;
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
    expect(refused).toBeGreaterThan(RUNS.damagedBatch / 2);
    // The visitor holds exactly what was accepted: rejected batches left no trace.
    const p = await profile(SITE, aid);
    expect(p.status === 404 ? 0 : p.body.eventCount).toBe(accepted);
    expect(JSON.stringify(p.body ?? {})).not.toContain('polluted');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 400_000);
});

describe(`fuzzing the other inputs (seed ${SEED})`, () => {
  it('decide with arbitrary query strings: never a 5xx', async () => {
    const problems: string[] = [];
    for (const q of draw(fc.dictionary(fc.constantFrom('site', 'aid', 'x'), fc.string({ unit: 'grapheme', maxLength: 200 })), RUNS.decide, 4, 'decide: queries')) {
      // As a server reads it (the admin token), so valid queries reach the decision.
      const p = problemWith(await send(`/v1/decide?${new URLSearchParams(q)}`, { headers: ADMIN }));
      if (p) problems.push(`${p} <- ${JSON.stringify(q)}`);
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
  }, 300_000);

  it('config documents with damaged fields: saved, or a 400 listing problems by path; never a 5xx', async () => {
    const key = uid('cfg').toLowerCase();
    const problems: string[] = [];
    for (const [path, value] of draw(fc.tuple(fc.constantFrom(...CONFIG_PATHS), nasty), RUNS.config, 5, 'config: damaged saves')) {
      const a = await send(`/v1/admin/sites/${key}`, adminJson('PUT', damagedConfig(path, value)));
      const p = problemWith(a) ?? (a.status === 400 && !a.body.error.issues?.length ? 'a 400 without issues' : null);
      if (p) problems.push(`${p} <- ${path.join('.')} = ${JSON.stringify(value)?.slice(0, 100)}`);
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
  }, 300_000);

  it('config previews with damaged fields: a preview or a 400 listing problems by path, and nothing is saved', async () => {
    const before = (await api(`/v1/admin/sites/${ADMIN_SITE}`)).body.version;
    const problems: string[] = [];
    const docs = fc.oneof({ weight: 4, arbitrary: fc.tuple(fc.constantFrom(...CONFIG_PATHS), nasty).map(([path, value]) => damagedConfig(path, value)) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) });
    for (const doc of draw(docs, RUNS.preview, 6, 'admin: config previews')) {
      const a = await send(`/v1/admin/sites/${ADMIN_SITE}/config/preview`, adminJson('POST', doc));
      const p = problemWith(a) ?? (a.status === 400 && !a.body.error.issues?.length ? 'a 400 without issues' : null);
      if (p) problems.push(`${p} <- ${JSON.stringify(doc)?.slice(0, 150)}`);
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
    expect((await api(`/v1/admin/sites/${ADMIN_SITE}`)).body.version, 'a preview saves nothing').toBe(before);
  }, 300_000);

  it('browser Origins: only the site\'s own origins are answered, and only they are named to the browser', async () => {
    const origins = fc.oneof(
      fc.constantFrom(...ALLOWED_ORIGINS, 'http://localhost:8787/', 'HTTP://LOCALHOST:8787', 'http://localhost:8787.evil.example', 'http://evil.example', 'null', 'file://', 'http://localhost', 'https://localhost:8787', '*'),
      fc.webUrl().map((u) => new URL(u).origin),
      headerText(80),
    );
    const requests = fc.tuple(fc.constantFrom('collect', 'decide', 'preflight-collect', 'preflight-decide'), origins.filter((o) => o !== ''), fc.boolean());
    const problems: string[] = [];
    for (const [route, origin, withIp] of draw(requests, RUNS.origins, 7, 'browser Origins')) {
      const allowed = ALLOWED_ORIGINS.includes(origin);
      // A client address from a range no other suite uses, so per-address limits only ever meet these requests.
      const ip: Record<string, string> = withIp ? { 'cf-connecting-ip': `2001:db8:f022::${(tally.requests % 65_535).toString(16)}` } : {};
      const aid = uid('o');
      const a =
        route === 'collect' ? await send('/v1/collect', { method: 'POST', headers: { 'content-type': 'text/plain', origin, ...ip }, body: JSON.stringify(makeBatch([makeEvent()], { site: SITE, anonymousId: aid })) })
        : route === 'decide' ? await send(`/v1/decide?site=${SITE}&aid=${aid}`, { headers: { origin, ...ip } })
        : await send(route === 'preflight-collect' ? '/v1/collect' : `/v1/decide?site=${SITE}&aid=${aid}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      const named = a.headers.get('access-control-allow-origin');
      const p =
        a.status >= 500 ? problemWith(a)
        : route.startsWith('preflight') ? null
        : problemWith(a) ?? (a.status < 300 && !allowed ? `answered ${a.status} to a foreign origin` : a.status === 403 && allowed ? 'refused an allowed origin' : null);
      // The beacon route names any origin (the SDK must read its errors); the decision, which reads, names only the site's own.
      const leak = route.endsWith('decide') && named !== null && !ALLOWED_ORIGINS.includes(named) ? `decide named ${named}` : null;
      if (p || leak) problems.push(`${p ?? leak} <- ${route} Origin: ${JSON.stringify(origin)}`);
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
  }, 300_000);

  it('keys: damaged key requests are refused by name; a key is shown once and never listed', async () => {
    const shown: string[] = [];
    const ids: string[] = [];
    const bodies = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.constantFrom('role', 'label', 'repId', 'extra'), nasty, fc.constantFrom('owner', 'marketer', 'sales', 'server')).map(([field, value, role]) => ({ role, label: 'fuzz', ...(role === 'sales' ? { repId: 'rep-1' } : {}), [field]: value })) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );
    const requests = fc.oneof(
      { weight: 6, arbitrary: bodies.map((body) => ({ kind: 'create' as const, body })) },
      { weight: 2, arbitrary: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), hex(16).map((h) => `key_${h}`), fc.constant('')).map((id) => ({ kind: 'revoke' as const, id })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'revoke-real' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'list' as const }) },
    );
    const problems: string[] = [];
    for (const r of draw(requests, RUNS.keys, 8, 'admin: keys')) {
      const path = `/v1/admin/sites/${ADMIN_SITE}/keys`;
      const a =
        r.kind === 'create' ? await send(path, adminJson('POST', r.body))
        : r.kind === 'revoke' ? await send(`${path}/${encodeURIComponent(r.id)}`, { method: 'DELETE', headers: ADMIN })
        : r.kind === 'revoke-real' && ids.length ? await send(`${path}/${ids.pop()}`, { method: 'DELETE', headers: ADMIN })
        : await send(path, { headers: ADMIN });
      if (a.status === 201) {
        shown.push(a.body.key);
        ids.push(a.body.id);
      }
      const p = problemWith(a);
      if (p) problems.push(`${p} <- ${JSON.stringify(r).slice(0, 150)}`);
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
    expect(shown.length, 'some keys were created').toBeGreaterThan(0);
    const listed = JSON.stringify((await api(`/v1/admin/sites/${ADMIN_SITE}/keys`)).body);
    expect(shown.filter((k) => listed.includes(k.slice(-64))), 'a key is never listed').toEqual([]);
  }, 300_000);

  it('verdicts and outcomes with damaged bodies, on leads, anonymous and unknown visitors: a verdict or a named 4xx', async () => {
    const aids = fc.oneof({ weight: 4, arbitrary: fc.constant(LEAD) }, { weight: 2, arbitrary: fc.constant(ANON) }, fc.constant('nobody-here'), fc.string({ unit: 'grapheme', maxLength: 40 }));
    const verdicts = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.constantFrom('verdict', 'reason', 'action', 'extra'), nasty, fc.constantFrom('accepted', 'rejected')).map(([field, value, verdict]) => ({ verdict, reason: 'fuzz', ...(verdict === 'rejected' ? { action: 'recycle' } : {}), [field]: value })) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      { weight: 1, arbitrary: fc.constant({ verdict: 'accepted', reason: 'x'.repeat(5000) }) },
    );
    const requests = fc.tuple(fc.constantFrom('verdict', 'verdict', 'verdict', 'outcome'), aids, verdicts, fc.constantFrom('won', 'lost', 'maybe'));
    const problems: string[] = [];
    for (const [route, aid, verdict, outcome] of draw(requests, RUNS.verdicts, 9, 'admin: verdicts and outcomes')) {
      const body = route === 'verdict' ? verdict : { outcome };
      const a = await send(`/v1/admin/sites/${ADMIN_SITE}/visitors/${encodeURIComponent(aid)}/${route}`, adminJson('POST', body));
      const p = problemWith(a) ?? (a.status === 200 && aid !== LEAD ? `${route} accepted for a visitor who is not a lead` : null);
      if (p) problems.push(`${p} <- ${route} ${aid} ${JSON.stringify(body).slice(0, 150)}`);
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
  }, 300_000);

  it('every admin route with damaged parameters, queries and bodies: a 2xx or a named 4xx', async () => {
    const segment = (name: string) =>
      fc.oneof(
        { weight: 4, arbitrary: fc.constant(name === 'site' ? ADMIN_SITE : name === 'aid' ? LEAD : name === 'version' ? '1' : name === 'id' ? 'key_0123456789abcdef' : 'x') },
        { weight: 1, arbitrary: fc.constantFrom('nosuch', 'ANON', '..', '%2e%2e', '%00', '-1', '1e3', '99999999999999999999', 'a'.repeat(200), ANON) },
        { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map(encodeURIComponent) },
      );
    const query = fc.dictionary(
      fc.constantFrom('stage', 'sort', 'limit', 'cursor', 'from', 'to', 'restage', 'note', 'origin', 'x'),
      fc.oneof(fc.constantFrom('sql', 'score', 'lastSeen', '0', '100', '101', '2024-02-30', '2025-01-01', 'quiet', 'none', 'alert', 'live', 'import'), fc.string({ unit: 'grapheme', maxLength: 30 })),
      { maxKeys: 3 },
    );
    const body = fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 3 }), nasty);
    const params = fc.record({ site: segment('site'), aid: segment('aid'), id: segment('id'), version: segment('version') });
    const requests = fc.tuple(fc.constantFrom(...ROUTE_ACCESS), params, query, body, fc.constantFrom(0, 0, 0, 0, 1), fc.nat());
    const problems: string[] = [];
    for (const [route, values, q, b, otherMethod, n] of draw(requests, RUNS.adminRoutes, 10, 'admin: every route')) {
      const method = otherMethod ? ['PATCH', 'PUT', 'DELETE', 'POST'][n % 4]! : route.method;
      // Changes that would take the fixtures away go to the scratch site, and a site deletion to a site that does not exist.
      if (method === 'PUT' || method === 'DELETE' || route.path.endsWith('/restore')) values.site = method === 'DELETE' && route.path === '/v1/admin/sites/:site' ? `gone-${n}` : SCRATCH_SITE;
      const path = route.path.replace(/:(\w+)/g, (_, name: keyof typeof values) => values[name]);
      const init: RequestInit = { method, headers: { ...ADMIN, 'content-type': 'application/json' } };
      if (b !== undefined && method !== 'GET') init.body = JSON.stringify(b);
      const qs = new URLSearchParams(q as Record<string, string>).toString();
      const p = problemWith(await send(`${path}${qs ? `?${qs}` : ''}`, init));
      if (p) problems.push(`${p} <- ${method} ${path}?${qs} ${JSON.stringify(b)?.slice(0, 100)}`);
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
    // The fixtures are still there.
    expect((await profile(ADMIN_SITE, LEAD)).status).toBe(200);
  }, 300_000);

  it('random and forged Authorization headers: never let in, never a 5xx, and nothing changes', async () => {
    const state = async () => ({
      version: (await api(`/v1/admin/sites/${ADMIN_SITE}`)).body.version,
      keys: (await api(`/v1/admin/sites/${ADMIN_SITE}/keys`)).body.keys.map((k: { id: string }) => k.id),
      lead: (await profile(ADMIN_SITE, LEAD)).body,
    });
    const before = await state();
    const token = fc.tuple(fc.nat({ max: ADMIN_TOKEN.length - 1 }), fc.constantFrom(...'abcXYZ019-_.~!'), fc.constantFrom('flip', 'drop', 'append', 'prefix', 'truncate')).map(([i, c, how]) => {
      if (how === 'flip') return ADMIN_TOKEN.slice(0, i) + (ADMIN_TOKEN[i] === c ? 'Q' : c) + ADMIN_TOKEN.slice(i + 1);
      if (how === 'drop') return ADMIN_TOKEN.slice(0, i) + ADMIN_TOKEN.slice(i + 1);
      if (how === 'append') return ADMIN_TOKEN + c;
      if (how === 'prefix') return c + ADMIN_TOKEN;
      return ADMIN_TOKEN.slice(0, i);
    });
    const headers = fc.oneof(
      headerText(120),
      headerText(120).map((t) => `Bearer ${t}`),
      token.map((t) => `Bearer ${t}`),
      fc.constantFrom(`bearer ${ADMIN_TOKEN}`, `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`, `Token ${ADMIN_TOKEN}`, ADMIN_TOKEN, 'Bearer', 'Bearer null', 'Bearer undefined'),
      hex(64).map((h) => `Bearer le_${ADMIN_SITE}_${h}`),
      hex(63).map((h) => `Bearer le_${ADMIN_SITE}_${h}`),
      hex(64).map((h) => `Bearer le_${SITE}_${h.toUpperCase()}`),
      fc.constant('cross-site'),
    );
    const targets = fc.constantFrom(
      ['GET', `/v1/admin/sites/${ADMIN_SITE}`], ['PUT', `/v1/admin/sites/${ADMIN_SITE}`], ['GET', '/v1/admin/sites'], ['DELETE', `/v1/admin/sites/${ADMIN_SITE}`],
      ['GET', `/v1/admin/sites/${ADMIN_SITE}/visitors/${LEAD}`], ['DELETE', `/v1/admin/sites/${ADMIN_SITE}/visitors/${LEAD}`], ['POST', `/v1/admin/sites/${ADMIN_SITE}/visitors/${LEAD}/verdict`],
      ['POST', `/v1/admin/sites/${ADMIN_SITE}/keys`], ['GET', `/v1/admin/sites/${ADMIN_SITE}/keys`], ['POST', `/v1/admin/sites/${ADMIN_SITE}/config/preview`], ['GET', `/v1/admin/sites/${ADMIN_SITE}/visitors/${LEAD}/export`],
      ['POST', '/v1/collect'], ['GET', `/v1/decide?site=${ADMIN_SITE}&aid=${LEAD}`],
    );
    const problems: string[] = [];
    for (const [header, [method, path], withIp] of draw(fc.tuple(headers, targets, fc.boolean()), RUNS.forgedAuth, 11, 'forged Authorization')) {
      const authorization = header === 'cross-site' ? `Bearer ${crossSiteKey}` : header;
      const ip: Record<string, string> = withIp ? { 'cf-connecting-ip': `2001:db8:f022:1::${(tally.requests % 65_535).toString(16)}` } : {};
      const body =
        method === 'GET' || method === 'DELETE' ? undefined
        : path === '/v1/collect' ? JSON.stringify(makeBatch([journey.identify()], { site: ADMIN_SITE, anonymousId: LEAD }))
        : path.endsWith('/verdict') ? JSON.stringify({ verdict: 'rejected', reason: 'forged', action: 'disqualify' })
        : path.endsWith('/keys') ? JSON.stringify({ role: 'owner', label: 'forged' })
        : JSON.stringify(CONFIG);
      const a = await send(path, { method, headers: { authorization, 'content-type': 'application/json', ...ip }, body });
      const p = problemWith(a) ?? (a.status < 300 ? `let in with ${a.status}` : null);
      if (p) problems.push(`${p} <- ${method} ${path} Authorization: ${JSON.stringify(authorization).slice(0, 90)}`);
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
    // Nothing a forged request asked for happened: no config saved, no key made, the lead neither erased, judged nor sent events.
    const after = await state();
    expect(after.version).toBe(before.version);
    expect(after.keys).toEqual(before.keys);
    expect({ stage: after.lead.stage, events: after.lead.eventCount, history: after.lead.stageHistory.length }).toEqual({ stage: before.lead.stage, events: before.lead.eventCount, history: before.lead.stageHistory.length });
  }, 300_000);

  it('totals: over 10,000 generated requests, zero 5xx', () => {
    console.log(`fuzz (seed ${SEED}): ${tally.requests} generated requests, ${tally.fiveHundreds} answered 5xx; per kind ${JSON.stringify(tally.byKind)}`);
    expect(tally.requests).toBeGreaterThanOrEqual(10_000);
    expect(tally.fiveHundreds).toBe(0);
  });
});

/** A small complete config document, and the places fuzzing damages it. */
const CONFIG_PATHS = [['allowedOrigins'], ['scoring', 'behavior', 0, 'points'], ['scoring', 'behavior', 0, 'when'], ['scoring', 'fit', 0, 'match'], ['stages', 'mql'], ['ctas', 'hero', 0, 'href'], ['webhooks', 0, 'url'], ['webhooks', 0, 'secret'], ['scoring', 'halfLifeDays'], ['delivery'], ['bots'], ['rateLimits']];

function damagedConfig(path: (string | number)[], value: unknown) {
  const doc: Record<string, any> = {
    allowedOrigins: ['*'],
    scoring: { behavior: [{ id: 'a', when: { type: 'download', path: '/x/**' }, points: 5, maxPoints: 10 }], fit: [{ id: 'f', trait: 'title', match: { anyWord: ['vp'] }, points: 3 }] },
    stages: { mql: { score: 10 }, sql: { score: 20 } },
    ctas: { hero: [{ id: 'c', text: 'Hi {{firstName}}' }] },
    webhooks: [{ id: 'w', url: 'https://hooks.example.com/x', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['lead.sql'] }],
  };
  let target = doc;
  for (const k of path.slice(0, -1)) target = target[k as never];
  target[path.at(-1) as never] = value as never;
  return doc;
}
