/**
 * Whatever the host page passes in, what the SDK sends is what the Worker accepts: the SDK's
 * sanitizers, fed arbitrary input, always produce events the Worker's own zod schema accepts, so
 * one bad key can never cost a batch (the Worker refuses a batch whole).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { routeOf } from '../../../worker/http/batch-body';
import { BatchSchema, EventSchema } from '../../../worker/schema/events';
import { toBatches, type Item } from '../../../sdk/src/batch';
import { pageFields, trackKind } from '../../../sdk/src/events';
import { cleanEventName, cleanProps, cleanTopics, cleanTraits, cleanUserId } from '../../../sdk/src/sanitize';

const RUNS = { numRuns: 400 };
/** Keys a page may use, the awkward ones often: empty, reserved, at and past the length limit. */
const key = fc.oneof(
  fc.string({ maxLength: 70 }),
  fc.constantFrom('', ' ', '__proto__', 'constructor', 'prototype', 'x'.repeat(64), 'x'.repeat(65), 'é'.repeat(64), '😀'.repeat(33)),
);
const value = fc.oneof(
  fc.anything(),
  fc.string({ maxLength: 600 }),
  fc.constantFrom(NaN, Infinity, -0, 1e308, undefined, 'x'.repeat(501), '😀'.repeat(300)),
  fc.array(fc.oneof(fc.string({ maxLength: 600 }), fc.integer(), fc.constant(null), fc.object()), { maxLength: 30 }),
);
const bag = fc.dictionary(key, value, { maxKeys: 40 });

const base = { id: 'e-1', ts: 1, path: '/' };
const accepted = (event: unknown) => {
  const r = EventSchema.safeParse(event);
  if (!r.success) throw new Error(`${JSON.stringify(event)}\nrefused: ${JSON.stringify(r.error.issues)}`);
};
/** What the Worker parses is JSON: undefined values disappear, as on the wire. */
const wire = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe('what the SDK sends, the Worker accepts', () => {
  it('props: an empty, reserved or too long key, or a bad value, is dropped; the event still goes', () => {
    fc.assert(fc.property(bag, (raw) => accepted(wire({ ...base, type: 'page_view', props: cleanProps(raw) }))), RUNS);
    expect(cleanProps({ '': 1, ok: 2 })).toEqual({ ok: 2 });
  });

  it('traits: known ones trimmed to their limits, custom traits as scalars with valid keys', () => {
    const traits = fc.record(
      {
        email: fc.oneof(fc.emailAddress(), fc.string(), fc.constant(`${'a'.repeat(250)}@acme.io`), fc.integer()),
        name: value,
        firstName: value,
        company: value,
        title: value,
        companySize: fc.oneof(fc.integer({ min: -5, max: 2e7 }), fc.double(), fc.string({ maxLength: 40 })),
        country: value,
        phone: value,
        custom: fc.oneof(bag, value),
      },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(traits, (raw) => accepted(wire({ ...base, type: 'identify', traits: cleanTraits(raw) }))), RUNS);
    expect(cleanTraits({ custom: { '': 'x', plan: 'pro' } })).toEqual({ custom: { plan: 'pro' } });
  });

  it('an email over 254 characters is left out, never cut into another address', () => {
    const long = `ana@${'a'.repeat(245)}.example.com`;
    expect(cleanTraits({ email: long, company: 'Acme' })).toEqual({ company: 'Acme' });
  });

  it('topics and custom event names follow the Worker rules', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.constant(null)), { maxLength: 20 }), (lists) => accepted({ ...base, type: 'page_view', topics: cleanTopics(lists) })), RUNS);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom('identify', 'track', 'page_view', 'cta_click', 'demo_request', 'constructor')), (name) => {
        const n = cleanEventName(name);
        if (n) accepted({ ...base, type: 'track', name: n });
      }),
      RUNS,
    );
  });

  it('track("identify") and track("track") are refused by the SDK, not sent as custom events the Worker refuses', () => {
    expect([trackKind('identify'), trackKind('track')]).toEqual([null, null]);
    expect(cleanEventName('identify')).toBe('');
  });

  it('every kind track() makes, with its props, is accepted', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom('page_view', 'download', 'webinar_signup', 'demo_request', 'cta_click', 'identify', 'track'), fc.string({ maxLength: 70 })), bag, (name, props) => {
        const kind = trackKind(name, { ...props, ctaId: props.ctaId as string } as never);
        if (kind) accepted(wire({ ...base, ...kind, props: cleanProps(props) }));
      }),
      RUNS,
    );
  });

  it('page fields: a page whose path does not start with "/" (about:srcdoc) sends no path the Worker refuses', () => {
    expect(pageFields('about:srcdoc', '', '').path).toBeUndefined();
    expect(pageFields('https://a.io/x', '', '').path).toBe('/x');
  });

  it('identify with a userId: whatever string the page passes, the event is accepted (or the userId left out)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom(' u-1 ', 'x'.repeat(256), 'x'.repeat(257), '\t\n', ' '.repeat(300)), fc.anything()), (raw) => {
        accepted(wire({ ...base, type: 'identify', traits: {}, userId: cleanUserId(raw) }));
      }),
      RUNS,
    );
  });

  it('a batch with a person hint and a link token is accepted, and the Worker reads the person off its first bytes', () => {
    const person = 'p~' + 'f'.repeat(32);
    const item: Item = { a: 'a-1', s: 's-1', e: { ...base, type: 'page_view' }, t: 'abc.def' };
    const [b] = toBatches([item], 'demo', { userAgent: 'x' }, 1, () => person);
    expect(BatchSchema.parse(JSON.parse(b!.body))).toMatchObject({ person, linkToken: 'abc.def' });
    expect(routeOf(b!.body)).toEqual({ site: 'demo', anonymousId: 'a-1', person });
  });

  it('a queue holding the same event twice never puts it twice in one batch', () => {
    const item = (id: string): Item => ({ a: 'a-1', s: 's-1', e: { ...base, id, type: 'page_view' } });
    for (const b of toBatches([item('1'), item('2'), item('1')], 'demo', {}, 1)) {
      expect(BatchSchema.safeParse(JSON.parse(b.body)).success).toBe(true);
    }
  });
});
