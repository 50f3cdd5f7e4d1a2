/**
 * People (worker/people): a merge is exact. A person's score equals the score of one visitor that
 * received every event of its browsers (same rules, caps, decay, as of now), split restores each
 * browser's own, and identifiers are normalized and guarded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockedReason, identifierKey, identifiersIn } from '../../worker/people/identifiers';
import { capParts, FOLDED, personTraits, sumAggregates, type Part } from '../../worker/people/parts';
import { absorbBrowser, applyPersonBatch, splitBrowser, type PersonState } from '../../worker/people/person-batch';
import type { LeadEvent } from '../../worker/schema/events';
import { computeScore } from '../../worker/scoring/score';
import { applyBatch, newVisitorState, type VisitorState } from '../../worker/visitor/apply-batch';
import { makeConfig, makeEvent } from '../helpers/factories';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 5);
/** Rules with caps and decay, no cooldowns (cooldowns count per browser: see the next test). */
const config = makeConfig({
  scoring: {
    halfLifeDays: 7,
    behavior: [
      { id: 'pages', when: { type: 'page_view' }, points: 3, maxPoints: 20 },
      { id: 'pricing', when: { type: 'page_view', path: '/pricing' }, points: 10 },
      { id: 'ebook', when: { type: 'download' }, points: 25 },
      { id: 'webinar', when: { type: 'webinar_signup' }, points: 20, maxPoints: 30 },
    ],
    fit: [],
  },
  stages: { mql: { score: 40, fit: 0 }, sql: { score: 500, fit: 0 } },
});

const eventArb = fc.record({
  type: fc.constantFrom('page_view', 'download', 'webinar_signup'),
  path: fc.constantFrom('/', '/pricing', '/blog'),
  ageMs: fc.integer({ min: 0, max: 6 * DAY }),
});
const batchesArb = fc.array(fc.array(eventArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 });

const toEvents = (specs: { type: string; path: string; ageMs: number }[], receivedAt: number): LeadEvent[] =>
  specs.map((s) => makeEvent({ type: s.type as LeadEvent['type'], url: `https://acme.example${s.path}`, ts: receivedAt - s.ageMs }));

/** A lone visitor receiving `batches` one after the other, a day apart (ending at NOW). */
function fold(state: VisitorState, batches: LeadEvent[][][]) {
  let s = state;
  batches.forEach((events, i) => {
    const at = NOW - (batches.length - i) * DAY;
    for (const e of events) s = applyBatch(s, e, at, config, at).state;
  });
  return s;
}

describe('merge is exact', () => {
  it('a person of two browsers scores what one visitor with all their events scores, at any time after; split gives each its own back', () => {
    fc.assert(
      fc.property(batchesArb, batchesArb, fc.integer({ min: 0, max: 30 }), (a, b, laterDays) => {
        const stamp = (batches: typeof a) => batches.map((events, i) => [toEvents(events, NOW - (batches.length - i) * DAY)]);
        const aEvents = stamp(a);
        const bEvents = stamp(b);
        const laptop = fold(newVisitorState('s', 'laptop', NOW), aEvents);
        const phone = fold(newVisitorState('s', 'phone', NOW), bEvents);
        // One visitor that received every event (both histories, each batch as it came).
        const union = fold(fold(newVisitorState('s', 'one', NOW), aEvents), bEvents);
        const person = absorbBrowser(absorbBrowser(null, 'p~1', { browser: laptop, linkedBy: 'claimed', verified: false, at: NOW }, config).state, 'p~1', { browser: phone, linkedBy: 'claimed', verified: false, at: NOW }, config).state;
        const when = NOW + laterDays * DAY;
        expect(computeScore(person.aggregates, config, when).total).toBeCloseTo(computeScore(union.aggregates, config, when).total, 6);
        expect(person.aggregates.eventCount).toBe(union.aggregates.eventCount);
        const split = splitBrowser(person, 'phone', config)!;
        expect(computeScore(split.person.aggregates, config, when).total).toBeCloseTo(computeScore(laptop.aggregates, config, when).total, 6);
        expect(computeScore(split.browser.aggregates, config, when).total).toBeCloseTo(computeScore(phone.aggregates, config, when).total, 6);
      }),
      { numRuns: 200 },
    );
  });

  it('a linked browser\'s new events land in its part; the person scores the sum, and its stage moves once for the person', () => {
    const identify = makeEvent({ type: 'identify', traits: { email: 'ana@acme.io' }, ts: NOW - DAY } as never);
    const laptop = fold(newVisitorState('s', 'laptop', NOW), [[[identify, ...toEvents([{ type: 'download', path: '/', ageMs: 0 }], NOW - DAY)]]]);
    expect(laptop.stage).toBe('known');
    const phone = newVisitorState('s', 'phone', NOW);
    let person: PersonState = absorbBrowser(null, 'p~1', { browser: laptop, linkedBy: 'claimed', verified: false, at: NOW }, config).state;
    person = absorbBrowser(person, 'p~1', { browser: phone, linkedBy: 'claimed', verified: false, at: NOW }, config).state;
    const out = applyPersonBatch(person, 'phone', toEvents([{ type: 'webinar_signup', path: '/', ageMs: 0 }], NOW), NOW, config, NOW);
    expect(out.transitions.map((t) => [t.from, t.to])).toEqual([['known', 'mql']]);
    expect(out.timeline.every((e) => e.browser === 'phone')).toBe(true);
    // The phone alone: one webinar, never identified: anonymous (what it is shown).
    expect(out.state.person!.parts.find((p) => p.browser === 'phone')!.stage).toBe('anonymous');
  });

  it('cooldowns count per browser: the same page on two devices in one cooldown cell counts twice', () => {
    const cooled = makeConfig({ scoring: { halfLifeDays: 0, behavior: [{ id: 'pricing', when: { type: 'page_view', path: '/pricing' }, points: 10, cooldownMinutes: 60 }], fit: [] } });
    const visit = (aid: string) => applyBatch(newVisitorState('s', aid, NOW), toEvents([{ type: 'page_view', path: '/pricing', ageMs: 0 }], NOW), NOW, cooled, NOW).state;
    const person = absorbBrowser(absorbBrowser(null, 'p~1', { browser: visit('a'), linkedBy: 'claimed', verified: false, at: NOW }, cooled).state, 'p~1', { browser: visit('b'), linkedBy: 'claimed', verified: false, at: NOW }, cooled).state;
    expect(computeScore(person.aggregates, cooled, NOW).total).toBe(20);
  });

  it('past the browser cap the least recently seen browsers fold into one part, whose sum stays exact', () => {
    const parts: Part[] = Array.from({ length: 5 }, (_, i) => {
      const s = fold(newVisitorState('s', `b${i}`, NOW), [[toEvents([{ type: 'download', path: '/', ageMs: i * 1000 }], NOW)]]);
      return { browser: `b${i}`, linkedBy: 'claimed', verified: false, linkedAt: NOW, stage: s.stage, stageSince: NOW, aggregates: s.aggregates };
    });
    const capped = capParts(parts, 3, 7);
    expect(capped).toHaveLength(3);
    const folded = capped.find((p) => p.browser === FOLDED)!;
    expect(folded.foldedCount).toBe(3);
    expect(computeScore(sumAggregates(capped.map((p) => p.aggregates), 7), config, NOW).total).toBeCloseTo(computeScore(sumAggregates(parts.map((p) => p.aggregates), 7), config, NOW).total, 6);
  });

  it('a claim is not a proof: claimed browsers only fill traits nobody set (earlier-linked first), verified ones win (latest identify last)', () => {
    const part = (browser: string, linkedBy: Part['linkedBy'], verified: boolean, linkedAt: number, traits: Record<string, unknown>, traitsAt: number): Part => {
      const s = newVisitorState('s', browser, NOW);
      return { browser, linkedBy, verified, linkedAt, stage: 'known', stageSince: NOW, aggregates: { ...s.aggregates, traits, traitsAt } };
    };
    const first = part('laptop', 'claimed', false, NOW - 2 * DAY, { name: 'Ana', company: 'Acme' }, NOW - 2 * DAY);
    const claimer = part('intruder', 'claimed', false, NOW - DAY, { name: 'Mallory', phone: '555', custom: { plan: 'free' } }, NOW);
    expect(personTraits([claimer, first]).traits).toEqual({ name: 'Ana', company: 'Acme', phone: '555', custom: { plan: 'free' } });
    const desk = part('desk', 'verified', true, NOW, { name: 'Ana Souza' }, NOW - 3 * DAY);
    const app = part('app', 'userId', false, NOW, { company: 'Acme BR' }, NOW - DAY);
    // Verified and userId browsers win over any claim, field by field.
    expect(personTraits([first, claimer, app, desk]).traits).toEqual({ name: 'Ana Souza', company: 'Acme BR', phone: '555', custom: { plan: 'free' } });
    // Between them the later identify wins.
    expect(personTraits([first, { ...desk, aggregates: { ...desk.aggregates, traits: { company: 'Old' }, traitsAt: NOW } }, app]).traits.company).toBe('Old');
  });
});

describe('identifiers', () => {
  it('emails are trimmed and lower-cased; userId comes first', () => {
    const events = [makeEvent({ type: 'identify', traits: { email: ' Ana@ACME.io ' }, userId: 'u-7' } as never)];
    expect(identifiersIn(events).map(identifierKey)).toEqual(['userId:u-7', 'email:ana@acme.io']);
  });

  it('placeholders and the site list never link', () => {
    for (const value of ['', 'null', 'undefined', 'anonymous', '-1', '0', '0000', '00000000-0000-0000-0000-000000000000']) {
      expect(blockedReason({ kind: 'userId', value }, [])).not.toBeNull();
    }
    expect(blockedReason({ kind: 'email', value: 'Test@Example.com' }, ['test@example.com'])).not.toBeNull();
    expect(blockedReason({ kind: 'email', value: 'ana@acme.io' }, ['test@example.com'])).toBeNull();
  });
});
