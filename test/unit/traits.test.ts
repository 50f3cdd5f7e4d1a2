import { describe, expect, it } from 'vitest';
import { mergeTraits } from '../../worker/scoring/aggregates';
import { BatchSchema, type Traits } from '../../worker/schema/events';
import { LIMITS } from '../../worker/schema/limits';
import { makeBatch, makeEvent } from '../helpers/factories';

/** An identify batch through the contract, as the Worker parses it. */
const parse = (traits: Record<string, unknown>) => BatchSchema.safeParse(makeBatch([makeEvent({ type: 'identify', traits } as never)]));
const traitsOf = (traits: Record<string, unknown>): Traits => {
  const r = parse(traits);
  if (!r.success) throw new Error(JSON.stringify(r.error.issues));
  return (r.data.events[0] as { traits: Traits }).traits;
};
const issuesOf = (traits: Record<string, unknown>) => {
  const r = parse(traits);
  if (r.success) throw new Error('accepted');
  return r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};

describe('identify traits', () => {
  it('keeps unknown top-level scalar traits under custom instead of dropping them', () => {
    expect(traitsOf({ email: 'ana@acme.io', plan: 'pro', seats: 12, trial: true, referral: null })).toEqual({
      email: 'ana@acme.io',
      custom: { plan: 'pro', seats: 12, trial: true, referral: null },
    });
  });

  it('a trait sent both ways keeps the value given under custom', () => {
    expect(traitsOf({ plan: 'top', custom: { plan: 'inside', region: 'eu' } })).toEqual({ custom: { plan: 'inside', region: 'eu' } });
  });

  it('refuses an unknown trait that is not a scalar, saying where traits go', () => {
    expect(issuesOf({ email: 'ana@acme.io', address: { city: 'Lisbon' } })).toEqual([
      { path: 'events.0.traits.address', message: expect.stringMatching(/kept under custom.*string.*number, boolean or null/) },
    ]);
  });

  it(`refuses more than ${LIMITS.maxCustomTraits} custom traits, counting the unknown top-level ones`, () => {
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    const custom = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`c${i}`, i]));
    expect(issuesOf({ ...many, custom })).toEqual([{ path: 'events.0.traits.custom', message: expect.stringMatching(/at most 25 custom traits.*26/) }]);
    expect(Object.keys(traitsOf({ ...many, custom: { c0: 1, c1: 2, c2: 3, c3: 4, k0: 'x' } }).custom!)).toHaveLength(24);
  });

  it('refuses reserved and over-long names and over-long values, as under custom', () => {
    expect(issuesOf({ constructor: 'x' }).map((i) => i.path)).toEqual(['events.0.traits.constructor']);
    expect(issuesOf({ ['k'.repeat(LIMITS.maxPropKeyLength + 1)]: 'x' }).map((i) => i.path)).toEqual([`events.0.traits.${'k'.repeat(LIMITS.maxPropKeyLength + 1)}`]);
    expect(issuesOf({ note: 'x'.repeat(LIMITS.maxPropStringLength + 1) }).map((i) => i.path)).toEqual(['events.0.traits.note']);
  });

  it(`a visitor keeps at most ${LIMITS.maxCustomTraits} custom traits over many identifies, the newest`, () => {
    let traits: Traits = {};
    for (let round = 0; round < 3; round++) {
      traits = mergeTraits(traits, { custom: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`r${round}k${i}`, i])) });
    }
    const keys = Object.keys(traits.custom!);
    expect(keys).toHaveLength(LIMITS.maxCustomTraits);
    expect(keys).toEqual(expect.arrayContaining(Array.from({ length: 20 }, (_, i) => `r2k${i}`)));
    // An update to a known key never pushes another out.
    expect(Object.keys(mergeTraits(traits, { custom: { r2k0: 'new' } }).custom!)).toHaveLength(LIMITS.maxCustomTraits);
  });
});
