import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readRoutedBatch, routeOf } from '../../worker/http/batch-body';
import { hasPath } from '../../worker/routes/collect';
import { LIMITS } from '../../worker/schema/limits';
import { makeBatch, makeEvent } from '../helpers/factories';

const siteKey = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,62}$/);
const visitorId = fc.stringMatching(new RegExp(`^[A-Za-z0-9._:-]{1,${LIMITS.maxIdLength}}$`));
/** Any string, including quotes, backslashes, escapes and non-ASCII. */
const anything = fc.string({ maxLength: 12, unit: 'binary' });

describe('routeOf: a beacon routed on its first bytes', () => {
  it("reads site and anonymousId off a body in the SDK's key order", () => {
    const batch = makeBatch([makeEvent()], { site: 'demo', anonymousId: 'a-1.b:c_d' });
    expect(routeOf(JSON.stringify(batch))).toEqual({ site: 'demo', anonymousId: 'a-1.b:c_d' });
  });

  it('leaves every other body to the parser: key order, whitespace, escapes, values outside the patterns', () => {
    const body = JSON.stringify(makeBatch([makeEvent()], { site: 'demo', anonymousId: 'a1' }));
    for (const other of [
      JSON.stringify({ anonymousId: 'a1', site: 'demo', events: [] }),
      JSON.stringify(makeBatch([makeEvent()], { site: 'demo', anonymousId: 'a1' }), null, 2),
      body.replace('"demo"', '"d\\u0065mo"'),
      body.replace('"a1"', '"a\\"1"'),
      body.replace('"demo"', '"Demo"'),
      body.replace('"a1"', `"${'a'.repeat(LIMITS.maxIdLength + 1)}"`),
      body.replace('"a1"', '"a 1"'),
      ' ' + body,
      '{"site":"demo","anonymousId":"a1"',
    ]) {
      expect(routeOf(other), other.slice(0, 60)).toBeNull();
    }
  });

  it('never disagrees with JSON.parse about a body without duplicate keys', () => {
    // Objects whose first two keys may be site and anonymousId, valid or not, followed by anything.
    const value = fc.record({
      site: fc.oneof(siteKey, anything),
      anonymousId: fc.oneof(visitorId, anything),
      rest: fc.dictionary(fc.constantFrom('events', 'sentAt', 'x', 'site2'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
      order: fc.constantFrom('sdk', 'reversed', 'rest-first'),
    });
    fc.assert(
      fc.property(value, ({ site, anonymousId, rest, order }) => {
        const obj = order === 'sdk' ? { site, anonymousId, ...rest } : order === 'reversed' ? { anonymousId, site, ...rest } : { ...rest, site, anonymousId };
        const text = JSON.stringify(obj);
        const route = routeOf(text);
        const parsed = JSON.parse(text) as { site: unknown; anonymousId: unknown };
        if (route) expect(route).toEqual({ site: parsed.site, anonymousId: parsed.anonymousId });
        // Both sides of the line are reached: valid ids in SDK order are always routed.
        if (order === 'sdk' && /^[a-z0-9][a-z0-9_-]{0,62}$/.test(site) && new RegExp(`^[A-Za-z0-9._:-]{1,${LIMITS.maxIdLength}}$`).test(anonymousId)) {
          expect(route).not.toBeNull();
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('readRoutedBatch: the one parse, in the visitor object', () => {
  it('refuses a body that names site or anonymousId twice (the route read the first, JSON.parse keeps the last)', () => {
    const body = JSON.stringify(makeBatch([makeEvent()], { site: 'demo', anonymousId: 'first' })).replace(/}$/, ',"anonymousId":"second"}');
    const route = routeOf(body)!;
    expect(route.anonymousId).toBe('first');
    expect(readRoutedBatch(body, route)).toEqual({ error: expect.objectContaining({ status: 400, code: 'invalid_batch', message: expect.stringMatching(/appear once/) }) });
  });

  it("returns BatchSchema's error, as data (it crosses the RPC)", () => {
    const body = JSON.stringify(makeBatch([{ ...makeEvent(), type: 'purchase' } as never], { site: 'demo', anonymousId: 'a1' }));
    const read = readRoutedBatch(body, { site: 'demo', anonymousId: 'a1' });
    expect(read).toEqual({ error: { status: 400, code: 'invalid_batch', message: expect.stringMatching(/events\.0\.type/), issues: expect.any(Array) } });
    expect(readRoutedBatch('{"site":"demo","anonymousId":"a1",', { site: 'demo', anonymousId: 'a1' })).toEqual({
      error: { status: 400, code: 'invalid_json', message: expect.stringMatching(/^the body is not valid JSON/) },
    });
  });
});

describe('hasPath: the beacon route found without parsing the URL', () => {
  it.each([
    ['http://localhost:8787/v1/collect', true],
    ['https://le.example.com/v1/collect?debug=1', true],
    ['https://le.example.com/v1/collect/', false],
    ['https://le.example.com/v1/collector', false],
    ['https://le.example.com/x/v1/collect', false],
    ['https://le.example.com', false],
  ])('%s -> %s', (url, expected) => {
    expect(hasPath(url, '/v1/collect')).toBe(expected);
  });
});
