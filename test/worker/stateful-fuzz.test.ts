/**
 * Stateful fuzzing: fast-check generates sequences of what happens to one visitor (beacons,
 * re-sent beacons, out-of-order timestamps, alarms, storage faults, sales verdicts, erasure,
 * config changes) and runs each against the real Worker and against a reference model written
 * from the documentation (test/helpers/reference-visitor.ts). After every command, the beacon's
 * answer and the visitor's profile must be what the model says; at the end of a sequence, the
 * webhook receiver and the leads index must agree with it too.
 *
 * Times: events are stamped `now - k * 7 minutes`. Cooldowns (10, 30, 60 minutes) are not
 * multiples of 7, so the few milliseconds between the test's clock and the Worker's never decide
 * whether an event is inside a cooldown. Commands whose outcome depends on "before or after"
 * (erasure, recycle) leave a few milliseconds on each side.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, inject, it } from 'vitest';
import type { VisitorObject } from '../../worker/objects/visitor-object';
import { visitorStub } from '../../worker/routes/stubs';
import type { SiteConfigInput } from '../../worker/schema/config';
import { uid } from '../helpers/factories';
// @ts-expect-error plain ESM helper without types
import { TEST_WEBHOOK_SECRET } from '../helpers/recording-receiver.mjs';
import { ReferenceVisitor, type RefEvent, type RefTraits, type RefVerdictInput } from '../helpers/reference-visitor';
import { api, collect, eventually, profile } from './helpers';

const SEED = Date.now() % 2 ** 31;
/** Sequences per run and commands per sequence: about 300 commands, 11 s in workerd here (20 s while other suites run). */
const RUNS = 40;
const MAX_COMMANDS = 15;
const MINUTE = 60_000;
const STEP_MINUTES = 7;
const rx = inject('receiverUrl');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the site: a small config and the variants a marketer saves over it -------------------------

type Behavior = NonNullable<NonNullable<SiteConfigInput['scoring']>['behavior']>;
type Fit = NonNullable<NonNullable<SiteConfigInput['scoring']>['fit']>;

const BEHAVIOR: Behavior = [
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
const FIT: Fit = [
  { id: 'senior', trait: 'title', match: { anyWord: ['vp', 'director', 'head'] }, points: 15 },
  { id: 'work-email', trait: 'emailDomain', match: { in: ['acme.io', 'globex.com'] }, points: 10 },
  { id: 'big', trait: 'companySize', match: { gte: 50 }, points: 10 },
  { id: 'student', trait: 'title', match: { anyWord: ['student'] }, points: -25 },
];
const with_ = (rules: Behavior, id: string, change: Partial<Behavior[number]>): Behavior => rules.map((r) => (r.id === id ? { ...r, ...change } : r));

function siteConfig(hook: string, variant: number): SiteConfigInput {
  const base: SiteConfigInput = {
    allowedOrigins: ['*'],
    exposeScore: true,
    rateLimits: { visitorBurst: 100_000 },
    scoring: { halfLifeDays: 0, behavior: BEHAVIOR, fit: FIT },
    stages: { mql: { score: 40, fit: 10 }, sql: { score: 100, fit: 0 } },
    webhooks: [{ id: 'crm', url: `${rx}/hooks/${hook}`, secret: TEST_WEBHOOK_SECRET, events: ['lead.stage_changed', 'lead.demo_requested', 'lead.verdict'] }],
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
const VARIANTS = 5;

// ---- generated events ------------------------------------------------------------------------------

type EventSpec = { type: RefEvent['type']; path: string; steps: number; topics: readonly string[]; traits?: RefTraits; name?: string };

const topicsArb = fc.subarray(['analytics', 'pricing', 'security'], { maxLength: 2 });
/** How far back the event was captured, in steps of 7 minutes: mostly now, often out of order. */
const stepsArb = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 10 }) });
const traitsArb: fc.Arbitrary<RefTraits> = fc.record(
  {
    email: fc.constantFrom('ana@acme.io', 'bo@globex.com', 'cy@gmail.com'),
    name: fc.constantFrom('Ana Lima', 'Bo Chen'),
    company: fc.constantFrom('Acme', 'Globex'),
    title: fc.constantFrom('VP Marketing', 'Director of Ops', 'Head of Growth', 'Student', 'Engineer'),
    companySize: fc.constantFrom<number | string>(10, 500, '51-200', '1,000+'),
  },
  { requiredKeys: [] },
);
const eventArb: fc.Arbitrary<EventSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('page_view' as const), path: fc.constantFrom('/', '/pricing', '/blog/intro', '/blog/2024/launch', '/docs/setup', '/docs/api/keys', '/careers'), steps: stepsArb, topics: topicsArb }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('identify' as const), path: fc.constant('/signup'), steps: stepsArb, topics: fc.constant([]), traits: traitsArb }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('download' as const), path: fc.constantFrom('/ebook', '/docs/whitepaper'), steps: stepsArb, topics: topicsArb }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('webinar_signup' as const), path: fc.constant('/webinar'), steps: stepsArb, topics: topicsArb }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('demo_request' as const), path: fc.constant('/demo'), steps: stepsArb, topics: fc.constant([]) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('track' as const), path: fc.constant('/tools'), steps: stepsArb, topics: fc.constant([]), name: fc.constantFrom('calculator_used', 'calc', 'roi_calc', 'pricing_toggle') }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('cta_click' as const), path: fc.constant('/'), steps: stepsArb, topics: fc.constant([]) }) },
);
const eventsArb = fc.array(eventArb, { minLength: 1, maxLength: 5 });

const specText = (s: EventSpec) =>
  `${s.type}${s.type === 'page_view' || s.type === 'download' ? ` ${s.path}` : ''}${s.name ? ` ${s.name}` : ''}${s.traits ? ` ${JSON.stringify(s.traits)}` : ''}${s.topics.length ? ` #${s.topics.join('#')}` : ''}${s.steps ? ` -${s.steps * STEP_MINUTES}m` : ''}`;

// ---- the two sides ---------------------------------------------------------------------------------

type Model = {
  ref: ReferenceVisitor;
  /** Every beacon's events as sent (re-sends pick from here). */
  beacons: RefEvent[][];
  nextId: number;
  hook: string;
  config: SiteConfigInput;
  /** The Worker's time of the verdict in force (its clock, not the model's). */
  lastVerdictAt?: number;
  lastVerdict?: RefVerdictInput;
};
type Real = { site: string; aid: string; stub: DurableObjectStub<VisitorObject>; erased: boolean };

/** Totals over the whole run, so a run that never reached a fault says so. */
const tally = { sequences: 0, commands: 0, profiles: 0, midTransactionFaults: 0, afterCommitFaults: 0, erasures: 0, restages: 0, verdicts: 0, resends: 0 };

function materialize(specs: EventSpec[], m: Model, now: number): RefEvent[] {
  return specs.map((s) => ({
    id: `e${m.nextId++}`,
    type: s.type,
    ts: now - s.steps * STEP_MINUTES * MINUTE,
    path: s.path,
    ...(s.topics.length ? { topics: [...s.topics] } : {}),
    ...(s.traits ? { traits: s.traits } : {}),
    ...(s.name ? { name: s.name } : {}),
    ...(s.type === 'cta_click' ? { ctaId: 'read-blog' } : {}),
  }));
}

/** The beacon as the SDK sends it: the events as captured, stamped with the time of this attempt. */
function send(r: Real, events: RefEvent[]) {
  const wire = events.map(({ path, ...e }) => ({ ...e, url: `http://localhost:8787${path}` }));
  return collect({ site: r.site, anonymousId: r.aid, sessionId: 's-1', sentAt: Date.now(), events: wire });
}

function expectAnswer(res: { status: number; body: any }, want: ReturnType<ReferenceVisitor['beacon']>) {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const b = res.body;
  expect({ stage: b.visitor.stage, score: b.visitor.score, accepted: b.accepted, duplicates: b.duplicates, tracked: b.tracked, erased: b.erased }, 'the beacon answer').toEqual({ ...want, erased: want.erased });
}

/** The profile, as the admin API shows it, against the model's view. */
async function expectProfile(m: Model, r: Real) {
  tally.profiles += 1;
  const p = await profile(r.site, r.aid);
  const want = m.ref.view();
  if (!want) {
    expect(p.status, 'no visitor: the profile is 404').toBe(404);
    expect(p.body.error.code).toBe('unknown_visitor');
    return;
  }
  expect(p.status, JSON.stringify(p.body)).toBe(200);
  const b = p.body;
  const got = {
    stage: b.stage,
    eventCount: b.eventCount,
    counts: b.counts,
    traits: b.traits,
    topics: b.topics,
    score: { total: b.score.total, behavior: b.score.behavior, fit: b.score.fit, breakdown: b.score.breakdown.map((l: any) => ({ rule: l.rule, kind: l.kind, points: l.points, ...(l.kind === 'behavior' ? { count: l.count } : {}) })) },
    stageHistory: b.stageHistory.map((t: any) => ({ from: t.from, to: t.to, score: t.score, fit: t.fit, trigger: t.trigger.type === 'verdict' || t.trigger.type === 'restage' ? { type: t.trigger.type } : { type: t.trigger.type, id: t.trigger.id } })),
    timeline: b.timeline.map((e: any) => e.id),
  };
  const { firstSeen, lastSeen, ...rest } = want;
  expect(got, 'the profile').toEqual(rest);
  // Times are the Worker's clock, a few milliseconds from the test's.
  expect(Math.abs(Date.parse(b.firstSeen) - firstSeen)).toBeLessThan(5_000);
  expect(Math.abs(Date.parse(b.lastSeen) - lastSeen)).toBeLessThan(5_000);
}

const setFault = (r: Real, where: 'midTransaction' | 'afterCommit') =>
  runInDurableObject(r.stub, (instance: VisitorObject) => {
    instance.faults[where] = () => {
      throw new Error(`injected fault (${where})`);
    };
  });
const clearFaults = (r: Real) =>
  runInDurableObject(r.stub, (instance: VisitorObject) => {
    instance.faults = {};
  });

// ---- commands ------------------------------------------------------------------------------------

class Beacon implements fc.AsyncCommand<Model, Real> {
  constructor(readonly specs: EventSpec[]) {}
  check = () => true;
  async run(m: Model, r: Real) {
    tally.commands += 1;
    const events = materialize(this.specs, m, Date.now());
    m.beacons.push(events);
    const want = m.ref.beacon(events);
    expectAnswer(await send(r, events), want);
    await expectProfile(m, r);
  }
  toString = () => `beacon[${this.specs.map(specText).join(', ')}]`;
}

/** An earlier beacon sent again (the SDK retries what was not acknowledged), maybe with new events queued since. */
class Resend implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly extra: EventSpec[],
  ) {}
  check = (m: Readonly<Model>) => m.beacons.length > 0;
  async run(m: Model, r: Real) {
    tally.commands += 1;
    tally.resends += 1;
    const events = [...m.beacons[this.pick % m.beacons.length]!, ...materialize(this.extra, m, Date.now())];
    if (this.extra.length) m.beacons.push(events);
    const want = m.ref.beacon(events);
    expectAnswer(await send(r, events), want);
    await expectProfile(m, r);
  }
  toString = () => `resend(#${this.pick}${this.extra.length ? ` + ${this.extra.map(specText).join(', ')}` : ''})`;
}

/**
 * A beacon whose storage write fails: mid-transaction (nothing may change; the client's retry
 * applies it once), or after the commit (it is applied; the retry is a duplicate). A beacon that
 * needs no transaction (one statement) or plans no outbox row never reaches the fault: it is
 * then an ordinary beacon.
 */
class FaultyBeacon implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly specs: EventSpec[],
    readonly where: 'midTransaction' | 'afterCommit',
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    tally.commands += 1;
    const events = materialize(this.specs, m, Date.now());
    m.beacons.push(events);
    await setFault(r, this.where);
    const res = await send(r, events);
    await clearFaults(r);
    if (res.status === 200) {
      expectAnswer(res, m.ref.beacon(events));
      await expectProfile(m, r);
      return;
    }
    expect(res.status, `a failed write answers a 5xx: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(500);
    if (this.where === 'midTransaction') {
      tally.midTransactionFaults += 1;
      await expectProfile(m, r);
    } else {
      tally.afterCommitFaults += 1;
      m.ref.beacon(events);
      await expectProfile(m, r);
    }
    expectAnswer(await send(r, events), m.ref.beacon(events));
    await expectProfile(m, r);
  }
  toString = () => `faulty-beacon(${this.where})[${this.specs.map(specText).join(', ')}]`;
}

/** The visitor's alarm, run now (deliveries, retention): it changes nothing a user sees. */
class Alarm implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    tally.commands += 1;
    await runDurableObjectAlarm(r.stub);
    await expectProfile(m, r);
  }
  toString = () => 'alarm';
}

/** Sales' verdict; `null`: the last verdict sent, again (a double click, a retried request). */
class Verdict implements fc.AsyncCommand<Model, Real> {
  constructor(readonly given: RefVerdictInput | null) {}
  check = (m: Readonly<Model>) => this.given !== null || m.lastVerdict !== undefined;
  async run(m: Model, r: Real) {
    tally.commands += 1;
    tally.verdicts += 1;
    const input = this.given ?? m.lastVerdict!;
    m.lastVerdict = input;
    // Events captured before and after the verdict are never in its millisecond (a recycle only counts later demo requests).
    await sleep(3);
    const before = Date.now();
    const res = await api(`/v1/admin/sites/${r.site}/visitors/${r.aid}/verdict`, { method: 'POST', json: input });
    const after = Date.now();
    await sleep(3);
    const want = m.ref.verdict(input, before);
    expect(res.status, JSON.stringify(res.body)).toBe(want.status);
    if (want.status === 200) {
      expect(res.body.visitor.stage).toBe(want.stage);
      const { at, ...verdict } = res.body.verdict;
      const { at: wantAt, ...wantVerdict } = want.verdict;
      expect(verdict, 'the verdict in force').toEqual(wantVerdict);
      // A new verdict is stamped now; the same verdict again keeps the first one's time.
      if (want.unchanged) expect(at).toBe(m.lastVerdictAt);
      else {
        expect(at).toBeGreaterThanOrEqual(before);
        expect(at).toBeLessThanOrEqual(after);
        m.lastVerdictAt = at;
      }
    } else expect(res.body.error.code).toBe(want.code);
    await expectProfile(m, r);
  }
  toString = () => (this.given ? `verdict(${JSON.stringify(this.given)})` : 'verdict(again)');
}

/**
 * DELETE the visitor: afterwards its old events are refused, and later ones start a new visitor.
 * `again`: also when the visitor is already erased and nothing came since (a retried DELETE). The
 * main property leaves that case out while the bug it finds stands (see the test named after it).
 */
class Erase implements fc.AsyncCommand<Model, Real> {
  constructor(readonly again = false) {}
  check = () => true;
  async run(m: Model, r: Real) {
    tally.commands += 1;
    tally.erasures += 1;
    await sleep(3);
    const at = Date.now();
    const res = await api(`/v1/admin/sites/${r.site}/visitors/${r.aid}`, { method: 'DELETE' });
    await sleep(3);
    const want = m.ref.erase(at);
    expect(res.status, JSON.stringify(res.body)).toBe(want.status);
    if (want.status === 200) expect(res.body).toMatchObject({ erased: true });
    r.erased = true;
    await expectProfile(m, r);
  }
  toString = () => (this.again ? 'erase(again)' : 'erase');
}

/** A marketer saves another config version; a save that changes scoring or thresholds re-stages existing leads (quietly) unless told not to. */
class ConfigChange implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly variant: number,
    readonly restage: 'quiet' | 'none',
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    tally.commands += 1;
    // The pass walks the leads index: wait until the visitor's row is there (it follows each transition through the
    // outbox; after a crash after commit, through the alarm, run now rather than in 5 s).
    await runDurableObjectAlarm(r.stub);
    if (m.ref.indexed) await eventually(async () => expect(await indexedStage(r)).toBe(m.ref.currentStage), 5_000);
    const next = siteConfig(m.hook, this.variant);
    const res = await api(`/v1/admin/sites/${r.site}?restage=${this.restage}`, { method: 'PUT', json: next });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const starts = this.restage !== 'none' && ReferenceVisitor.changesStaging(m.config, next);
    m.config = next;
    m.ref.setConfig(next);
    expect(res.body.restage !== null, 'a re-staging pass started').toBe(starts);
    if (starts) {
      tally.restages += 1;
      await eventually(async () => expect((await api(`/v1/admin/sites/${r.site}/restage`)).body.restage).toMatchObject({ version: res.body.version, status: 'done' }), 10_000);
      m.ref.restage();
    }
    await expectProfile(m, r);
  }
  toString = () => `config(v${this.variant}, restage=${this.restage})`;
}

async function indexedStage(r: Real): Promise<string | null> {
  const list = await api(`/v1/admin/sites/${r.site}/visitors?limit=100`);
  return list.body.visitors.find((v: any) => v.id === r.aid)?.stage ?? null;
}

const verdictArb: fc.Arbitrary<RefVerdictInput> = fc.oneof(
  fc.record({ verdict: fc.constant('accepted' as const), reason: fc.constantFrom('great fit', 'budget approved') }, { requiredKeys: ['verdict'] }),
  fc.record({ verdict: fc.constant('rejected' as const), reason: fc.constantFrom('no budget', 'student'), action: fc.constantFrom('disqualify' as const, 'recycle' as const) }),
);

const commandsArb = fc.commands(
  [
    // Listed twice: beacons are what a visitor mostly does.
    eventsArb.map((e) => new Beacon(e)),
    eventsArb.map((e) => new Beacon(e)),
    fc.tuple(fc.nat(), fc.array(eventArb, { maxLength: 2 })).map(([pick, extra]) => new Resend(pick, extra)),
    fc.tuple(eventsArb, fc.constantFrom('midTransaction' as const, 'afterCommit' as const)).map(([e, where]) => new FaultyBeacon(e, where)),
    fc.constant(new Alarm()),
    verdictArb.map((v) => new Verdict(v)),
    fc.constant(new Verdict(null)),
    fc.constant(new Erase()),
    fc.tuple(fc.integer({ min: 0, max: VARIANTS - 1 }), fc.constantFrom('quiet' as const, 'none' as const)).map(([v, restage]) => new ConfigChange(v, restage)),
  ],
  { maxCommands: MAX_COMMANDS, size: 'max' },
);

/**
 * Alerts the receiver got for this hook, as the model's keys, one per webhook-id: delivery is at
 * least once with a stable id, and receivers de-duplicate by it (a slow answer may be retried).
 */
async function delivered(hook: string): Promise<string[]> {
  const log = (await (await fetch(`${rx}/log/${hook}`)).json()) as { deliveries: { id: string; payload: any }[] };
  const byId = new Map(log.deliveries.map((d) => [d.id, d.payload]));
  return [...byId.values()].map(({ type, data }) =>
    type === 'lead.stage_changed' ? `${type}:${data.previousStage}>${data.stage}` : type === 'lead.demo_requested' ? `${type}:${data.trigger.id}` : `${type}:${data.verdict.verdict}/${data.verdict.action ?? ''}`,
  );
}

const sorted = (a: readonly string[]) => [...a].sort();
function withinMultiset(part: readonly string[], whole: readonly string[]): boolean {
  const left = new Map<string, number>();
  for (const k of whole) left.set(k, (left.get(k) ?? 0) + 1);
  return part.every((k) => {
    const n = left.get(k) ?? 0;
    left.set(k, n - 1);
    return n > 0;
  });
}

async function runSequence(cmds: Iterable<fc.AsyncCommand<Model, Real>>) {
  tally.sequences += 1;
  const site = uid('sf').toLowerCase();
  const hook = site;
  const config = siteConfig(hook, 0);
  expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: config })).status).toBe(201);
  const aid = uid('v');
  const model: Model = { ref: new ReferenceVisitor(config), beacons: [], nextId: 0, hook, config };
  const real: Real = { site, aid, stub: visitorStub(env as never, site, aid) as DurableObjectStub<VisitorObject>, erased: false };
  await fc.asyncModelRun(() => ({ model, real }), cmds);

  // Alerts: each one the model expects, once (an erasure may drop alerts still waiting to be sent), and no other.
  await runDurableObjectAlarm(real.stub);
  await eventually(async () => {
    const got = await delivered(hook);
    if (real.erased) expect(withinMultiset(got, model.ref.alerts), `alerts ${JSON.stringify(sorted(got))} within ${JSON.stringify(sorted(model.ref.alerts))}`).toBe(true);
    else expect(sorted(got), 'alerts received').toEqual(sorted(model.ref.alerts));
  }, 5_000);
  // The leads index: the visitor's row, at its stage, once the outbox has told the site object.
  await eventually(async () => expect(await indexedStage(real), 'leads index row').toBe(model.ref.indexed ? model.ref.currentStage : null), 5_000);
}

describe(`stateful fuzzing of one visitor against a reference model (seed ${SEED})`, () => {
  it('beacons, duplicates, out-of-order events, alarms, storage faults, verdicts, erasure and config changes: no divergence', async () => {
    try {
      await fc.assert(
        fc.asyncProperty(commandsArb, (cmds) => runSequence(cmds)),
        { seed: SEED, numRuns: RUNS },
      );
    } finally {
      console.log(`stateful fuzz (seed ${SEED}): ${JSON.stringify(tally)}`);
    }
    // The run reached every kind of command that can be skipped by chance.
    expect(tally.midTransactionFaults, `seed ${SEED}`).toBeGreaterThan(0);
    expect(tally.afterCommitFaults, `seed ${SEED}`).toBeGreaterThan(0);
    expect(tally.erasures, `seed ${SEED}`).toBeGreaterThan(0);
    expect(tally.restages, `seed ${SEED}`).toBeGreaterThan(0);
  }, 600_000);

  // Found by this suite (seed 1196947873, shrunk to these four commands): a second DELETE of an
  // erased visitor answered 404 but deleted the tombstone the first one left, so the browser's old
  // queue, re-sent, brought the erased visitor back. VisitorObject.erase now keeps it.
  it('erasing an erased visitor again keeps it erased, so its old queue cannot bring it back', async () => {
    await runSequence([new Beacon([{ type: 'page_view', path: '/', steps: 0, topics: [] }]), new Erase(), new Erase(true), new Resend(0, [])]);
  });
});
