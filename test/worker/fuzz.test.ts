/**
 * Property-based fuzzing of every public input with fast-check: thousands of generated bodies per
 * run. Whatever arrives, the answer is a 2xx or a 4xx JSON error that names the problem, never a
 * 5xx, and rejected input changes nothing.
 *
 * Inputs are drawn with `fc.sample` and sent in a plain loop: inside workerd, `fc.assert` adds tens
 * of milliseconds per run, which would make thousands of runs too slow for CI. The seed is printed
 * in every failure so a run can be replayed.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONFIG } from '../../worker/config/demo-config';
import { makeBatch, makeEvent, uid } from '../helpers/factories';
import { ADMIN, api, fetchWorker, profile } from './helpers';

const SEED = Date.now() % 2 ** 31;
const SITE = 'fuzz';
const tally = { requests: 0, fiveHundreds: 0 };
type Answer = { status: number; body: any; text: string };

async function send(path: string, init: RequestInit): Promise<Answer> {
  tally.requests += 1;
  const res = await fetchWorker(`http://localhost:8787${path}`, init);
  const text = await res.text();
  if (res.status >= 500) tally.fiveHundreds += 1;
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* reported by problemWith */
  }
  return { status: res.status, body, text };
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

const draw = <T>(arb: fc.Arbitrary<T>, numRuns: number, salt: number) => fc.sample(arb, { numRuns, seed: SEED + salt });

beforeAll(async () => {
  // A site of its own: the demo's rules, no webhooks, a visitor budget that fuzzing cannot exhaust.
  const res = await api(`/v1/admin/sites/${SITE}`, { method: 'PUT', json: { ...DEMO_CONFIG, webhooks: [], rateLimits: { visitorBurst: 100_000 } } });
  expect(res.status).toBeLessThan(300);
});

describe(`fuzzing POST /v1/collect (seed ${SEED})`, () => {
  it('arbitrary JSON documents: never a 5xx', async () => {
    const problems: string[] = [];
    for (const doc of draw(fc.jsonValue({ maxDepth: 6 }), 600, 1)) {
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
    for (const [body, type] of draw(fc.tuple(bodies, types), 600, 2)) {
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
    for (const [batchKey, eventKey, damageEvent, value, extra] of draw(cases, 1200, 3)) {
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
    expect(refused).toBeGreaterThan(600);
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
    for (const q of draw(fc.dictionary(fc.constantFrom('site', 'aid', 'x'), fc.string({ unit: 'grapheme', maxLength: 200 })), 200, 4)) {
      // As a server reads it (the admin token), so valid queries reach the decision.
      const p = problemWith(await send(`/v1/decide?${new URLSearchParams(q)}`, { headers: ADMIN }));
      if (p) problems.push(`${p} <- ${JSON.stringify(q)}`);
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
  }, 300_000);

  it('config documents with damaged fields: saved, or a 400 listing problems by path; never a 5xx', async () => {
    const key = uid('cfg').toLowerCase();
    const base = () => ({
      allowedOrigins: ['*'],
      scoring: { behavior: [{ id: 'a', when: { type: 'download', path: '/x/**' }, points: 5, maxPoints: 10 }], fit: [{ id: 'f', trait: 'title', match: { anyWord: ['vp'] }, points: 3 }] },
      stages: { mql: { score: 10 }, sql: { score: 20 } },
      ctas: { hero: [{ id: 'c', text: 'Hi {{firstName}}' }] },
      webhooks: [{ id: 'w', url: 'https://hooks.example.com/x', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['lead.sql'] }],
    });
    const paths = [['allowedOrigins'], ['scoring', 'behavior', 0, 'points'], ['scoring', 'behavior', 0, 'when'], ['scoring', 'fit', 0, 'match'], ['stages', 'mql'], ['ctas', 'hero', 0, 'href'], ['webhooks', 0, 'url'], ['webhooks', 0, 'secret'], ['scoring', 'halfLifeDays'], ['delivery'], ['bots'], ['rateLimits']];
    const problems: string[] = [];
    for (const [path, value] of draw(fc.tuple(fc.constantFrom(...paths), nasty), 400, 5)) {
      const doc = base() as Record<string, any>;
      let target = doc;
      for (const k of path.slice(0, -1)) target = target[k as never];
      target[path.at(-1) as never] = value as never;
      const a = await send(`/v1/admin/sites/${key}`, { method: 'PUT', headers: { authorization: 'Bearer leadedge-local-dev-admin-token-0000', 'content-type': 'application/json' }, body: JSON.stringify(doc) });
      const p = problemWith(a) ?? (a.status === 400 && !a.body.error.issues?.length ? 'a 400 without issues' : null);
      if (p) problems.push(`${p} <- ${path.join('.')} = ${JSON.stringify(value)?.slice(0, 100)}`);
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
  }, 300_000);

  it('totals: thousands of generated inputs, zero 5xx', () => {
    console.log(`fuzz (seed ${SEED}): ${tally.requests} generated requests, ${tally.fiveHundreds} answered 5xx`);
    expect(tally.requests).toBeGreaterThanOrEqual(3000);
    expect(tally.fiveHundreds).toBe(0);
  });
});
