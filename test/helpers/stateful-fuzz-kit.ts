/**
 * What the stateful fuzz suites share (test/worker/stateful-fuzz*.test.ts): the site's scoring
 * config and the variants a marketer saves over it, the event generators, events as the SDK
 * sends them, and the admin API's profile as the reference model's view (RefView).
 *
 * Times: events are stamped `now - k * 7 minutes`. Cooldowns (10, 30, 60 minutes) are not
 * multiples of 7, so the few milliseconds between the test's clock and the Worker's never decide
 * whether an event is inside a cooldown.
 */
import fc from 'fast-check';
import type { SiteConfigInput } from '../../worker/schema/config';
import type { RefEvent, RefTraits, RefView } from './reference-visitor';

export const MINUTE = 60_000;
export const STEP_MINUTES = 7;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the site: a small config and the variants a marketer saves over it -------------------------

type Behavior = NonNullable<NonNullable<SiteConfigInput['scoring']>['behavior']>;
type Fit = NonNullable<NonNullable<SiteConfigInput['scoring']>['fit']>;

export const BEHAVIOR: Behavior = [
  { id: 'page', when: { type: 'page_view' }, points: 2, maxPoints: 12, cooldownMinutes: 30 },
  { id: 'pricing', when: { type: 'page_view', path: '/pricing' }, points: 15, maxPoints: 30, cooldownMinutes: 60 },
  { id: 'blog', when: { type: 'page_view', path: '/blog/**' }, points: 3 },
  { id: 'docs', when: { path: '/docs/*' }, points: 4, maxPoints: 8 },
  { id: 'careers', when: { type: 'page_view', path: '/careers' }, points: -20, maxPoints: 40 },
  { id: 'download', when: { type: 'download' }, points: 20, maxPoints: 40 },
  { id: 'webinar', when: { type: 'webinar_signup' }, points: 25 },
  { id: 'demo', when: { type: 'demo_request' }, points: 50 },
  { id: 'calc', when: { type: 'track', name: 'calc*' }, points: 5, cooldownMinutes: 10 },
  { id: 'analytics', when: { topic: 'analytics' }, points: 4, maxPoints: 16 },
  { id: 'click', when: { type: 'cta_click' }, points: 3 },
];
export const FIT: Fit = [
  { id: 'senior', trait: 'title', match: { anyWord: ['vp', 'director', 'head'] }, points: 15 },
  { id: 'work-email', trait: 'emailDomain', match: { in: ['acme.io', 'globex.com'] }, points: 10 },
  { id: 'big', trait: 'companySize', match: { gte: 50 }, points: 10 },
  { id: 'student', trait: 'title', match: { anyWord: ['student'] }, points: -25 },
];
const with_ = (rules: Behavior, id: string, change: Partial<Behavior[number]>): Behavior => rules.map((r) => (r.id === id ? { ...r, ...change } : r));

/** The site at config `variant` (0: the base), alerting `${receiver}/hooks/${hook}`. */
export function siteConfig(receiver: string, hook: string, secret: string, variant: number): SiteConfigInput {
  const base: SiteConfigInput = {
    allowedOrigins: ['*'],
    exposeScore: true,
    rateLimits: { visitorBurst: 100_000 },
    scoring: { halfLifeDays: 0, behavior: BEHAVIOR, fit: FIT },
    stages: { mql: { score: 40, fit: 10 }, sql: { score: 100, fit: 0 } },
    webhooks: [{ id: 'crm', url: `${receiver}/hooks/${hook}`, secret, events: ['lead.stage_changed', 'lead.demo_requested', 'lead.verdict'] }],
    delivery: { retryScheduleSeconds: [0.05, 0.1], timeoutMs: 10_000 },
  };
  const variants: Partial<SiteConfigInput>[] = [
    {},
    // More points for pages, lower thresholds (existing leads may pass them).
    { scoring: { halfLifeDays: 0, behavior: with_(BEHAVIOR, 'page', { points: 5 }), fit: FIT }, stages: { mql: { score: 25, fit: 0 }, sql: { score: 80, fit: 10 } } },
    // Demo requests worth less, careers pages worse, seniority worth less, SQL easier.
    {
      scoring: { halfLifeDays: 0, behavior: with_(with_(BEHAVIOR, 'demo', { points: 30 }), 'careers', { points: -40 }), fit: FIT.map((f) => (f.id === 'senior' ? { ...f, points: 5 } : f)) },
      stages: { mql: { score: 40, fit: 10 }, sql: { score: 70, fit: 0 } },
    },
    // Harder thresholds, more points for pricing, the calculator rule removed (its counts come back if it returns).
    { scoring: { halfLifeDays: 0, behavior: with_(BEHAVIOR, 'pricing', { points: 20 }).filter((r) => r.id !== 'calc'), fit: FIT }, stages: { mql: { score: 60, fit: 20 }, sql: { score: 200, fit: 20 } } },
    // A rule that matches other pages from now on, a new topic rule, page views capped higher.
    // (Cooldown lengths never change here: a rule's counted cells are kept in the cells of the cooldown they were counted under.)
    {
      scoring: { halfLifeDays: 0, behavior: [...with_(with_(BEHAVIOR, 'blog', { when: { type: 'page_view', path: '/docs/**' } }), 'page', { maxPoints: 20 }), { id: 'security', when: { topic: 'security' }, points: 6 }], fit: FIT },
    },
  ];
  return { ...base, ...variants[variant] };
}
export const VARIANTS = 5;

// ---- generated events ------------------------------------------------------------------------------

export type EventSpec = { type: RefEvent['type']; path: string; steps: number; topics: readonly string[]; traits?: RefTraits; name?: string };

const topicsArb = fc.subarray(['analytics', 'pricing', 'security'], { maxLength: 2 });
/** How far back the event was captured, in steps of 7 minutes: mostly now, often out of order. */
export const stepsArb = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 10 }) });
const traitFields = {
  name: fc.constantFrom('Ana Lima', 'Bo Chen'),
  company: fc.constantFrom('Acme', 'Globex'),
  title: fc.constantFrom('VP Marketing', 'Director of Ops', 'Head of Growth', 'Student', 'Engineer'),
  companySize: fc.constantFrom<number | string>(10, 500, '51-200', '1,000+'),
};
/** Traits without an email (an identify that names no identifier: it links nothing). */
export const plainTraitsArb: fc.Arbitrary<RefTraits> = fc.record(traitFields, { requiredKeys: [] });
export const traitsArb: fc.Arbitrary<RefTraits> = fc.record({ email: fc.constantFrom('ana@acme.io', 'bo@globex.com', 'cy@gmail.com'), ...traitFields }, { requiredKeys: [] });

/** One event; `traits`: what an identify among them may carry. */
export function eventArbWith(traits: fc.Arbitrary<RefTraits>): fc.Arbitrary<EventSpec> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ type: fc.constant('page_view' as const), path: fc.constantFrom('/', '/pricing', '/blog/intro', '/blog/2024/launch', '/docs/setup', '/docs/api/keys', '/careers'), steps: stepsArb, topics: topicsArb }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('identify' as const), path: fc.constant('/signup'), steps: stepsArb, topics: fc.constant([]), traits }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('download' as const), path: fc.constantFrom('/ebook', '/docs/whitepaper'), steps: stepsArb, topics: topicsArb }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('webinar_signup' as const), path: fc.constant('/webinar'), steps: stepsArb, topics: topicsArb }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('demo_request' as const), path: fc.constant('/demo'), steps: stepsArb, topics: fc.constant([]) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('track' as const), path: fc.constant('/tools'), steps: stepsArb, topics: fc.constant([]), name: fc.constantFrom('calculator_used', 'calc', 'roi_calc', 'pricing_toggle') }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('cta_click' as const), path: fc.constant('/'), steps: stepsArb, topics: fc.constant([]) }) },
  );
}
export const eventArb = eventArbWith(traitsArb);
export const eventsArb = fc.array(eventArb, { minLength: 1, maxLength: 5 });

export const specText = (s: EventSpec) =>
  `${s.type}${s.type === 'page_view' || s.type === 'download' ? ` ${s.path}` : ''}${s.name ? ` ${s.name}` : ''}${s.traits ? ` ${JSON.stringify(s.traits)}` : ''}${s.topics.length ? ` #${s.topics.join('#')}` : ''}${s.steps ? ` -${s.steps * STEP_MINUTES}m` : ''}`;

/** Events with ids from `ids` (`e0`, `e1`, …), captured `steps` before `now`. */
export function materialize(specs: EventSpec[], ids: { nextId: number }, now: number): RefEvent[] {
  return specs.map((s) => ({
    id: `e${ids.nextId++}`,
    type: s.type,
    ts: now - s.steps * STEP_MINUTES * MINUTE,
    path: s.path,
    ...(s.topics.length ? { topics: [...s.topics] } : {}),
    ...(s.traits ? { traits: s.traits } : {}),
    ...(s.name ? { name: s.name } : {}),
    ...(s.type === 'cta_click' ? { ctaId: 'read-blog' } : {}),
  }));
}

/** The events as the SDK puts them on the wire. */
export const onTheWire = (events: RefEvent[]) => events.map(({ path, ...e }) => ({ ...e, url: `http://localhost:8787${path}` }));

/** A profile from the admin API, as the model's view (times apart: they are the Worker's clock). */
export function profileAsView(b: any): Omit<RefView, 'firstSeen' | 'lastSeen'> {
  return {
    stage: b.stage,
    eventCount: b.eventCount,
    counts: b.counts,
    traits: b.traits,
    topics: b.topics,
    score: { total: b.score.total, behavior: b.score.behavior, fit: b.score.fit, breakdown: b.score.breakdown.map((l: any) => ({ rule: l.rule, kind: l.kind, points: l.points, ...(l.kind === 'behavior' ? { count: l.count } : {}) })) },
    stageHistory: b.stageHistory.map((t: any) => ({ from: t.from, to: t.to, score: t.score, fit: t.fit, trigger: t.trigger.type === 'verdict' || t.trigger.type === 'restage' ? { type: t.trigger.type } : { type: t.trigger.type, id: t.trigger.id } })),
    timeline: b.timeline.map((e: any) => e.id),
  };
}

export const sorted = (a: readonly string[]) => [...a].sort();

/** Whether every key of `part` is in `whole`, as many times as it occurs. */
export function withinMultiset(part: readonly string[], whole: readonly string[]): boolean {
  const left = new Map<string, number>();
  for (const k of whole) left.set(k, (left.get(k) ?? 0) + 1);
  return part.every((k) => {
    const n = left.get(k) ?? 0;
    left.set(k, n - 1);
    return n > 0;
  });
}
