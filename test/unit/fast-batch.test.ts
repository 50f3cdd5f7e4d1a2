import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchSchema } from '../../worker/schema/events';
import { parseBatchFast } from '../../worker/schema/fast-batch';
import { LIMITS } from '../../worker/schema/limits';

/** Strings of exactly these lengths: each limit, and one past it. */
const around = (max: number, ch = 'x') => fc.constantFrom(ch.repeat(max), ch.repeat(max + 1));
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mixes valid and invalid values on purpose
const one = (...arbs: fc.Arbitrary<unknown>[]): fc.Arbitrary<any> => fc.oneof(...arbs);

/** A valid value most of the time; sometimes one edit that may or may not break it. */
function mutated<T extends object>(valid: fc.Arbitrary<T>, edits: fc.Arbitrary<[string, unknown]>): fc.Arbitrary<T> {
  const edit = fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: edits });
  return fc.tuple(valid, edit).map(([v, e]) => (e ? { ...v, [e[0]]: e[1] } : v));
}

const validId = fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/);
const id = one(validId, fc.constantFrom('', 'a b', 'é', 'PROTO'), around(LIMITS.maxIdLength));
const validTs = fc.integer({ min: 0, max: 2e12 });
const ts = one(validTs, fc.constantFrom(-1, 0, 8.64e15, 8.64e15 + 1, 1.5, '1700000000000', null));
const url = fc.constantFrom(
  'https://www.example.com/pricing',
  'http://localhost:8787/blog/a?x=1#y',
  'HTTPS://EXAMPLE.COM',
  'https://',
  'https://a b',
  'http://[::1',
  'ftp://example.com/',
  '/relative',
  '',
  `https://e.com/${'p'.repeat(LIMITS.maxUrlLength - 14)}`,
  `https://e.com/${'p'.repeat(LIMITS.maxUrlLength - 13)}`,
);
const path = one(fc.constantFrom('/', '/blog/a', 'blog', ''), around(LIMITS.maxPathLength - 1).map((s) => `/${s}`));
const topic = one(
  fc.constantFrom('Analytics', '  pricing ', '', '   ', 'İ'.repeat(40), 'PROTO', 'constructor', 'Constructor ', 'prototype'),
  around(LIMITS.maxTopicLength),
  around(LIMITS.maxTopicLength).map((s) => ` ${s} `),
  fc.string({ maxLength: 8 }),
  fc.integer(),
);
const scalar = one(fc.string({ maxLength: 6 }), around(LIMITS.maxPropStringLength), fc.double(), fc.boolean(), fc.constant(null));
const propValue = one(scalar, fc.array(scalar, { maxLength: 3 }), fc.constantFrom(Array(LIMITS.maxPropArrayLength + 1).fill(1), { nested: 1 }, [[1]]));
const propKey = one(fc.constantFrom('plan', 'form', '', 'PROTO', 'constructor', 'k'.repeat(LIMITS.maxPropKeyLength), 'k'.repeat(LIMITS.maxPropKeyLength + 1)), fc.string({ maxLength: 5 }));
const props = one(
  fc.dictionary(propKey, propValue, { maxKeys: 4 }),
  fc.constant(Object.fromEntries(Array.from({ length: LIMITS.maxProps + 1 }, (_, i) => [`p${i}`, i]))),
  fc.constantFrom([], 'props', null),
);

const validEvent = fc
  .record(
    {
      id: validId,
      type: fc.constantFrom('page_view', 'download', 'webinar_signup', 'demo_request', 'cta_click', 'track'),
      ts: validTs,
      url: fc.constantFrom('https://www.example.com/pricing', 'http://localhost:8787/blog/a?x=1#y'),
      path: fc.constantFrom('/', '/blog/a'),
      title: fc.string({ maxLength: 10 }),
      referrer: fc.constantFrom('', 'https://www.google.com/'),
      topics: fc.array(fc.constantFrom('Analytics', '  Pricing ', 'İstanbul', 'a'), { maxLength: 3 }),
      props: fc.dictionary(fc.constantFrom('plan', 'form', 'seats'), one(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 })), { maxKeys: 3 }),
    },
    { requiredKeys: ['id', 'type', 'ts'] },
  )
  .map((e) => ({
    ...e,
    ...(e.url === undefined && e.path === undefined ? { path: '/' } : {}),
    ...(e.type === 'cta_click' ? { ctaId: 'hero' } : {}),
    ...(e.type === 'track' ? { name: 'plan.upgrade' } : {}),
  }));

const event = mutated(
  validEvent,
  one(
    fc.tuple(fc.constant('id'), id),
    fc.tuple(fc.constant('ts'), ts),
    fc.tuple(fc.constantFrom('url', 'referrer'), url),
    fc.tuple(fc.constant('path'), path),
    fc.tuple(fc.constantFrom('url', 'path', 'id', 'ts', 'type'), fc.constant(undefined)),
    fc.tuple(fc.constant('title'), one(fc.string({ maxLength: 10 }), around(LIMITS.maxTitleLength))),
    fc.tuple(fc.constant('topics'), one(fc.array(topic, { maxLength: 3 }), fc.constant(Array(LIMITS.maxTopicsPerEvent + 1).fill('a')), fc.constant('analytics'))),
    fc.tuple(fc.constant('props'), props),
    fc.tuple(fc.constant('type'), fc.constantFrom('identify', 'constructor', 'toString', 'PROTO', 'pageview', 'cta_click', 'track', 'page_view')),
    fc.tuple(fc.constant('ctaId'), one(fc.constantFrom('', 'hero', 42), around(128))),
    fc.tuple(fc.constant('name'), fc.constantFrom('signup', '1abc', 'page_view', 'constructor', 'a'.repeat(64), 'a'.repeat(65))),
    fc.tuple(fc.constantFrom('traits', 'extra', 'PROTO'), fc.constantFrom({ email: 'ana@acme.io' }, 1)),
  ),
);

const context = mutated(
  fc.record({ userAgent: fc.string({ maxLength: 10 }), locale: fc.constantFrom('en-US', 'de'), automated: fc.boolean(), library: fc.constant({ name: 'leadedge', version: '1.0.0' }) }, { requiredKeys: [] }),
  one(
    fc.tuple(fc.constant('userAgent'), around(512)),
    fc.tuple(fc.constant('locale'), one(fc.constant(''), around(35))),
    fc.tuple(fc.constant('automated'), fc.constant('yes')),
    fc.tuple(fc.constant('library'), fc.constantFrom({ name: 'leadedge' }, { name: 'x'.repeat(40), version: 'y'.repeat(20) }, { name: 'x'.repeat(41), version: '1' }, { name: 'l', version: '1', extra: 1 }, 'leadedge')),
    fc.tuple(fc.constantFrom('PROTO', 'extra'), fc.constant({ polluted: true })),
  ),
);

/** Many events, distinct ids or not. */
const manyEvents = (n: number, distinct: boolean) => validEvent.map((e) => Array.from({ length: n }, (_, i) => ({ ...e, id: distinct ? `e${i}` : e.id })));

const validBatch = fc.record({
  site: fc.constantFrom('demo', 'acme_2'),
  anonymousId: validId,
  sessionId: validId,
  sentAt: validTs,
  events: fc.array(event, { minLength: 1, maxLength: 4 }),
  context,
});

const batch = mutated(
  validBatch,
  one(
    fc.tuple(fc.constant('site'), fc.constantFrom('Demo', 'a'.repeat(63), 'a'.repeat(64), 'bad site', '', 'PROTO')),
    fc.tuple(fc.constantFrom('anonymousId', 'sessionId'), id),
    fc.tuple(fc.constant('sentAt'), ts),
    fc.tuple(fc.constantFrom('site', 'anonymousId', 'sessionId', 'sentAt', 'context'), fc.constant(undefined)),
    fc.tuple(fc.constant('events'), one(fc.constant([]), manyEvents(LIMITS.maxEventsPerBatch, true), manyEvents(LIMITS.maxEventsPerBatch + 1, true), manyEvents(2, false), fc.constant('events'))),
    fc.tuple(fc.constant('context'), fc.constantFrom(null, 'ctx', [])),
    fc.tuple(fc.constantFrom('extra', 'PROTO'), fc.constant(true)),
  ),
);

/** As bodies arrive: JSON, where "__proto__" is an ordinary own key (PROTO stands for it while generating). */
const asReceived = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll('"PROTO"', '"__proto__"'));

describe('fast batch parser', () => {
  it('accepts only what BatchSchema accepts, and returns what BatchSchema returns', () => {
    const seen = { fast: 0, unchanged: 0, schemaOnly: 0, rejected: 0 };
    fc.assert(
      fc.property(batch, (generated) => {
        const input = asReceived(generated);
        const fast = parseBatchFast(input);
        const slow = BatchSchema.safeParse(input);
        if (fast !== null) {
          seen.fast++;
          expect(slow.success).toBe(true);
          expect(fast).toStrictEqual(slow.data);
          // Handed back unchanged, the body's own text is forwarded to the visitor object: it must parse to the same batch.
          if (fast === input) {
            seen.unchanged++;
            expect(JSON.parse(JSON.stringify(input))).toStrictEqual(slow.data);
          }
        } else if (slow.success) seen.schemaOnly++;
        else seen.rejected++;
      }),
      { numRuns: 4000, seed: 20261123 },
    );
    // The generator reaches both sides of the line often enough for the check to mean something.
    expect(seen.fast).toBeGreaterThan(800);
    expect(seen.unchanged).toBeGreaterThan(50);
    expect(seen.fast - seen.unchanged).toBeGreaterThan(50);
    expect(seen.rejected).toBeGreaterThan(800);
    expect(seen.schemaOnly).toBeGreaterThan(50);
  });

  it("takes every beacon the SDK sends except identify, so they skip zod's interpreted checks", () => {
    const valid = fc.record({
      id: fc.uuid(),
      type: fc.constantFrom('page_view', 'download', 'webinar_signup', 'demo_request'),
      ts: fc.integer({ min: 1.7e12, max: 1.9e12 }),
      url: fc.constantFrom('https://www.example.com/', 'http://localhost:8787/blog/attribution-101'),
      path: fc.constantFrom('/', '/blog/attribution-101'),
      title: fc.string({ maxLength: 60 }),
      referrer: fc.constantFrom('', 'https://www.google.com/'),
      topics: fc.array(fc.constantFrom('Analytics', ' attribution '), { maxLength: 2 }),
      props: fc.dictionary(fc.constantFrom('form', 'file', 'plan'), fc.oneof(fc.string({ maxLength: 20 }), fc.integer())),
    }, { requiredKeys: ['id', 'type', 'ts', 'url', 'path'] });
    fc.assert(
      fc.property(fc.uniqueArray(valid, { minLength: 1, maxLength: 20, selector: (e) => e.id }), (events) => {
        const input = asReceived({ site: 'demo', anonymousId: 'a1', sessionId: 's1', sentAt: 1.8e12, events, context: { userAgent: 'Mozilla/5.0', locale: 'en-US', library: { name: 'leadedge', version: '1.0.0' } } });
        const fast = parseBatchFast(input);
        expect(fast).not.toBeNull();
        expect(fast).toStrictEqual(BatchSchema.parse(input));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('leaves to BatchSchema what it does not handle: identify, unknown fields, inherited names', () => {
    const base = { site: 'demo', anonymousId: 'a', sessionId: 's', sentAt: 1, events: [{ id: 'e', type: 'page_view', ts: 1, path: '/' }] };
    // Nothing to normalize: the value itself comes back (the route then forwards the body's text).
    expect(parseBatchFast(base)).toBe(base);
    const upper = { ...base, events: [{ ...base.events[0], topics: ['Pricing'] }] };
    expect(parseBatchFast(upper)).toEqual({ ...upper, events: [{ ...upper.events[0], topics: ['pricing'] }] });
    expect(parseBatchFast({ ...base, events: [{ id: 'e', type: 'identify', ts: 1, path: '/', traits: {} }] })).toBeNull();
    expect(parseBatchFast({ ...base, events: [{ id: 'e', type: 'constructor', ts: 1, path: '/' }] })).toBeNull();
    expect(parseBatchFast({ ...base, utm: 'x' })).toBeNull();
  });
});
