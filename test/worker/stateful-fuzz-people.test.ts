/**
 * Stateful fuzzing of people: fast-check generates what happens to three browsers of one site
 * that share one email address (beacons with and without the SDK's person hint, identifies naming
 * the email, landings through an email link token, re-sent beacons, splits, sales verdicts,
 * erasure of a browser or by email) and runs it against the real Worker and against the reference
 * model (test/helpers/reference-people.ts, built on the one-visitor model). After every command,
 * each browser's beacon answer, each browser's profile and the person's must be what the model
 * says; at the end of a sequence, the leads index and the webhook receiver too.
 */
import { env, runDurableObjectAlarm } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, inject, it } from 'vitest';
import { visitorStub } from '../../worker/routes/stubs';
import type { SiteConfigInput } from '../../worker/schema/config';
import { uid } from '../helpers/factories';
// @ts-expect-error plain ESM helper without types
import { TEST_WEBHOOK_SECRET } from '../helpers/recording-receiver.mjs';
import { ReferencePeople, type RefPeopleBeacon } from '../helpers/reference-people';
import type { RefEvent, RefTraits, RefVerdictInput } from '../helpers/reference-visitor';
import { eventArbWith, materialize, onTheWire, plainTraitsArb, profileAsView, siteConfig, sleep, sorted, specText, stepsArb, withinMultiset, type EventSpec } from '../helpers/stateful-fuzz-kit';
import { api, collect, eventually } from './helpers';

const SEED = Date.now() % 2 ** 31;
/** Sequences per run and commands per sequence: about 300 commands, 20 s in workerd here (60 ms a command). */
const RUNS = 35;
const MAX_COMMANDS = 20;
const BROWSERS = 3;
const EMAIL = 'ana@acme.io';
const ORIGIN = { origin: 'https://acme.example' };
const rx = inject('receiverUrl');
const ALL = Array.from({ length: BROWSERS }, (_, i) => i);

// ---- the two sides ---------------------------------------------------------------------------------

type Hint = 'none' | 'told' | 'stale';
type Model = {
  ref: ReferencePeople;
  /** Every beacon's events as sent, with its browser (re-sends pick from here). */
  beacons: { browser: number; events: RefEvent[] }[];
  nextId: number;
};
type Real = {
  site: string;
  aids: string[];
  /** The person id each browser was last told (`person` in the answer), and the last it was ever told. */
  told: (string | undefined)[];
  stale: (string | undefined)[];
  /** The Worker's id of each person the model names (P1, P2, …). */
  personIds: Map<string, string>;
  token?: string;
};

let firstFailure = false;
const tally = { sequences: 0, commands: 0, persons: 0, verifiedParts: 0, splits: 0, verdicts: 0, browserErasures: 0, emailErasures: 0, resends: 0, hinted: 0 };

function realPerson(r: Real, name: string | null | undefined): string | undefined {
  return name ? r.personIds.get(name) : undefined;
}

async function send(r: Real, i: number, events: RefEvent[], hint: Hint, token?: string) {
  const person = hint === 'told' ? r.told[i] : hint === 'stale' ? r.stale[i] : undefined;
  if (person) tally.hinted += 1;
  const res = await collect({ site: r.site, anonymousId: r.aids[i], ...(person ? { person } : {}), ...(token ? { linkToken: token } : {}), sessionId: `s-${i}`, sentAt: Date.now(), events: onTheWire(events) }, ORIGIN);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  r.told[i] = res.body.person;
  if (res.body.person) r.stale[i] = res.body.person;
  return res.body;
}

/** The answer against the model's; learns the Worker's id of a person the model just made. */
function expectAnswer(r: Real, body: any, want: RefPeopleBeacon) {
  if (want.person && !r.personIds.has(want.person)) {
    expect(body.person, 'a new person\'s id').toMatch(/^p~[0-9a-f]{32}$/);
    expect([...r.personIds.values()], 'a new person has a new id').not.toContain(body.person);
    r.personIds.set(want.person, body.person);
    tally.persons += 1;
  }
  const { person, ...rest } = want;
  expect({ stage: body.visitor.stage, score: body.visitor.score, accepted: body.accepted, duplicates: body.duplicates, tracked: body.tracked, erased: body.erased, person: body.person }, 'the beacon answer').toEqual({
    ...rest,
    erased: rest.erased,
    person: realPerson(r, person),
  });
}

/** These browsers' profiles (all by default), and the person's, against the model. */
async function expectProfiles(m: Model, r: Real, which: readonly number[] = ALL) {
  const personName = m.ref.personName;
  const personId = realPerson(r, personName);
  for (const i of which) {
    const want = m.ref.browserView(i);
    const res = await api(`/v1/admin/sites/${r.site}/visitors/${r.aids[i]}`);
    if (want === null) {
      expect(res.status, `browser ${i}: no visitor, 404: ${JSON.stringify(res.body)}`).toBe(404);
      continue;
    }
    expect(res.status, `browser ${i}: ${JSON.stringify(res.body)}`).toBe(200);
    if (want === 'linked') {
      expect(res.body.personId, `browser ${i} is its person's`).toBe(personId);
      continue;
    }
    expect(res.body.personId, `browser ${i} is on its own`).toBeUndefined();
    const { firstSeen: _f, lastSeen: _l, ...view } = want;
    expect(profileAsView(res.body), `browser ${i}'s profile`).toEqual(view);
  }
  const last = m.ref.lastPersonName;
  if (!last) return;
  const res = await api(`/v1/admin/sites/${r.site}/people/${realPerson(r, last)}`);
  const want = m.ref.personView();
  if (!want || last !== personName) {
    expect(res.status, `${last} was erased: ${JSON.stringify(res.body)}`).toBe(404);
    return;
  }
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const b = res.body;
  const { browsers, timelineBrowsers, ...view } = want;
  expect(b.personId).toBe(personId);
  expect(profileAsView(b), 'the person\'s profile').toEqual(view);
  expect(b.timeline.map((e: any) => e.browser), 'each timeline entry names its browser').toEqual(timelineBrowsers);
  expect(b.person.browserCount).toBe(browsers.length);
  expect(b.person.browsers.map((x: any) => ({ anonymousId: x.anonymousId, linkedBy: x.linkedBy, verified: x.verified, stage: x.stage, eventCount: x.eventCount })), 'the person\'s browsers').toEqual(browsers);
}

// ---- commands ------------------------------------------------------------------------------------

const browserArb = fc.integer({ min: 0, max: BROWSERS - 1 });
const hintArb = fc.constantFrom<Hint>('none', 'told', 'told', 'stale');
/** Random events: an identify among them names no email (linking is the Identify command's). */
const eventArb = eventArbWith(plainTraitsArb);
const eventsArb = fc.array(eventArb, { minLength: 1, maxLength: 4 });

abstract class Command implements fc.AsyncCommand<Model, Real> {
  check(_m: Readonly<Model>) {
    return true;
  }
  abstract run(m: Model, r: Real): Promise<void>;
  abstract toString(): string;
}

/** Browser `i` sends events, maybe with the email (an identify: a claim) or a link token (verified). */
class Beacon extends Command {
  constructor(
    readonly i: number,
    readonly specs: EventSpec[],
    readonly hint: Hint,
    readonly via: 'events' | 'identify' | 'token',
  ) {
    super();
  }
  async run(m: Model, r: Real) {
    tally.commands += 1;
    const events = materialize(this.specs, m, Date.now());
    m.beacons.push({ browser: this.i, events });
    let token: string | undefined;
    if (this.via === 'token') {
      if (!r.token) {
        const res = await api(`/v1/admin/sites/${r.site}/link-tokens`, { method: 'POST', json: { email: EMAIL, ttlDays: 7 } });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        r.token = res.body.token as string;
      }
      token = r.token;
      tally.verifiedParts += 1;
    }
    const want = m.ref.beacon(this.i, events, this.via === 'token');
    expectAnswer(r, await send(r, this.i, events, this.hint, token), want);
    // Naming the email may make another browser a person's.
    await expectProfiles(m, r, this.via === 'events' ? [this.i] : ALL);
  }
  toString = () => `${this.via === 'events' ? 'beacon' : this.via}(b${this.i}, hint ${this.hint})[${this.specs.map(specText).join(', ')}]`;
}

/** An earlier beacon of browser `i` sent again (the SDK retries what was not acknowledged), maybe with new events. */
class Resend extends Command {
  constructor(
    readonly i: number,
    readonly pick: number,
    readonly extra: EventSpec[],
    readonly hint: Hint,
  ) {
    super();
  }
  override check = (m: Readonly<Model>) => m.beacons.some((b) => b.browser === this.i);
  async run(m: Model, r: Real) {
    tally.commands += 1;
    tally.resends += 1;
    const mine = m.beacons.filter((b) => b.browser === this.i);
    const events = [...mine[this.pick % mine.length]!.events, ...materialize(this.extra, m, Date.now())];
    if (this.extra.length) m.beacons.push({ browser: this.i, events });
    const want = m.ref.beacon(this.i, events);
    expectAnswer(r, await send(r, this.i, events, this.hint), want);
    await expectProfiles(m, r, [this.i]);
  }
  toString = () => `resend(b${this.i}, #${this.pick}, hint ${this.hint}${this.extra.length ? ` + ${this.extra.map(specText).join(', ')}` : ''})`;
}

/** POST …/people/:id/split: browser `i` leaves the (last) person. */
class Split extends Command {
  constructor(readonly i: number) {
    super();
  }
  override check = (m: Readonly<Model>) => m.ref.lastPersonName !== null;
  async run(m: Model, r: Real) {
    tally.commands += 1;
    const id = realPerson(r, m.ref.lastPersonName)!;
    const want = m.ref.split(this.i);
    const res = await api(`/v1/admin/sites/${r.site}/people/${id}/split`, { method: 'POST', json: { anonymousId: r.aids[this.i] } });
    expect(res.status, JSON.stringify(res.body)).toBe(want.status);
    if (want.status === 200) {
      tally.splits += 1;
      expect(res.body.score, 'the split\'s scores').toEqual(want.score);
    } else expect(res.body.error.code).toBe(want.code);
    await expectProfiles(m, r, [this.i]);
  }
  toString = () => `split(b${this.i})`;
}

/** Sales' verdict on browser `i` (its person's, if linked). */
class Verdict extends Command {
  constructor(
    readonly i: number,
    readonly input: RefVerdictInput,
  ) {
    super();
  }
  async run(m: Model, r: Real) {
    tally.commands += 1;
    tally.verdicts += 1;
    // Events captured before and after the verdict are never in its millisecond (a recycle only counts later demo requests).
    await sleep(3);
    const before = Date.now();
    const res = await api(`/v1/admin/sites/${r.site}/visitors/${r.aids[this.i]}/verdict`, { method: 'POST', json: this.input });
    const after = Date.now();
    await sleep(3);
    const want = m.ref.verdict(this.i, this.input, before);
    expect(res.status, JSON.stringify(res.body)).toBe(want.status);
    if (want.status === 200) {
      expect(res.body.visitor.stage).toBe(want.stage);
      const { at, ...verdict } = res.body.verdict;
      const { at: _at, ...wantVerdict } = want.verdict;
      expect(verdict, 'the verdict in force').toEqual(wantVerdict);
      expect(at).toBeLessThanOrEqual(after);
    } else expect(res.body.error.code).toBe(want.code);
    await expectProfiles(m, r, [this.i]);
  }
  toString = () => `verdict(b${this.i}, ${JSON.stringify(this.input)})`;
}

/** DELETE …/visitors/:aid: a linked browser leaves its person first. */
class EraseBrowser extends Command {
  constructor(readonly i: number) {
    super();
  }
  async run(m: Model, r: Real) {
    tally.commands += 1;
    tally.browserErasures += 1;
    await sleep(3);
    const at = Date.now();
    const res = await api(`/v1/admin/sites/${r.site}/visitors/${r.aids[this.i]}`, { method: 'DELETE' });
    await sleep(3);
    const want = m.ref.eraseBrowser(this.i, at);
    expect(res.status, JSON.stringify(res.body)).toBe(want.status);
    await expectProfiles(m, r, [this.i]);
  }
  toString = () => `erase(b${this.i})`;
}

/** DELETE …/people?email=: the email's person with every browser of it (or the lone browser that owns it). */
class EraseByEmail extends Command {
  async run(m: Model, r: Real) {
    tally.commands += 1;
    tally.emailErasures += 1;
    await sleep(3);
    const at = Date.now();
    const res = await api(`/v1/admin/sites/${r.site}/people?email=${encodeURIComponent(EMAIL)}`, { method: 'DELETE' });
    await sleep(3);
    const want = m.ref.eraseByEmail(at);
    expect(res.status, JSON.stringify(res.body)).toBe(want.status);
    await expectProfiles(m, r);
  }
  toString = () => 'erase-by-email';
}

/** The email as a page might send it (identifiers are trimmed and lower-cased). */
const emailTraitsArb: fc.Arbitrary<RefTraits> = fc.tuple(fc.constantFrom(EMAIL, 'Ana@Acme.io'), plainTraitsArb).map(([email, t]) => ({ ...t, email }));
const identifyArb: fc.Arbitrary<EventSpec> = fc.record({ type: fc.constant('identify' as const), path: fc.constant('/signup'), steps: stepsArb, topics: fc.constant([]), traits: emailTraitsArb });
const verdictArb: fc.Arbitrary<RefVerdictInput> = fc.oneof(
  fc.record({ verdict: fc.constant('accepted' as const), reason: fc.constantFrom('great fit', 'budget approved') }, { requiredKeys: ['verdict'] }),
  fc.record({ verdict: fc.constant('rejected' as const), reason: fc.constantFrom('no budget', 'student'), action: fc.constantFrom('disqualify' as const, 'recycle' as const) }),
);

const commandsArb = fc.commands(
  [
    fc.tuple(browserArb, eventsArb, hintArb).map(([i, e, h]) => new Beacon(i, e, h, 'events')),
    fc.tuple(browserArb, eventsArb, hintArb).map(([i, e, h]) => new Beacon(i, e, h, 'events')),
    fc.tuple(browserArb, fc.tuple(identifyArb, fc.array(eventArb, { maxLength: 3 })), hintArb).map(([i, [id, rest], h]) => new Beacon(i, [...rest, id], h, 'identify')),
    fc.tuple(browserArb, fc.tuple(identifyArb, fc.array(eventArb, { maxLength: 3 })), hintArb).map(([i, [id, rest], h]) => new Beacon(i, [id, ...rest], h, 'identify')),
    fc.tuple(browserArb, fc.tuple(identifyArb, fc.array(eventArb, { maxLength: 3 })), hintArb).map(([i, [id, rest], h]) => new Beacon(i, [id, ...rest], h, 'identify')),
    fc.tuple(browserArb, eventsArb, hintArb).map(([i, e, h]) => new Beacon(i, e, h, 'token')),
    fc.tuple(browserArb, fc.nat(), fc.array(eventArb, { maxLength: 2 }), hintArb).map(([i, pick, extra, h]) => new Resend(i, pick, extra, h)),
    browserArb.map((i) => new Split(i)),
    fc.tuple(browserArb, verdictArb).map(([i, v]) => new Verdict(i, v)),
    browserArb.map((i) => new Split(i)),
    // Erasures end what the others build: one entry for both.
    fc.oneof(browserArb.map((i): Command => new EraseBrowser(i)), fc.constant(new EraseByEmail())),
  ],
  { maxCommands: MAX_COMMANDS, size: 'max' },
);

// ---- after a sequence ------------------------------------------------------------------------------

/** Alerts the receiver got, per lead (a person's model name, or a lone browser's id), one per webhook-id. */
async function delivered(hook: string, r: Real): Promise<Map<string, string[]>> {
  const log = (await (await fetch(`${rx}/log/${hook}`)).json()) as { deliveries: { id: string; payload: any }[] };
  const names = new Map([...r.personIds].map(([name, id]) => [id, name]));
  const byLead = new Map<string, string[]>();
  for (const { type, data } of new Map(log.deliveries.map((d) => [d.id, d.payload])).values()) {
    const key =
      type === 'lead.stage_changed' ? `${type}:${data.previousStage}>${data.stage}`
      : type === 'lead.mql' ? `${type}:${data.previousStage}`
      : type === 'lead.demo_requested' ? `${type}:${data.trigger.id}`
      : type === 'lead.merged' ? `${type}:${data.merge.browser}/${data.merge.linkedBy}/${data.merge.verified}/${data.merge.scoreBefore}>${data.merge.scoreAfter}`
      : `${type}:${data.verdict.verdict}/${data.verdict.action ?? ''}`;
    const lead = data.person ? names.get(data.person.id) ?? data.person.id : data.visitor.id;
    byLead.set(lead, [...(byLead.get(lead) ?? []), key]);
  }
  return byLead;
}

async function leadRows(r: Real) {
  const names = new Map([...r.personIds].map(([name, id]) => [id, name]));
  const rows = (await api(`/v1/admin/sites/${r.site}/visitors?limit=100`)).body.visitors as any[];
  return rows.map((row) => ({ id: names.get(row.id) ?? row.id, stage: row.stage, ...(row.personId ? { person: names.get(row.personId) ?? row.personId, browsers: row.browsers } : {}) }));
}

const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));

async function runSequence(cmds: Iterable<fc.AsyncCommand<Model, Real>>) {
  tally.sequences += 1;
  const site = uid('sfp').toLowerCase();
  const hook = site;
  const base = siteConfig(rx, hook, TEST_WEBHOOK_SECRET, 0);
  const config: SiteConfigInput = {
    ...base,
    // Re-joins after splits would otherwise meet the daily link limit (README "Guards"), which is not what this suite is about.
    identity: { linksPerDay: 1000 },
    webhooks: base.webhooks!.map((w) => ({ ...w, events: ['lead.stage_changed', 'lead.mql', 'lead.demo_requested', 'lead.verdict', 'lead.merged'] })),
  };
  expect((await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: config })).status).toBe(201);
  const aids = Array.from({ length: BROWSERS }, (_, i) => uid(`b${i}`));
  const model: Model = { ref: new ReferencePeople(config, aids, EMAIL), beacons: [], nextId: 0 };
  const real: Real = { site, aids, told: [], stale: [], personIds: new Map() };
  try {
    await fc.asyncModelRun(() => ({ model, real }), cmds);
    await expectProfiles(model, real);
  } catch (e) {
    // The first failure, before shrinking (which re-runs sequences and may outlast the test's timeout).
    if (!firstFailure) console.log(`seed ${SEED}, first failing sequence: ${String(cmds)}\n${String(e).slice(0, 2000)}`);
    firstFailure = true;
    throw e;
  }

  // The leads index: one row per person (with its browsers), one per known lone browser.
  const wantRows = model.ref.leadRows();
  await eventually(async () => expect(byId(await leadRows(real)), 'the leads index').toEqual(byId(wantRows)), 5_000);
  // Alerts: each one the model expects, once, and no other (an erased lead's may be dropped with it).
  for (const id of [...aids, ...real.personIds.values()]) await runDurableObjectAlarm(visitorStub(env as never, site, id));
  await eventually(async () => {
    const got = await delivered(hook, real);
    const want = model.ref.alerts;
    for (const lead of new Set([...got.keys(), ...want.keys()])) {
      const g = got.get(lead) ?? [];
      const w = want.get(lead) ?? [];
      if (model.ref.erasedLeads.has(lead)) expect(withinMultiset(g, w), `${lead}: alerts ${JSON.stringify(sorted(g))} within ${JSON.stringify(sorted(w))}`).toBe(true);
      else expect(sorted(g), `${lead}: alerts received`).toEqual(sorted(w));
    }
  }, 5_000);
}

describe(`stateful fuzzing of people against a reference model (seed ${SEED})`, () => {
  it('browsers beaconing, identifying, landing through link tokens, re-sending, split, judged and erased: no divergence', async () => {
    try {
      await fc.assert(
        fc.asyncProperty(commandsArb, (cmds) => runSequence(cmds)),
        { seed: SEED, numRuns: RUNS },
      );
    } finally {
      console.log(`stateful people fuzz (seed ${SEED}): ${JSON.stringify(tally)}`);
    }
    expect(tally.persons, `seed ${SEED}`).toBeGreaterThan(0);
    expect(tally.splits, `seed ${SEED}`).toBeGreaterThan(0);
  }, 600_000);
});
