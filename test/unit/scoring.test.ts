import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEvent, COOLDOWN_CELLS_KEPT, emptyAggregates, topTopics, type Aggregates } from '../../worker/scoring/aggregates';
import { addDecayed, decayFactor, valueAt } from '../../worker/scoring/decay';
import { fitRuleMatches } from '../../worker/scoring/fit';
import { eventPath, matchingRules, ruleMatches, rulesForType } from '../../worker/scoring/match';
import { computeScore } from '../../worker/scoring/score';
import { nextStage, stagesReached } from '../../worker/scoring/stages';
import type { FitRule } from '../../worker/schema/config';
import { applyBatch, newVisitorState } from '../../worker/visitor/apply-batch';
import { makeConfig, makeEvent } from '../helpers/factories';

const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 0, 1);

describe('decay', () => {
  it('halves behaviour points every half-life', () => {
    expect(decayFactor(30 * DAY, 30)).toBeCloseTo(0.5);
    expect(decayFactor(60 * DAY, 30)).toBeCloseTo(0.25);
    expect(decayFactor(90 * DAY, 0)).toBe(1);
  });

  it('gives the same value whatever order events arrive in', () => {
    const a = addDecayed(addDecayed(undefined, 1, T0, 30), 1, T0 + 10 * DAY, 30);
    const b = addDecayed(addDecayed(undefined, 1, T0 + 10 * DAY, 30), 1, T0, 30);
    expect(valueAt(a, T0 + 40 * DAY, 30)).toBeCloseTo(valueAt(b, T0 + 40 * DAY, 30), 10);
    expect(valueAt(a, T0 + 10 * DAY, 30)).toBeCloseTo(1 + decayFactor(10 * DAY, 30), 10);
  });
});

describe('rule matching', () => {
  it('normalizes paths from urls (trailing slash, .html, index)', () => {
    expect(eventPath({ url: 'https://x.io/pricing/' })).toBe('/pricing');
    expect(eventPath({ url: 'https://x.io/pricing.html?a=1' })).toBe('/pricing');
    expect(eventPath({ url: 'https://x.io/index.html' })).toBe('/');
    expect(eventPath({ path: '/blog/x/', url: 'https://x.io/other' })).toBe('/blog/x');
  });

  it('matches on type, path, topic, props and custom names together', () => {
    const rule = { id: 'r', when: { type: 'download' as const, topic: 'analytics', props: { file: 'ebook.pdf' } }, points: 5, cooldownMinutes: 0 };
    expect(ruleMatches(rule, makeEvent({ type: 'download', topics: ['analytics'], props: { file: 'ebook.pdf' } }), '/ebook')).toBe(true);
    expect(ruleMatches(rule, makeEvent({ type: 'download', topics: ['pricing'], props: { file: 'ebook.pdf' } }), '/ebook')).toBe(false);
    expect(ruleMatches(rule, makeEvent({ type: 'download', topics: ['analytics'], props: { file: 'x.zip' } }), '/ebook')).toBe(false);
    const named = { id: 'n', when: { name: 'calc*' }, points: 1, cooldownMinutes: 0 };
    expect(ruleMatches(named, makeEvent({ type: 'track', name: 'calculator_used' } as never), '/')).toBe(true);
    expect(ruleMatches(named, makeEvent({ type: 'page_view' }), '/')).toBe(false);
  });
});

describe('rules by event type', () => {
  it('keeps, in config order, exactly the rules that name the type or no type', () => {
    const rules = [
      { id: 'any', when: {}, points: 1, cooldownMinutes: 0 },
      { id: 'dl', when: { type: 'download' as const }, points: 1, cooldownMinutes: 0 },
      { id: 'both', when: { type: ['page_view' as const, 'download' as const] }, points: 1, cooldownMinutes: 0 },
      { id: 'pv', when: { type: 'page_view' as const, path: '/blog/**' }, points: 1, cooldownMinutes: 0 },
    ];
    expect(rulesForType(rules, 'download').map((r) => r.id)).toEqual(['any', 'dl', 'both']);
    expect(rulesForType(rules, 'page_view').map((r) => r.id)).toEqual(['any', 'both', 'pv']);
    expect(rulesForType(rules, 'identify').map((r) => r.id)).toEqual(['any']);
    // Every rule left out could not have matched an event of that type.
    for (const type of ['download', 'page_view', 'identify'] as const) {
      for (const rule of rules.filter((r) => !rulesForType(rules, type).includes(r))) {
        expect(ruleMatches(rule, makeEvent({ type } as never), '/blog/x')).toBe(false);
      }
    }
  });
});

describe('rules an event matches', () => {
  const pathRules = [
    { id: 'pv', when: { type: 'page_view' as const }, points: 1, cooldownMinutes: 0 },
    { id: 'blog', when: { type: 'page_view' as const, path: '/blog/**' }, points: 1, cooldownMinutes: 0 },
    { id: 'pricing', when: { path: '/pricing' }, points: 1, cooldownMinutes: 0 },
  ];
  const withTopic = [...pathRules, { id: 'topic', when: { type: 'page_view' as const, topic: 'analytics' }, points: 1, cooldownMinutes: 0 }];
  const expected = (rules: typeof withTopic, event: ReturnType<typeof makeEvent>, path: string) =>
    rulesForType(rules, event.type).filter((r) => ruleMatches(r, event, path)).map((r) => r.id);

  it('answers as rule-by-rule matching does, for pages seen before and events that differ only in topics', () => {
    for (const rules of [pathRules, withTopic]) {
      for (const [path, topics] of [['/blog/a', []], ['/pricing', ['analytics']], ['/blog/a', ['analytics']], ['/blog/a', []], ['/pricing', []]] as const) {
        const event = makeEvent({ type: 'page_view', path, topics: [...topics] });
        expect(matchingRules(rules, event, path).map((r) => r.id)).toEqual(expected(rules, event, path));
      }
    }
    // The topic rule is checked per event: the same page with and without the topic differs.
    expect(matchingRules(withTopic, makeEvent({ type: 'page_view', path: '/blog/a', topics: ['analytics'] }), '/blog/a').map((r) => r.id)).toEqual(['pv', 'blog', 'topic']);
    expect(matchingRules(withTopic, makeEvent({ type: 'page_view', path: '/blog/a', topics: [] }), '/blog/a').map((r) => r.id)).toEqual(['pv', 'blog']);
  });

  it('keeps answering right past the size of its memory of paths', () => {
    for (let i = 0; i < 1_200; i++) {
      const path = i % 3 === 0 ? `/blog/p${i}` : `/page/${i}`;
      const event = makeEvent({ type: 'page_view', path });
      expect(matchingRules(pathRules, event, path).map((r) => r.id)).toEqual(i % 3 === 0 ? ['pv', 'blog'] : ['pv']);
    }
  });
});

describe('score', () => {
  const config = makeConfig();

  it('explains itself: each rule with its points, largest first, fit included', () => {
    const agg = emptyAggregates(T0);
    applyEvent(agg, makeEvent({ type: 'identify', traits: { email: 'ana@acme.io', title: 'VP Marketing' } } as never), '/', config, T0);
    applyEvent(agg, makeEvent({ type: 'download' }), '/ebook', config, T0);
    const score = computeScore(agg, config, T0);
    expect(score.breakdown.map((l) => [l.rule, l.points])).toEqual([
      ['ebook-download', 20],
      ['senior-title', 15],
    ]);
    expect(score).toMatchObject({ total: 35, behavior: 20, fit: 15 });
  });

  it('decays behaviour points with the half-life but not fit points', () => {
    const agg = emptyAggregates(T0);
    applyEvent(agg, makeEvent({ type: 'identify', traits: { email: 'a@acme.io', title: 'Director of Ops' } } as never), '/', config, T0);
    applyEvent(agg, makeEvent({ type: 'download' }), '/ebook', config, T0);
    const later = computeScore(agg, config, T0 + 30 * DAY);
    expect(later.behavior).toBe(10);
    expect(later.fit).toBe(15);
    expect(computeScore(agg, config, T0 + 30 * DAY)).toEqual(later);
  });

  it('caps a rule at maxPoints and counts nothing inside its cooldown', () => {
    const agg = emptyAggregates(T0);
    for (let i = 0; i < 5; i++) applyEvent(agg, makeEvent({ type: 'page_view' }), '/pricing', config, T0 + i * 2 * 3600_000);
    const pricing = computeScore(agg, config, T0 + 10 * 3600_000).breakdown.find((l) => l.rule === 'pricing-page');
    expect(pricing?.points).toBeCloseTo(20, 0);
    const counted = applyEvent(agg, makeEvent({ type: 'page_view' }), '/pricing', config, T0 + 8 * 3600_000 + 60_000);
    expect(counted).not.toContain('pricing-page');
    expect(agg.rules['pricing-page']?.count).toBe(5);
  });

  it('takes points away for negative signals, within the cap', () => {
    const agg = emptyAggregates(T0);
    for (let i = 0; i < 4; i++) applyEvent(agg, makeEvent({ type: 'page_view' }), '/careers', config, T0 + i * 120_000);
    const careers = computeScore(agg, config, T0 + 600_000).breakdown.find((l) => l.rule === 'careers-page');
    expect(careers?.points).toBeCloseTo(-30, 0);
  });

  it('re-scores history when a rule\'s points change (matching happened at ingest)', () => {
    const agg = emptyAggregates(T0);
    applyEvent(agg, makeEvent({ type: 'download' }), '/ebook', config, T0);
    const doubled = makeConfig({
      scoring: { ...config.scoring, behavior: config.scoring.behavior.map((r) => (r.id === 'ebook-download' ? { ...r, points: 40 } : r)) },
    });
    expect(computeScore(agg, doubled, T0).behavior).toBe(40);
  });
});

describe('cooldowns', () => {
  const MIN = 60_000;
  const base = makeConfig({ scoring: { halfLifeDays: 30, behavior: [] } });
  const withRules = (behavior: { id: string; cooldownMinutes: number; path?: string }[]) => ({
    ...base,
    scoring: { ...base.scoring, behavior: behavior.map((r) => ({ id: r.id, when: { type: 'page_view' as const, ...(r.path ? { path: r.path } : {}) }, points: 10, cooldownMinutes: r.cooldownMinutes })) },
  });
  /** Each event in its own beacon, in this order, as the Worker applies them (corrected times = their ts). */
  const arrive = (config: ReturnType<typeof withRules>, events: { at: number; path: string }[]) => {
    let state = newVisitorState('s', 'a', T0);
    let receivedAt = Math.max(...events.map((e) => e.at));
    for (const e of events) {
      receivedAt += 1000;
      state = applyBatch(state, [makeEvent({ type: 'page_view', path: e.path, ts: e.at })], receivedAt, config, receivedAt).state;
    }
    return state.aggregates;
  };
  const summary = (agg: Aggregates, config: ReturnType<typeof withRules>, now: number) =>
    computeScore(agg, config, now).breakdown.map((l) => ({ rule: l.rule, count: l.count, lastAt: l.lastAt, points: l.points }));

  it('count the same events the same whatever order they arrive in (the issue: 0, 40 and 80 minutes, cooldown 60)', () => {
    const config = withRules([{ id: 'pricing', cooldownMinutes: 60 }]);
    const at = (m: number) => ({ at: T0 + m * MIN, path: '/pricing' });
    const inOrder = arrive(config, [at(0), at(40), at(80)]);
    const shuffled = arrive(config, [at(40), at(0), at(80)]);
    // Cells of the clock: [0, 60) holds 0 and 40, [60, 120) holds 80.
    expect(inOrder.rules.pricing?.count).toBe(2);
    expect(shuffled.rules.pricing?.count).toBe(2);
    expect(summary(shuffled, config, T0 + DAY)).toEqual(summary(inOrder, config, T0 + DAY));
  });

  it(`give the same count, points and last time for any arrival order of up to ${COOLDOWN_CELLS_KEPT} events within the late-arrival window`, () => {
    const config = withRules([
      { id: 'minute', cooldownMinutes: 1 },
      { id: 'hour', cooldownMinutes: 60 },
      { id: 'day', cooldownMinutes: 1440 },
      { id: 'blog-90', cooldownMinutes: 90, path: '/blog/**' },
      { id: 'none', cooldownMinutes: 0 },
    ]);
    const event = fc.record({ at: fc.integer({ min: T0, max: T0 + 6 * DAY }), path: fc.constantFrom('/pricing', '/blog/a', '/blog/b') });
    // Events close together too, so cells and cooldowns are often shared.
    const clustered = fc.tuple(fc.integer({ min: T0, max: T0 + 6 * DAY }), fc.array(fc.tuple(fc.integer({ min: 0, max: 200 * MIN }), fc.constantFrom('/pricing', '/blog/a')), { minLength: 1, maxLength: COOLDOWN_CELLS_KEPT }))
      .map(([start, list]) => list.map(([d, path]) => ({ at: start + d, path })));
    const events = fc.oneof(fc.array(event, { minLength: 1, maxLength: COOLDOWN_CELLS_KEPT }), clustered);
    fc.assert(
      fc.property(events.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }))), ([list, shuffled]) => {
        const now = T0 + 8 * DAY;
        const a = summary(arrive(config, list), config, now);
        const b = summary(arrive(config, shuffled), config, now);
        expect(b.map(({ points: _, ...rest }) => rest)).toEqual(a.map(({ points: _, ...rest }) => rest));
        b.forEach((line, i) => expect(line.points).toBeCloseTo(a[i]!.points, 6));
      }),
      { numRuns: 400 },
    );
  });

  it(`count one event per cell in time order however many cells (past ${COOLDOWN_CELLS_KEPT}), and keep at most ${COOLDOWN_CELLS_KEPT} in the aggregates`, () => {
    const config = withRules([{ id: 'hour', cooldownMinutes: 60 }]);
    const list = Array.from({ length: 40 }, (_, i) => ({ at: T0 + i * 30 * MIN, path: '/x' }));
    const agg = arrive(config, list);
    expect(agg.rules.hour?.count).toBe(20);
    expect(agg.rules.hour?.hits).toHaveLength(COOLDOWN_CELLS_KEPT);
    // Older than every remembered cell once that many are kept: not counted (the documented limit).
    const late = applyBatch({ ...newVisitorState('s', 'a', T0), aggregates: agg }, [makeEvent({ type: 'page_view', path: '/x', ts: T0 - 61 * MIN })], T0 + DAY, config, T0 + DAY);
    expect(late.state.aggregates.rules.hour?.count).toBe(20);
  });

  it('forget cells no event can reach any more (older than the 7-day clamp)', () => {
    const config = withRules([{ id: 'hour', cooldownMinutes: 60 }]);
    let state = newVisitorState('s', 'a', T0);
    for (const at of [T0, T0 + 2 * 3600_000, T0 + 9 * DAY]) state = applyBatch(state, [makeEvent({ type: 'page_view', path: '/x', ts: at })], at, config, at).state;
    expect(state.aggregates.rules.hour).toMatchObject({ count: 3, hits: [T0 + 9 * DAY], last: T0 + 9 * DAY });
  });

  it('read aggregates stored before (last only): the last counted event stands for its cell', () => {
    const config = withRules([{ id: 'hour', cooldownMinutes: 60 }]);
    const agg = emptyAggregates(T0);
    agg.eventCount = 1;
    agg.rules.hour = { value: 1, ref: T0 + 10 * MIN, count: 1, last: T0 + 10 * MIN };
    expect(applyEvent(agg, makeEvent({ type: 'page_view', path: '/x' }), '/x', config, T0 + 50 * MIN)).toEqual([]);
    expect(applyEvent(agg, makeEvent({ type: 'page_view', path: '/x' }), '/x', config, T0 + 70 * MIN)).toEqual(['hour']);
    expect(agg.rules.hour).toMatchObject({ count: 2, hits: [T0 + 10 * MIN, T0 + 70 * MIN] });
  });
});

describe('rules named like Object.prototype properties', () => {
  it('a rule with id "constructor" (stored before such ids were refused) counts like any other and zeroes nothing', () => {
    const base = makeConfig();
    // Built around the schema, as a config stored before the schema refused these ids would be.
    const config = { ...base, scoring: { ...base.scoring, behavior: [...base.scoring.behavior, { id: 'constructor', when: { type: 'download' as const }, points: 7, cooldownMinutes: 0 }] } };
    const agg = emptyAggregates(T0);
    applyEvent(agg, makeEvent({ type: 'download' }), '/ebook', config, T0);
    applyEvent(agg, makeEvent({ type: 'download' }), '/ebook', config, T0);
    const score = computeScore(agg, config, T0);
    expect(score.breakdown.find((l) => l.rule === 'constructor')).toMatchObject({ points: 14, count: 2 });
    expect(score.behavior).toBe(54);
  });

  it('aggregates stored without a rule, topic or count never read one from the prototype', () => {
    const base = makeConfig();
    const config = { ...base, scoring: { ...base.scoring, behavior: [{ id: 'page', when: {}, points: 1, cooldownMinutes: 0 }, { id: 'constructor', when: {}, points: 1, cooldownMinutes: 60 }] } };
    const agg = JSON.parse(JSON.stringify(emptyAggregates(T0)));
    expect(applyEvent(agg, makeEvent({ type: 'page_view' }), '/', config, T0)).toEqual(['page', 'constructor']);
    expect(computeScore(agg, config, T0).behavior).toBe(2);
    expect(Object.getPrototypeOf(agg.rules)).toBe(Object.prototype);
  });
});

describe('fit rules', () => {
  const rule = (match: FitRule['match'], trait: FitRule['trait'] = 'title'): FitRule => ({ id: 'f', trait, match, points: 1 });

  it('matches whole words, ignoring case', () => {
    expect(fitRuleMatches(rule({ anyWord: ['vp'] }), { title: 'VP, Marketing' })).toBe(true);
    expect(fitRuleMatches(rule({ anyWord: ['vp'] }), { title: 'MVP engineer' })).toBe(false);
    expect(fitRuleMatches(rule({ anyWord: ['vice president'] }), { title: 'Senior Vice-President Sales' })).toBe(true);
  });

  it('compares company size ranges by their lower bound', () => {
    expect(fitRuleMatches(rule({ gte: 50 }, 'companySize'), { companySize: '51-200' })).toBe(true);
    expect(fitRuleMatches(rule({ gte: 50 }, 'companySize'), { companySize: 12 })).toBe(false);
    expect(fitRuleMatches(rule({ gte: 50 }, 'companySize'), {})).toBe(false);
  });

  it('reads the email domain and custom traits', () => {
    expect(fitRuleMatches(rule({ in: ['gmail.com'] }, 'emailDomain'), { email: 'x@GMail.com' })).toBe(true);
    expect(fitRuleMatches(rule({ equals: 'nurse' }, 'custom.occupation'), { custom: { occupation: 'Nurse' } })).toBe(true);
    expect(fitRuleMatches(rule({ exists: false }, 'company'), {})).toBe(true);
    expect(fitRuleMatches(rule({ exists: false }, 'company'), { company: 'Acme' })).toBe(false);
  });
});

describe('stages', () => {
  const config = makeConfig();
  const facts = (over: Partial<Parameters<typeof nextStage>[1]> = {}) => ({ score: 0, fit: 0, known: true, demoRequested: false, ...over });

  it('moves forward only, skipping stages when the score jumps', () => {
    expect(nextStage('anonymous', facts(), config)).toBe('known');
    expect(nextStage('known', facts({ score: 60, fit: 15 }), config)).toBe('mql');
    expect(nextStage('known', facts({ score: 200, fit: 30 }), config)).toBe('sql');
    expect(nextStage('sql', facts({ score: 0 }), config)).toBeNull();
  });

  it('needs enough fit for MQL, and an email for anything past anonymous', () => {
    expect(nextStage('known', facts({ score: 80, fit: 5 }), config)).toBeNull();
    expect(nextStage('anonymous', facts({ known: false, score: 500, fit: 50, demoRequested: true }), config)).toBeNull();
  });

  it('a demo request makes a known visitor SQL at once', () => {
    expect(nextStage('known', facts({ demoRequested: true }), config)).toBe('sql');
  });

  it("never overrides sales' verdicts", () => {
    expect(nextStage('sal', facts({ demoRequested: true }), config)).toBeNull();
    expect(nextStage('disqualified', facts({ demoRequested: true }), config)).toBeNull();
  });

  it('counts every stage a skip passes through for the funnel', () => {
    expect(stagesReached('anonymous', 'sql')).toEqual(['known', 'mql', 'sql']);
    expect(stagesReached('mql', 'sql')).toEqual(['sql']);
  });
});

describe('topics', () => {
  it('ranks interests by decayed weight, so recent reading wins', () => {
    const config = makeConfig();
    const agg = emptyAggregates(T0);
    for (let i = 0; i < 3; i++) applyEvent(agg, makeEvent({ topics: ['pricing'] }), '/', config, T0);
    for (let i = 0; i < 2; i++) applyEvent(agg, makeEvent({ topics: ['analytics'] }), '/', config, T0 + 90 * DAY);
    expect(topTopics(agg, T0 + 90 * DAY, 30, 2)).toEqual(['analytics', 'pricing']);
  });
});
