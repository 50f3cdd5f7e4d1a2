/**
 * The people side of a visitor object (worker/people): a browser claiming its identifiers and
 * joining a person, a lone browser promoted into one, a person absorbing a browser, identifiers a
 * person names, verification by an email link's token. The logic is pure (worker/people/*); this
 * is its I/O: the directory shards that own identifiers, the other objects, and the host object's
 * state, store and commit.
 */
import type { Env } from '../env';
import { siteStub } from '../config/config-cache';
import type { SiteConfig } from '../schema/config';
import { PERSON_ID_PATTERN, type LeadEvent } from '../schema/events';
import { visitorStub } from '../routes/stubs';
import { blockedReason, identifierKey, identifiersIn, type Identifier, type LinkedBy } from '../people/identifiers';
import { absorbBrowser, absorbPerson, applyPersonBatch, isPerson, type PersonState } from '../people/person-batch';
import { scoreTotals } from '../scoring/score';
import { CONFLICTS_KEPT, type Conflict } from '../people/parts';
import { newPersonId } from '../people/person-id';
import { readLinkToken } from '../people/link-token';
import { newVisitorState, type TimelineEntry, type Transition, type VisitorState } from '../visitor/apply-batch';
import { NO_EVENTS, type VisitorChange } from '../visitor/change';
import { directoryOf, identityShard } from './directory-object';
import type { VisitorStore } from './visitor-store';
import type { BeaconMeta, IngestMeta } from './visitor-object';

/** A browser that joined a person keeps only this pointer (and its outbox until it drains): its beacons go to the person. */
export const LINK_TABLE = 'CREATE TABLE IF NOT EXISTS link (k INTEGER PRIMARY KEY CHECK (k = 1), person TEXT NOT NULL, site TEXT NOT NULL, aid TEXT NOT NULL, at INTEGER NOT NULL)';
export type Link = { person: string; site: string; aid: string; at: number };

export function readLink(sql: SqlStorage): Link | null {
  return sql.exec<Link>('SELECT person, site, aid, at FROM link WHERE k = 1').toArray()[0] ?? null;
}

/** What a browser hands its person when it joins: its state, its history and the ids it applied. */
export type JoiningBrowser = {
  personId: string;
  browser: VisitorState;
  /** Its timeline, oldest first. */
  history: TimelineEntry[];
  seenIds: string[];
  transitions: Transition[];
  linkedBy: LinkedBy;
  verified: boolean;
  userAgent?: string;
  /** Identifier keys the browser named besides the one it joined by: the person claims them (or records a conflict). */
  identifiers: string[];
  /**
   * The events of the beacon that linked it (past the browser's guards and dedupe): applied in the
   * same write as the join, so lead.merged's score after includes them. The beacon, forwarded
   * next, finds them applied (BeaconMeta.joinedWith).
   */
  beacon?: { events: LeadEvent[]; sentAt: number };
  /** When the browser was erased (its tombstone): the person refuses its events captured before. */
  erasedAt?: number;
};

/** A lead's state with one more conflict recorded (a person's, or a lone browser's). */
export function withConflict(state: VisitorState, conflict: Conflict): VisitorState {
  if (state.person) return { ...state, person: { ...state.person, conflicts: [...state.person.conflicts, conflict].slice(-CONFLICTS_KEPT) } };
  return { ...state, conflicts: [...(state.conflicts ?? []), conflict].slice(-CONFLICTS_KEPT) };
}

/** Whether two sets of identifier keys each hold a userId and share none: such owners never merge. */
function conflictingUserIds(a: string[], b: string[]): boolean {
  const ua = a.filter((k) => k.startsWith('userId:'));
  const ub = b.filter((k) => k.startsWith('userId:'));
  return ua.length > 0 && ub.length > 0 && !ua.some((k) => ub.includes(k));
}

/** What PersonLinks needs of its visitor object. */
export type LinkHost = {
  readonly env: Env;
  readonly ctx: DurableObjectState;
  state: VisitorState | null;
  link: Link | null;
  /** When this lead was erased (its tombstone), or null. */
  readonly erasedAt: number | null;
  readonly store: VisitorStore;
  commit(next: VisitorState, config: SiteConfig, meta: IngestMeta, change: VisitorChange): void;
  configAt(site: string, version: number): Promise<SiteConfig>;
  currentConfig(): Promise<SiteConfig | null>;
  /** The config version the object holds (0: none yet). */
  configVersion(): number;
};

export class PersonLinks {
  constructor(private readonly host: LinkHost) {}

  /**
   * Marks a browser of this person verified when an email link's token names one of the person's
   * identifiers (or one nobody owns, which becomes the person's). A token for someone else, or a
   * bad one, is counted and changes nothing.
   */
  async verifyPart(browser: string, token: string, config: SiteConfig, meta: BeaconMeta) {
    const site = meta.site;
    const email = await readLinkToken(this.host.env, site, token, meta.receivedAt);
    if (!email) return void (await siteStub(this.host.env, site).countIdentity('badToken'));
    if (!isPerson(this.host.state)) return;
    const key = identifierKey({ kind: 'email', value: email });
    const me = this.host.state.anonymousId;
    const owner = this.host.state.person.identifiers.includes(key) ? me : (await identityShard(this.host.env, site, key).claim(key, me, meta.receivedAt, { linking: false, perDay: 0 }) as { person: string }).person;
    if (owner !== me) return void (await siteStub(this.host.env, site).countIdentity('conflict'));
    if (!isPerson(this.host.state)) return;
    const p = this.host.state.person;
    const next: PersonState = {
      ...this.host.state,
      person: { ...p, identifiers: [...new Set([...p.identifiers, key])], parts: p.parts.map((part) => (part.browser === browser ? { ...part, verified: true, linkedBy: 'verified' } : part)) },
    };
    this.host.commit(next, config, meta, { ...NO_EVENTS, transitions: [] });
  }

  /**
   * The identifiers a beacon names (and an email link's token), claimed race-free in their
   * directory shards, strongest first. An identifier nobody owns becomes this browser's: a lone
   * browser stays an ordinary visitor (one object, no person). One owned by another browser makes
   * that browser a person first (promote); this browser then joins the person: its state, history
   * and ids go there, and it keeps a pointer. Other requests to it wait meanwhile.
   * @returns whether the browser joined a person, identifiers it owns now, and whether it proved one
   * of them (an email link's token, an identify sent with a server key): it is then verified
   */
  async joinPerson(token: string | undefined, batch: { events: LeadEvent[]; sentAt: number }, config: SiteConfig, meta: BeaconMeta, configVersion: number): Promise<{ joined: boolean; owned: string[]; verified: boolean; conflicts: Conflict[] }> {
    const { events } = batch;
    {
      const owned: string[] = [];
      const conflicts: Conflict[] = [];
      let proved = false;
      if (this.host.link) return { joined: true, owned, verified: false, conflicts };
      const { site, anonymousId, receivedAt: now } = meta;
      const verifiedEmail = token ? await readLinkToken(this.host.env, site, token, now) : null;
      if (token && !verifiedEmail) await siteStub(this.host.env, site).countIdentity('badToken');
      const ids: { id: Identifier; verified: boolean }[] = [
        ...(verifiedEmail ? [{ id: { kind: 'email', value: verifiedEmail } as Identifier, verified: true }] : []),
        ...identifiersIn(events).map((id) => ({ id, verified: meta.server === true })),
      ];
      for (const { id, verified } of ids) {
        if (blockedReason(id, config.identity.blockedValues)) {
          await siteStub(this.host.env, site).countIdentity('blocked');
          continue;
        }
        const key = identifierKey(id);
        const claim = await identityShard(this.host.env, site, key).claim(key, anonymousId, now, { linking: true, perDay: config.identity.linksPerDay });
        if ('refused' in claim) {
          await siteStub(this.host.env, site).countIdentity('dailyLimit');
          continue;
        }
        if (claim.person === anonymousId) {
          owned.push(key);
          proved ||= verified;
          continue;
        }
        // Two different userIds never merge: the owner refuses a browser that names another userId than its own.
        const mine = [...(this.host.state?.identifiers ?? []), ...owned];
        const userIds = [...mine, ...ids.map((i) => identifierKey(i.id))].filter((k) => k.startsWith('userId:'));
        const person = PERSON_ID_PATTERN.test(claim.person) ? claim.person : await visitorStub(this.host.env, site, claim.person).promote(newPersonId(), userIds, configVersion, meta);
        const linkedBy: LinkedBy = id.kind === 'userId' ? 'userId' : verified ? 'verified' : 'claimed';
        const who = { site, anonymousId, userAgent: meta.traffic.userAgent };
        // Only the hand-over blocks this object's other requests: holding the block while another browser's promote
        // waits for its own block would deadlock two browsers naming each other's identifier at once.
        const moved = person && (await this.host.ctx.blockConcurrencyWhile(async () => this.host.link !== null || this.moveToPerson(person, linkedBy, verified, [...new Set([...mine, ...userIds])], configVersion, meta, who, batch)));
        if (moved) return { joined: true, owned: [], verified: false, conflicts };
        // Promoted meanwhile by another browser that named this one's identifier: this browser is linked.
        if (this.host.link) return { joined: true, owned: [], verified: false, conflicts };
        await siteStub(this.host.env, site).countIdentity('conflict');
        conflicts.push({ at: now, identifier: key, reason: 'owned by a lead with another userId: not merged', otherPerson: claim.person });
      }
      return { joined: false, owned, verified: proved, conflicts };
    }
  }

  /**
   * Another browser named an identifier this browser owns: this browser becomes the first browser
   * of a new person (`candidate`), which takes its identifiers. Idempotent: a browser that joined
   * a person already answers with it. Null when there is nothing here (erased meanwhile).
   */
  async promote(candidate: string, userIds: string[], configVersion: number, meta: IngestMeta): Promise<string | null> {
    return this.host.ctx.blockConcurrencyWhile(async () => {
      if (this.host.link) return this.host.link.person;
      if (!this.host.state) return null;
      const keys = this.host.state.identifiers ?? [];
      if (conflictingUserIds(keys, userIds)) {
        const config = await this.host.configAt(this.host.state.site, configVersion);
        const conflict: Conflict = { at: meta.receivedAt, identifier: userIds.join(', '), reason: 'another browser named this lead\'s identifier with another userId: not merged' };
        if (this.host.state) this.host.commit(withConflict(this.host.state, conflict), config, meta, { ...NO_EVENTS, transitions: [] });
        return null;
      }
      const { verified = false } = this.host.state;
      if (!(await this.moveToPerson(candidate, keys.some((k) => k.startsWith('userId:')) ? 'userId' : verified ? 'verified' : 'claimed', verified, keys, configVersion, meta, this.host.state))) return null;
      for (const key of keys) await identityShard(this.host.env, this.host.link!.site, key).reassign(key, this.host.link!.aid, candidate);
      return candidate;
    });
  }

  /** Hands this browser's state, history and ids to `person` (absorb), then keeps only a pointer to it (call inside blockConcurrencyWhile). */
  private async moveToPerson(person: string, linkedBy: LinkedBy, verified: boolean, identifiers: string[], configVersion: number, meta: IngestMeta, who: { site: string; anonymousId: string; userAgent?: string }, beacon?: JoiningBrowser['beacon']) {
    const { site, anonymousId } = who;
    const now = meta.receivedAt;
    const joining: JoiningBrowser = {
      personId: person,
      browser: this.host.state ?? newVisitorState(site, anonymousId, now),
      history: this.host.store.timeline(Infinity).reverse(),
      seenIds: this.host.store.seenOnlyIds(),
      transitions: this.host.store.transitions(),
      linkedBy,
      verified,
      ...(who.userAgent ?? this.host.state?.userAgent ? { userAgent: (who.userAgent ?? this.host.state!.userAgent!).slice(0, 256) } : {}),
      identifiers,
      ...(beacon ? { beacon } : {}),
      ...(this.host.erasedAt !== null ? { erasedAt: this.host.erasedAt } : {}),
    };
    if (!(await visitorStub(this.host.env, site, person).absorb(joining, configVersion, meta))) return false;
    // A browser never seen before is still one of the site's visitors (its directory shard finds it for a site deletion).
    if (this.host.state === null) await directoryOf(this.host.env, site, anonymousId).seen(site, anonymousId, now);
    this.becomePointer({ person, site, aid: anonymousId, at: now });
    return true;
  }

  /** A browser joins this person (see joinPerson): its part, its history and ids, a lead.merged webhook; the site drops the browser's own index row. */
  async absorb(joining: JoiningBrowser, configVersion: number, meta: IngestMeta): Promise<boolean> {
    if (this.host.state && !isPerson(this.host.state)) return false;
    const config = await this.host.configAt(joining.browser.site, configVersion);
    const prev = isPerson(this.host.state) ? this.host.state : null;
    if (prev && conflictingUserIds(prev.person.identifiers, joining.identifiers)) {
      const conflict: Conflict = { at: meta.receivedAt, identifier: joining.identifiers.filter((k) => k.startsWith('userId:')).join(', '), reason: `browser ${joining.browser.anonymousId} names another userId: not merged` };
      this.host.commit({ ...prev, person: { ...prev.person, conflicts: [...prev.person.conflicts, conflict].slice(-CONFLICTS_KEPT) } }, config, meta, { ...NO_EVENTS, transitions: [] });
      return false;
    }
    const { state, transition, merged } = absorbBrowser(prev, joining.personId, { browser: joining.browser, linkedBy: joining.linkedBy, verified: joining.verified, userAgent: joining.userAgent, at: meta.receivedAt, erasedAt: joining.erasedAt }, config);
    const identifiers = [...new Set([...state.person.identifiers, ...joining.identifiers])];
    const aid = joining.browser.anonymousId;
    let next: PersonState = { ...state, person: { ...state.person, identifiers } };
    // The linking beacon's own events, in the same write (only those this person has not seen: a retry finds them applied).
    const fresh = joining.beacon ? this.host.store.unseen(joining.beacon.events) : [];
    const own = fresh.length > 0 ? applyPersonBatch(next, aid, fresh, joining.beacon!.sentAt, config, meta.receivedAt) : null;
    if (own) next = own.state as PersonState;
    this.host.commit(next, config, meta, {
      isNewVisitor: false,
      isNewPerson: prev === null,
      timeline: [...joining.history.map((e) => ({ ...e, browser: aid })), ...(own?.timeline ?? [])],
      transitions: [...(transition ? [transition] : []), ...(own?.transitions ?? [])],
      demoRequests: own?.demoRequests ?? [],
      browser: aid,
      absorbed: [aid],
      seenIds: joining.seenIds,
      ...(prev === null ? { history: joining.transitions } : {}),
      ...(merged ? { merge: own ? { ...merged, scoreAfter: scoreTotals(next.aggregates, config, meta.receivedAt).total } : merged } : {}),
    });
    // Identifiers the beacon named that are not the person's yet (another email in the same identify): claimed as a linked browser's are.
    this.claimNamedLater(fresh, next, config, meta);
    return true;
  }

  /** Identifiers a linked browser's applied events name that `person` does not own yet: claimed after the answer (claimIdentifiers). */
  claimNamedLater(events: LeadEvent[], person: PersonState, config: SiteConfig, meta: IngestMeta) {
    const named = identifiersIn(events).map(identifierKey).filter((key) => !person.person.identifiers.includes(key));
    if (named.length > 0) this.host.ctx.waitUntil(this.claimIdentifiers(named, config, meta).catch((e) => console.warn('identifiers not claimed:', (e as Error).message)));
  }

  /** Identifiers a linked browser named: this person's if nobody's; someone else's is a conflict, recorded on both. */
  async claimIdentifiers(keys: string[], config: SiteConfig, meta: IngestMeta) {
    const conflicts: Conflict[] = [];
    const owned: string[] = [];
    for (const key of keys) {
      const me = this.host.state?.anonymousId;
      if (!me) return;
      const claim = await identityShard(this.host.env, this.host.state!.site, key).claim(key, me, meta.receivedAt, { linking: false, perDay: config.identity.linksPerDay });
      if ('refused' in claim) continue;
      if (claim.person === me) owned.push(key);
      else if (!PERSON_ID_PATTERN.test(claim.person)) {
        // A lone browser owns it: it joins this person (unless their userIds differ), identifiers and all.
        const myUserIds = [...(isPerson(this.host.state) ? this.host.state.person.identifiers : []), ...keys].filter((k) => k.startsWith('userId:'));
        const joined = await visitorStub(this.host.env, this.host.state!.site, claim.person).promote(me, myUserIds, this.host.configVersion(), meta);
        if (joined === me) owned.push(key);
        else conflicts.push({ at: meta.receivedAt, identifier: key, reason: 'owned by a browser with another userId: not merged', otherPerson: claim.person });
      } else {
        // Another person owns it: the person with the larger id joins the other (merges only ever go one way, so two
        // persons naming each other's identifiers at once never wait on each other), unless their userIds differ.
        const site = this.host.state!.site;
        const other = claim.person;
        const myUserIds = [...(isPerson(this.host.state) ? this.host.state.person.identifiers : []), ...keys].filter((k) => k.startsWith('userId:'));
        if (me > other) {
          const theirs = ((await visitorStub(this.host.env, site, other).personInfo())?.identifiers ?? []).filter((k) => k.startsWith('userId:'));
          // This person is a pointer to `other` now: what is left to claim is that person's business.
          if ((await this.mergeInto(other, theirs, this.host.configVersion(), meta)) === other) return;
        } else if ((await visitorStub(this.host.env, site, other).mergeInto(me, myUserIds, this.host.configVersion(), meta)) === me) continue;
        conflicts.push({ at: meta.receivedAt, identifier: key, reason: 'owned by a person with another userId: not merged', otherPerson: other });
        await siteStub(this.host.env, this.host.state!.site).countIdentity('conflict');
      }
    }
    if (!isPerson(this.host.state) || (owned.length === 0 && conflicts.length === 0)) return;
    const p = this.host.state.person;
    const next: PersonState = { ...this.host.state, person: { ...p, identifiers: [...new Set([...p.identifiers, ...owned])], conflicts: [...p.conflicts, ...conflicts].slice(-CONFLICTS_KEPT) } };
    this.host.commit(next, config, meta, { ...NO_EVENTS, transitions: [] });
  }

  /**
   * This person joins `target` (a browser of the target named one of this person's identifiers):
   * its parts, history, ids and identifiers go there, and this object keeps a pointer (beacons of
   * its browsers that still come here are forwarded). Null when the userIds differ (a conflict is
   * recorded here) or there is no person here.
   */
  async mergeInto(target: string, userIds: string[], configVersion: number, meta: IngestMeta): Promise<string | null> {
    return this.host.ctx.blockConcurrencyWhile(async () => {
      if (this.host.link) return this.host.link.person;
      const state = this.host.state;
      if (!isPerson(state) || state.anonymousId === target) return null;
      const config = await this.host.configAt(state.site, configVersion);
      if (conflictingUserIds(state.person.identifiers, userIds)) {
        this.host.commit(withConflict(state, { at: meta.receivedAt, identifier: userIds.join(', '), reason: 'another person named this person\'s identifier with another userId: not merged', otherPerson: target }), config, meta, { ...NO_EVENTS, transitions: [] });
        return null;
      }
      const merged = await visitorStub(this.host.env, state.site, target).absorbPerson(state, this.host.store.timeline(Infinity).reverse(), this.host.store.seenOnlyIds(), configVersion, meta);
      if (!merged) return null;
      this.becomePointer({ person: target, site: state.site, aid: state.anonymousId, at: meta.receivedAt });
      for (const key of state.person.identifiers) await identityShard(this.host.env, state.site, key).reassign(key, state.anonymousId, target);
      return target;
    });
  }

  /** What is left of a lead that joined a person: the pointer, in one write with dropping its own state, history and ids. */
  private becomePointer(link: Link) {
    this.host.ctx.storage.transactionSync(() => {
      this.host.ctx.storage.sql.exec(LINK_TABLE);
      this.host.ctx.storage.sql.exec('INSERT OR REPLACE INTO link (k, person, site, aid, at) VALUES (1, ?, ?, ?, ?)', link.person, link.site, link.aid, link.at);
      this.host.store.dropAll();
    });
    this.host.link = link;
    this.host.state = null;
  }

  /** Another person joins this one (mergeInto): its parts, history and ids; the site drops its index row and merges its funnel stages. */
  async absorbPerson(other: PersonState, history: TimelineEntry[], seenIds: string[], configVersion: number, meta: IngestMeta): Promise<boolean> {
    if (!isPerson(this.host.state)) return false;
    const config = await this.host.configAt(other.site, configVersion);
    const prev = this.host.state;
    if (!isPerson(prev)) return false;
    const { state, transition, scoreBefore, scoreAfter } = absorbPerson(prev, other, config, meta.receivedAt);
    const first = other.person.parts.find((p) => p.linkedBy !== 'folded');
    this.host.commit(state, config, meta, {
      isNewVisitor: false,
      timeline: history,
      transitions: transition ? [transition] : [],
      demoRequests: [],
      absorbed: [other.anonymousId],
      seenIds,
      ...(first ? { browser: first.browser, merge: { browser: first.browser, linkedBy: first.linkedBy === 'folded' ? 'claimed' : first.linkedBy, verified: first.verified, scoreBefore, scoreAfter } } : {}),
    });
    return true;
  }

  /** Another browser or person named one of this lead's identifiers and could not merge: recorded here too. */
  async noteConflict(conflict: Conflict) {
    const config = this.host.state && (await this.host.currentConfig());
    if (!config || !this.host.state) return;
    this.host.commit(withConflict(this.host.state, conflict), config, { receivedAt: Date.now(), adminBaseUrl: config.adminBaseUrl ?? '' }, { ...NO_EVENTS, transitions: [] });
  }
}
