/**
 * A reference model of people (README "People: one lead across browsers"), built on the one-visitor
 * model (reference-visitor.ts) and, like it, written from the documentation, not from the Worker.
 * Several browsers of one site and one email address: a browser that names the email (an identify
 * from the page: claimed) or lands through an email link token for it (verified) links to whoever
 * owns it; the first owner stays an ordinary visitor until a second browser names it.
 *
 * What the README states, and this model follows:
 * - A person's score is what one visitor with all its browsers' events would score (caps on the
 *   sum), except that a rule's cooldown counts per browser: each event's counted rules are decided
 *   by its browser's own part, then added to the person.
 * - Stages only move forward; a join that makes the person reach a stage fires that transition once,
 *   for the person (trigger `merge`); a browser's verdict is taken only by a person without one.
 * - A claimed browser is shown its own events' stage and score; a verified one is shown the person.
 * - Traits: verified browsers' identifies win field by field, the latest identify last; a claimed
 *   browser's only fill fields no browser linked before it set.
 * - Split gives the browser its part and its events back; the person keeps the others and its stage.
 * - Erasure: one linked browser leaves its person and is erased; by email, the person goes with
 *   every browser of it. Erased browsers' old events never come back.
 *
 * Scope: one email, so at most one live person (persons never merge); no userIds, no server keys.
 */
import type { SiteConfigInput } from '../../worker/schema/config';
import { oldestFirst, ReferenceVisitor, type RefApplied, type RefBeaconAnswer, type RefEvent, type RefTraits, type RefVerdictAnswer, type RefVerdictInput, type RefView } from './reference-visitor';

export type RefLinkedBy = 'claimed' | 'verified';

export type RefPart = { browser: string; linkedBy: RefLinkedBy; verified: boolean; /** Link order: earlier-linked claimed browsers' traits win. */ linkedAt: number; own: ReferenceVisitor };

/** Field by field, skipping fields `update` does not set. */
function mergeTraits(current: RefTraits, update: RefTraits): RefTraits {
  return { ...current, ...Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined)) };
}

/** When a part last identified (its latest identify's capture time), or 0. */
const traitsAt = (p: RefPart) => Math.max(0, ...p.own.events.filter((a) => a.event.type === 'identify').map((a) => a.at));

/** A person: a visitor whose events come from its parts, with its traits from theirs. */
class PersonVisitor extends ReferenceVisitor {
  parts: RefPart[] = [];

  constructor(
    config: SiteConfigInput,
    readonly name: string,
  ) {
    super(config);
    this.alertMql = true;
  }

  /** A lone browser becoming the first browser of a person: its state is the person's. */
  static promote(name: string, config: SiteConfigInput, lone: ReferenceVisitor, browser: string): PersonVisitor {
    const p = new PersonVisitor(config, name);
    p.copyFrom(lone);
    p.alertMql = true;
    for (const a of p.applied) a.browser = browser;
    return p;
  }

  /** A joining browser's events: added as they were counted, without moving the stage event by event. */
  addEvents(events: readonly RefApplied[], browser: string) {
    for (const a of events) this.applied.push({ ...structuredClone(a), browser });
  }

  /** A browser's verdict, taken by a person without one. */
  takeVerdict(from: ReferenceVisitor) {
    this.verdictNow = structuredClone(from.verdictInForce);
    this.stage = from.currentStage;
    this.recycledAt = (from as PersonVisitor).recycledAt;
  }

  alert(key: string) {
    this.expectedAlerts.push(key);
  }

  protected override traits(): RefTraits {
    let traits: RefTraits = {};
    for (const p of this.parts.filter((x) => !x.verified).sort((a, b) => a.linkedAt - b.linkedAt)) traits = mergeTraits(p.own.traitsNow(), traits);
    for (const p of this.parts.filter((x) => x.verified).sort((a, b) => traitsAt(a) - traitsAt(b))) traits = mergeTraits(traits, p.own.traitsNow());
    return traits;
  }

  /** Every browser's events, newest first by the time they were captured. */
  protected override timelineIds(): string[] {
    return this.applied
      .map((a, i) => ({ a, i }))
      .sort((x, y) => y.a.at - x.a.at || y.i - x.i)
      .map((x) => x.a.event.id);
  }

  /** Which browser sent each event of the timeline (same order as the view's). */
  browsersOfTimeline(): string[] {
    const by = new Map(this.applied.map((a) => [a.event.id, a.browser!]));
    return this.view()!.timeline.map((id) => by.get(id)!);
  }
}

type Browser = {
  id: string;
  /** Its own state while not part of a person (a part's, after a split; a tombstone, after an erasure). */
  lone: ReferenceVisitor;
  linked: boolean;
  /** A lone browser that owns the email. */
  ownsEmail: boolean;
  /** A lone browser that landed through a link token for the email it owns. */
  verified: boolean;
};

export type RefPeopleBeacon = RefBeaconAnswer & { person?: string };
export type RefPersonView = Omit<RefView, 'firstSeen' | 'lastSeen'> & {
  browsers: { anonymousId: string; linkedBy: RefLinkedBy; verified: boolean; stage: string; eventCount: number }[];
  timelineBrowsers: string[];
};
export type RefLeadRow = { id: string; stage: string; person?: string; browsers?: number };

export class ReferencePeople {
  private readonly browsers: Browser[];
  private person: PersonVisitor | null = null;
  /** Persons there were (by name, in order); erased ones are no longer `person`. */
  private persons = 0;
  private owner: { browser: number } | 'person' | null = null;
  private linkClock = 0;
  /** Alerts the webhook should receive, per lead (a browser's id or a person's name). */
  private readonly alertsByLead = new Map<string, string[]>();
  private readonly drained = new WeakMap<ReferenceVisitor, number>();
  /** Leads erased at some point: alerts still waiting in their outbox may be dropped with them. */
  readonly erasedLeads = new Set<string>();

  constructor(
    private readonly config: SiteConfigInput,
    browserIds: string[],
    /** The email every identify here names, normalized (trimmed, lower-cased). */
    readonly email: string,
  ) {
    this.browsers = browserIds.map((id) => ({ id, lone: this.newLone(), linked: false, ownsEmail: false, verified: false }));
  }

  private newLone(erasedAt: number | null = null) {
    const v = new ReferenceVisitor(this.config);
    v.alertMql = true;
    v.forget(erasedAt);
    return v;
  }

  /** The live person's name (`P1`, `P2`, … in order of creation), or null. */
  get personName(): string | null {
    return this.person?.name ?? null;
  }

  /** The name of the last person there was (live or erased), or null if none ever was. */
  get lastPersonName(): string | null {
    return this.persons === 0 ? null : `P${this.persons}`;
  }

  get alerts(): ReadonlyMap<string, readonly string[]> {
    this.drain();
    return this.alertsByLead;
  }

  isLinked(i: number) {
    return this.browsers[i]!.linked;
  }

  // ---- commands ------------------------------------------------------------------------------

  /** Browser `i`'s beacon; `token`: it carries a valid link token for the email. */
  beacon(i: number, events: RefEvent[], token = false): RefPeopleBeacon {
    const b = this.browsers[i]!;
    if (b.linked) return this.atPerson(i, events, token);
    const seen = b.lone.eventIds;
    const unseen = events.filter((e) => !seen.has(e.id));
    const erasedAt = b.lone.erasedSince;
    const refused = erasedAt !== null && unseen.some((e) => e.ts < erasedAt);
    const fresh = erasedAt === null ? unseen : unseen.filter((e) => e.ts >= erasedAt);
    const names = fresh.some((e) => e.type === 'identify' && e.traits?.email !== undefined && e.traits.email.trim().toLowerCase() === this.email);
    // A beacon whose answer says `erased` links nothing: the SDK forgets that id and its queue.
    if (!refused && (token || names)) {
      // The token's email first (verified), then the identify's (claimed): the same identifier here.
      for (const verified of [...(token ? [true] : []), ...(names ? [false] : [])]) {
        if (this.owner === null || (this.owner !== 'person' && this.owner.browser === i)) {
          this.owner = { browser: i };
          b.ownsEmail = true;
          if (verified) b.verified = true;
          continue;
        }
        if (this.owner !== 'person') this.promote(this.owner.browser);
        // The linking beacon's events are applied in the same write as the join: lead.merged's score after includes them.
        const merged = this.join(i, verified);
        const answer = this.atPerson(i, events, token);
        this.person!.alert(`${merged}>${this.person!.score().total}`);
        return answer;
      }
    }
    return b.lone.beacon(events);
  }

  /** Sales' verdict on browser `i`: its person's, if it is part of one. */
  verdict(i: number, input: RefVerdictInput, at: number): RefVerdictAnswer {
    const b = this.browsers[i]!;
    const answer = (b.linked ? this.person! : b.lone).verdict(input, at);
    this.drain();
    return answer;
  }

  /** POST …/people/:id/split for browser `i` (of the last person there was). */
  split(i: number): { status: 200; score: { person: number; browser: number } } | { status: 404; code: 'unknown_person' | 'unknown_browser' } {
    if (!this.person) return { status: 404, code: 'unknown_person' };
    if (!this.browsers[i]!.linked) return { status: 404, code: 'unknown_browser' };
    this.detach(i);
    return { status: 200, score: { person: this.person.score().total, browser: this.browsers[i]!.lone.score().total } };
  }

  /** DELETE …/visitors/:aid at time `at`. */
  eraseBrowser(i: number, at: number): { status: 200 | 404 } {
    const b = this.browsers[i]!;
    this.drain();
    if (b.linked) {
      this.detach(i);
      b.lone = this.newLone(at);
    } else {
      if (b.lone.erase(at).status === 404) return { status: 404 };
      if (b.ownsEmail) this.owner = null;
      b.ownsEmail = false;
      b.verified = false;
    }
    this.erasedLeads.add(b.id);
    return { status: 200 };
  }

  /** DELETE …/people?email= at time `at`: its owner (a person with every browser of it, or a lone browser). */
  eraseByEmail(at: number): { status: 200 | 404 } {
    const owner = this.owner;
    if (owner === null) return { status: 404 };
    this.drain();
    if (owner === 'person') {
      const person = this.person!;
      for (const part of person.parts) {
        const b = this.browsers.find((x) => x.id === part.browser)!;
        b.linked = false;
        b.lone = this.newLone(at);
        this.erasedLeads.add(b.id);
      }
      this.erasedLeads.add(person.name);
      this.person = null;
    } else {
      const b = this.browsers[owner.browser]!;
      b.lone.erase(at);
      b.ownsEmail = false;
      b.verified = false;
      this.erasedLeads.add(b.id);
    }
    this.owner = null;
    return { status: 200 };
  }

  // ---- what is shown -------------------------------------------------------------------------

  /** Browser `i`'s own profile (null: 404), or `linked` when its profile is its person's. */
  browserView(i: number): RefView | null | 'linked' {
    const b = this.browsers[i]!;
    return b.linked ? 'linked' : b.lone.view();
  }

  /** The live person's profile. */
  personView(): RefPersonView | null {
    const p = this.person;
    if (!p) return null;
    const { firstSeen: _f, lastSeen: _l, ...view } = p.view()!;
    return {
      ...view,
      browsers: p.parts.map((part) => ({ anonymousId: part.browser, linkedBy: part.linkedBy, verified: part.verified, stage: part.own.currentStage, eventCount: part.own.events.length })),
      timelineBrowsers: p.browsersOfTimeline(),
    };
  }

  /** The leads index: known leads and beyond, a person's row instead of its browsers'. */
  leadRows(): RefLeadRow[] {
    const rows: RefLeadRow[] = [];
    for (const b of this.browsers) if (!b.linked && b.lone.indexed) rows.push({ id: b.id, stage: b.lone.currentStage });
    const p = this.person;
    if (p && p.currentStage !== 'anonymous') rows.push({ id: p.name, person: p.name, stage: p.currentStage, browsers: p.parts.length });
    return rows;
  }

  // ---- people --------------------------------------------------------------------------------

  /** A linked browser's beacon at its person: events go to its part (its cooldowns) and to the person. */
  private atPerson(i: number, events: RefEvent[], token: boolean): RefPeopleBeacon {
    const b = this.browsers[i]!;
    const person = this.person!;
    const part = person.parts.find((p) => p.browser === b.id)!;
    // The token names the person's email: this browser is verified now.
    if (token) Object.assign(part, { verified: true, linkedBy: 'verified' });
    const seen = person.eventIds;
    const unseen = events.filter((e) => !seen.has(e.id));
    const erasedAt = b.lone.erasedSince;
    const fresh = erasedAt === null ? unseen : unseen.filter((e) => e.ts >= erasedAt);
    for (const e of oldestFirst(fresh)) person.applyCounted(e, part.own.applyOwn(e), b.id);
    this.drain();
    const shown = part.verified ? person : part.own;
    const answer: RefPeopleBeacon = { accepted: fresh.length, duplicates: events.length - unseen.length, tracked: true, stage: shown.currentStage, score: shown.score().total, person: person.name };
    return fresh.length < unseen.length ? { ...answer, tracked: fresh.length > 0, erased: true } : answer;
  }

  /** Another browser named the email lone browser `j` owns: `j` becomes the first browser of a new person. */
  private promote(j: number) {
    const b = this.browsers[j]!;
    this.drain();
    this.persons += 1;
    const person = PersonVisitor.promote(`P${this.persons}`, this.config, b.lone, b.id);
    const linkedBy: RefLinkedBy = b.verified ? 'verified' : 'claimed';
    person.parts = [{ browser: b.id, linkedBy, verified: b.verified, linkedAt: this.linkClock++, own: b.lone.asPart() }];
    this.person = person;
    this.owner = 'person';
    Object.assign(b, { linked: true, ownsEmail: false, verified: false, lone: this.newLone(b.lone.erasedSince) });
  }

  /**
   * Browser `i` joins the live person with its state and events (a `merge` transition if the sum
   * reaches a stage). Returns lead.merged's alert up to the score after, which the caller adds once
   * the linking beacon's events are applied.
   */
  private join(i: number, verified: boolean): string {
    const b = this.browsers[i]!;
    const person = this.person!;
    this.drain();
    const before = person.score().total;
    const linkedBy: RefLinkedBy = verified ? 'verified' : 'claimed';
    person.parts.push({ browser: b.id, linkedBy, verified, linkedAt: this.linkClock++, own: b.lone.asPart() });
    person.addEvents(b.lone.events, b.id);
    const stage = b.lone.currentStage;
    if (!person.verdictInForce && b.lone.verdictInForce && (stage === 'sal' || stage === 'disqualified')) person.takeVerdict(b.lone);
    person.advance({ type: 'merge', id: `merge:${b.id}` });
    Object.assign(b, { linked: true, lone: this.newLone(b.lone.erasedSince) });
    return `lead.merged:${b.id}/${linkedBy}/${verified}/${before}`;
  }

  /** Browser `i` leaves the live person: its part and events are its own again; the person keeps its stage. */
  private detach(i: number) {
    const b = this.browsers[i]!;
    const person = this.person!;
    this.drain();
    const part = person.parts.find((p) => p.browser === b.id)!;
    person.parts = person.parts.filter((p) => p !== part);
    person.removeEvents((a) => a.browser === b.id);
    b.linked = false;
    b.lone = part.own.asPart(b.lone.erasedSince);
    b.lone.alertMql = true;
  }

  /** Moves alerts the leads' models recorded into the per-lead lists (before a model is replaced). */
  private drain() {
    const take = (name: string, v: ReferenceVisitor) => {
      const from = this.drained.get(v) ?? 0;
      const fresh = v.alerts.slice(from);
      this.drained.set(v, v.alerts.length);
      if (fresh.length > 0) this.alertsByLead.set(name, [...(this.alertsByLead.get(name) ?? []), ...fresh]);
    };
    for (const b of this.browsers) if (!b.linked) take(b.id, b.lone);
    if (this.person) take(this.person.name, this.person);
  }
}
