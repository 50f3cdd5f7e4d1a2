/**
 * Stateful fuzzing: fast-check generates sequences of what happens to one visitor (beacons,
 * re-sent beacons, out-of-order timestamps, alarms, storage faults, sales verdicts, erasure,
 * config changes) and runs each against the real Worker and against a reference model written
 * from the documentation (test/helpers/reference-visitor.ts). After every command, the beacon's
 * answer and the visitor's profile must be what the model says; at the end of a sequence, the
 * webhook receiver and the leads index must agree with it too.
 *
 * Events are stamped in steps of 7 minutes (test/helpers/stateful-fuzz-kit.ts says why). Commands
 * whose outcome depends on "before or after" (erasure, recycle) leave a few milliseconds on each side.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, inject, it } from 'vitest';
import type { VisitorObject } from '../../worker/objects/visitor-object';
import { visitorStub } from '../../worker/routes/stubs';
import type { SiteConfigInput } from '../../worker/schema/config';
import { uid } from '../helpers/factories';
import { eventArb, eventsArb, materialize, onTheWire, profileAsView, siteConfig as siteConfigFor, sleep, sorted, specText, VARIANTS, withinMultiset, type EventSpec } from '../helpers/stateful-fuzz-kit';
// @ts-expect-error plain ESM helper without types
import { TEST_WEBHOOK_SECRET } from '../helpers/recording-receiver.mjs';
import { ReferenceVisitor, type RefEvent, type RefVerdictInput } from '../helpers/reference-visitor';
import { api, collect, eventually, profile } from './helpers';

const SEED = Date.now() % 2 ** 31;
/** Sequences per run and commands per sequence: about 300 commands, 11 s in workerd here (20 s while other suites run). */
const RUNS = 40;
const MAX_COMMANDS = 15;
const rx = inject('receiverUrl');
const siteConfig = (hook: string, variant: number) => siteConfigFor(rx, hook, TEST_WEBHOOK_SECRET, variant);

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

/** The beacon as the SDK sends it: the events as captured, stamped with the time of this attempt. */
function send(r: Real, events: RefEvent[]) {
  return collect({ site: r.site, anonymousId: r.aid, sessionId: 's-1', sentAt: Date.now(), events: onTheWire(events) });
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
  const got = profileAsView(b);
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
