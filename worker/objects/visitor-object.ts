/**
 * One Durable Object per (site, anonymous id), and per (site, person id) for a person (one lead
 * across browsers, worker/people). It serializes a lead's writes, so there are no locks and no lost
 * updates. It loads and saves; the logic lives in pure modules, the people side's I/O in person-links.ts.
 */
import { DurableObject } from 'cloudflare:workers';
import { classifyTraffic, type TrafficRequest } from '../abuse/bots';
import { CLIENT_LIMIT_PERIOD_SECONDS, clientLimitReached, type ClientLimit } from '../abuse/client-limits';
import { take, type Bucket } from '../abuse/token-bucket';
import { verifyTurnstile } from '../abuse/turnstile';
import { outcomeLabel, verdictLabel, type OutcomeInput } from '../calibration/labels';
import { forgetSiteConfig, loadSiteConfig, siteStub, type LoadedConfig } from '../config/config-cache';
import { isDev, type Env } from '../env';
import { readRoutedBatch, type BatchError, type BatchRoute } from '../http/batch-body';
import { resolveConfig, type SiteConfig, type SiteConfigInput, type Stage } from '../schema/config';
import type { CollectResponse } from '../schema/responses';
import { computeScore, scoreTotals } from '../scoring/score';
import { decide, type Decision } from '../decisions/decide';
import { applyBatch, newVisitorState, type VisitorState } from '../visitor/apply-batch';
import { NO_EVENTS, planChange, type VisitorChange } from '../visitor/change';
import { restageTransition } from '../visitor/restage';
import { nextRetentionCheck, retentionNow } from '../visitor/retention';
import { nextIndexRefresh } from '../visitor/lead-snapshot';
import { applyVerdict, type VerdictInput } from '../visitor/verdict';
import type { Verdict } from '../webhooks/payload';
import { buildProfile, type VisitorProfile } from '../visitor/profile';
import { faultBackoffMs } from '../webhooks/backoff';
import { DeliveryLanes, nextDeliveryWake, type DeliveryStep } from '../webhooks/dispatch';
import { DIRECTORY_TARGET, type SiteNotice } from '../webhooks/plan';
import type { LeadEvent } from '../schema/events';
import { OutboxStore } from './outbox-store';
import { directoryOf } from './directory-object';
import { existingTables } from './lazy-schema';
import { VisitorStore } from './visitor-store';
import { DAY_MS } from '../time';
import { visitorStub } from '../routes/stubs';
import { identifiersIn } from '../people/identifiers';
import { applyPersonBatch, isPerson, partOf, splitBrowser, viewOf, type PersonState } from '../people/person-batch';
import { FOLDED, type Conflict } from '../people/parts';
import { LIMITS } from '../schema/limits';
import { identityShard } from './directory-object';
import { PersonLinks, readLink, withConflict, type JoiningBrowser, type Link } from './person-links';
import { eraseLinkedLeads, type PersonReach } from './person-erasure';
import type { TimelineEntry } from '../visitor/apply-batch';

export type IngestMeta = { receivedAt: number; adminBaseUrl: string };

/** How long an erased visitor's tombstone is kept (longer than any browser keeps a queue worth replaying). */
export const ERASED_TOMBSTONE_DAYS = 400;
const TOMBSTONE_TABLE = 'CREATE TABLE IF NOT EXISTS erased (k INTEGER PRIMARY KEY CHECK (k = 1), at INTEGER NOT NULL)';

/** Whether a beacon has anything for guardBeacon: a browser's new visitor or demo request (per-address limits), or a demo request on a Turnstile site. */
function needsGuard(newVisitor: boolean, events: LeadEvent[], config: SiteConfig, meta: BeaconMeta): boolean {
  if (meta.clientIp && newVisitor) return true;
  if (!meta.clientIp && !config.turnstile) return false;
  for (const e of events) if (e.type === 'demo_request') return true;
  return false;
}

function readTombstone(sql: SqlStorage): number | null {
  return sql.exec<{ at: number }>('SELECT at FROM erased WHERE k = 1').toArray()[0]?.at ?? null;
}

function writeTombstone(sql: SqlStorage, at: number) {
  sql.exec(TOMBSTONE_TABLE);
  sql.exec('INSERT INTO erased (k, at) VALUES (1, ?) ON CONFLICT (k) DO UPDATE SET at = excluded.at', at);
}
/** What the Worker knows of a beacon it has not parsed: the object it was routed to, and who sent it. */
/** `clientIp`: a browser beacon's address (a rate-limit key only, never stored); null for server-side beacons. */
/**
 * `server`: sent with a server key (an identify then verifies its link). `asPerson`: the beacon was
 * routed to this person's object (by the SDK's hint or by the browser's pointer). `guarded`: the
 * browser's object already ran the guards (Turnstile tokens are single use).
 */
export type BeaconMeta = IngestMeta & BatchRoute & {
  traffic: TrafficRequest;
  clientIp: string | null;
  server?: boolean;
  asPerson?: string;
  guarded?: boolean;
  /** Events of this beacon the person applied when the browser joined it (PersonLinks.absorb): accepted, not duplicates. */
  joinedWith?: number;
};
export type IngestResult =
  /** The beacon's answer (a CollectResponse) as JSON, ready to send: one string crosses the RPC back. */
  | string
  | { retryAfterMs: number; limit?: ClientLimit }
  /** Refused with this status (Turnstile). */
  | { refused: { status: 403 | 503; code: string; message: string } }
  /** Not recorded: the batch is invalid, or flagged as automation the site does not allow. */
  | { error: BatchError }
  | { bot: 'crawler' | 'automation' }
  /** The object could not read the site config: call again with the Worker's copy. */
  | { configUnavailable: true }
  /** Sent to a person that this browser is not (or no longer) part of: send it to the browser's own object. */
  | { notLinked: true };

/** Where delivery and the alarm can fail: each await (config, RPCs, fetch, alarm writes) and storage step. */
export type FaultStep = DeliveryStep | 'arm' | 'config' | 'retention' | 'forget' | 'notice' | 'claim' | 'fetch' | 'disable' | 'rearm';
/** Who started the work a fault hits: the alarm, or a request (a beacon, a verdict, a redelivery). */
export type RunOrigin = 'alarm' | 'request';
/**
 * Test seams: throw at the moments a crash matters (`step`: at every await and storage step of
 * delivery and the alarm). Never set outside tests.
 */
export type FaultHooks = { midTransaction?: () => void; afterCommit?: () => void; step?: (step: FaultStep, origin: RunOrigin) => void };

/** Set first thing in alarm(), while getAlarm() would say null: a handler that dies midway still has an alarm after it. */
const ALARM_BACKUP_MS = 10_000;

export class VisitorObject extends DurableObject<Env> {
  private store: VisitorStore;
  private outbox: OutboxStore;
  private state: VisitorState | null;
  /** When this visitor was erased (kept ERASED_TOMBSTONE_DAYS): events captured before it are refused, so an old browser queue cannot bring it back. */
  private erasedAt: number | null;
  /** The site config this object last used; beacons say which version they expect. */
  private loaded: LoadedConfig | null = null;
  /** Delivery lanes, one per target (worker/webhooks/dispatch.ts); in memory, so an eviction just starts new ones. */
  private readonly lanes = new DeliveryLanes();
  /** Runs in a row that met a fault: the next alarm backs off (faultBackoffMs) instead of spinning on a broken dependency. */
  private faultStreak = 0;
  /** Beacon budget; in memory on purpose (an eviction refills it, which is harmless). */
  private bucket: Bucket | null = null;
  /** Set when this browser joined a person: its beacons go there. */
  private link: Link | null;
  private readonly people: PersonLinks;
  faults: FaultHooks = {};

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const existing = existingTables(ctx.storage.sql);
    [this.store, this.outbox] = this.openStores(existing);
    this.state = this.store.loadState();
    this.erasedAt = existing.has('erased') ? readTombstone(ctx.storage.sql) : null;
    this.link = existing.has('link') ? readLink(ctx.storage.sql) : null;
    const self = this;
    this.people = new PersonLinks({
      env,
      ctx,
      get state() {
        return self.state;
      },
      set state(value) {
        self.state = value;
      },
      get link() {
        return self.link;
      },
      set link(value) {
        self.link = value;
      },
      get store() {
        return self.store;
      },
      get erasedAt() {
        return self.erasedAt;
      },
      commit: (next, config, meta, change) => this.commit(next, config, meta, change),
      configAt: (site, version) => this.configAt(site, version),
      currentConfig: () => this.currentConfig(),
      configVersion: () => this.loaded?.version ?? 0,
    });
  }

  private openStores(existing = existingTables(this.ctx.storage.sql)): [VisitorStore, OutboxStore] {
    const { sql } = this.ctx.storage;
    return [new VisitorStore(sql, existing, (fn) => this.ctx.storage.transactionSync(fn)), new OutboxStore(sql, existing)];
  }

  /**
   * Validates a beacon's body (the only parse it gets) and applies its batch exactly once per
   * event id, in one atomic write. The caller sends the config version it checked the
   * site against rather than the config, which would otherwise be copied into every beacon's call.
   */
  async ingest(body: string, configVersion: number, meta: BeaconMeta, fallback?: SiteConfigInput): Promise<IngestResult> {
    // A browser that joined a person, or a person that joined another: the beacon is theirs.
    if (this.link) return this.forward(this.link, body, configVersion, meta, fallback);
    const read = readRoutedBatch(body, meta);
    if ('error' in read) return read;
    const { batch } = read;
    if (meta.asPerson && !(isPerson(this.state) && partOf(this.state, batch.anonymousId))) return { notLinked: true };
    const config = this.configIfCurrent(configVersion) ?? (await this.configOrFallback(batch.site, configVersion, fallback));
    if (!config) return { configUnavailable: true };
    if (batch.context?.automated) {
      const kind = classifyTraffic(meta.traffic, true, config.bots.allowAutomated);
      if (kind === 'crawler' || kind === 'automation') return { bot: kind };
    }
    const limit = take(this.bucket, meta.receivedAt, { capacity: config.rateLimits.visitorBurst, refillPerSecond: config.rateLimits.visitorPerSecond });
    this.bucket = limit.bucket;
    if (!limit.ok) return { retryAfterMs: limit.retryAfterMs };
    // Most beacons (a known visitor's page views) need none of the guards' awaits: checked without one first.
    if (!meta.guarded && needsGuard(this.state === null, batch.events, config, meta)) {
      const guard = await this.guardBeacon(batch.events, config, meta);
      if (guard) return guard;
    }
    // A linked browser landing through an email link: verified if the token names one of this person's identifiers.
    if (meta.asPerson && batch.linkToken) await this.people.verifyPart(batch.anonymousId, batch.linkToken, config, meta);
    // A lone browser naming an identifier (or carrying an email link's token) links to its person first; the person then applies the batch.
    let join: Awaited<ReturnType<PersonLinks['joinPerson']>> | null = null;
    if (!meta.asPerson && !isPerson(this.state) && (batch.linkToken || identifiersIn(batch.events).length > 0)) {
      const { fresh, erased } = this.freshEvents(batch, meta);
      if (!erased && (batch.linkToken || identifiersIn(fresh).length > 0)) join = await this.people.joinPerson(batch.linkToken, { events: fresh, sentAt: batch.sentAt }, config, meta, configVersion);
      // The join applied this beacon's fresh events at the person (PersonLinks.absorb): its answer counts them as accepted.
      if (join?.joined) return this.forward(this.link!, body, configVersion, { ...meta, guarded: true, joinedWith: fresh.length }, fallback);
      if (this.link) return this.forward(this.link, body, configVersion, { ...meta, guarded: true }, fallback);
    }
    const person = isPerson(this.state) ? this.state : null;
    if (meta.asPerson && !(person && partOf(person, batch.anonymousId))) return { notLinked: true };
    // Nothing below awaits: the read of the dedupe window and the commit cannot interleave with another beacon.
    const prev = this.state ?? newVisitorState(batch.site, batch.anonymousId, meta.receivedAt);
    // A linked browser erased before it joined: its person refuses what it captured before, as its own object would.
    const { fresh, duplicates, erased } = this.freshEvents(batch, meta, person ? partOf(person, batch.anonymousId)?.erasedAt ?? this.erasedAt : this.erasedAt);
    if (person) return this.ingestAsPerson(person, batch, fresh, duplicates, erased, config, meta);
    let owner = prev;
    if (join) {
      const { owned, verified, conflicts } = join;
      if (owned.some((k) => !prev.identifiers?.includes(k))) {
        owner = { ...prev, identifiers: [...new Set([...(prev.identifiers ?? []), ...owned])], ...(meta.traffic.userAgent ? { userAgent: meta.traffic.userAgent.slice(0, 256) } : {}) };
      }
      // Proved one of its identifiers (a link token, a server key): verified when a second browser makes it a person.
      if (verified && !owner.verified) owner = { ...owner, verified: true };
      for (const conflict of conflicts) owner = withConflict(owner, conflict);
    }
    if (fresh.length === 0) return this.answer(prev, config, meta.receivedAt, 0, duplicates, erased);
    const outcome = applyBatch(owner, fresh, batch.sentAt, config, meta.receivedAt);
    this.commit(outcome.state, config, meta, {
      isNewVisitor: this.state === null,
      timeline: outcome.timeline,
      transitions: outcome.transitions,
      demoRequests: outcome.demoRequests,
    });
    return this.answer(outcome.state, config, meta.receivedAt, fresh.length, duplicates, erased);
  }

  /**
   * A batch's events not applied before (a batch's ids are distinct, so the rest are duplicates),
   * less those captured before this visitor was erased: by their clock corrected for skew (not
   * clamped), and, for a batch put together before the erasure and re-sent as it was (an old sentAt
   * reads as skew), by their own clock too. Refused ones make the answer say `erased`, so the SDK
   * forgets its id and queue; newer ones apply as a new visitor's.
   */
  private freshEvents(batch: { events: LeadEvent[]; sentAt: number }, meta: IngestMeta, erasedAt = this.erasedAt) {
    const unseen = this.store.unseen(batch.events);
    const before = (e: LeadEvent) => e.ts + (meta.receivedAt - batch.sentAt) < erasedAt! || (batch.sentAt < erasedAt! && e.ts < erasedAt!);
    const fresh = erasedAt === null ? unseen : unseen.filter((e) => !before(e));
    return { fresh, duplicates: batch.events.length - unseen.length, erased: fresh.length < unseen.length };
  }

  /**
   * What a beacon must pass that costs an await, checked before the dedupe read (so only for the
   * beacons that need it): a new visitor or a demo request from a browser counts against its
   * address's limits, and a site with Turnstile needs each new demo request's token verified.
   */
  private async guardBeacon(events: LeadEvent[], config: SiteConfig, meta: BeaconMeta): Promise<IngestResult | null> {
    const newVisitor = this.state === null;
    const demos = events.some((e) => e.type === 'demo_request') ? this.store.unseen(events).filter((e) => e.type === 'demo_request') : [];
    if (meta.clientIp && (newVisitor || demos.length > 0)) {
      const reached = await clientLimitReached(this.env, meta.clientIp, { newVisitor, demoRequest: demos.length > 0 });
      if (reached) return { retryAfterMs: CLIENT_LIMIT_PERIOD_SECONDS * 1000, limit: reached };
    }
    if (config.turnstile) {
      for (const demo of demos) {
        const check = await verifyTurnstile(this.env, config.turnstile.secret, demo.type === 'demo_request' ? demo.turnstile : undefined, meta.clientIp);
        if (!check.ok) return { refused: check.retryable ? { status: 503, code: 'turnstile_unavailable', message: check.reason } : { status: 403, code: 'turnstile_failed', message: check.reason } };
      }
    }
    return null;
  }

  private answer(state: VisitorState, config: SiteConfig, now: number, accepted: number, duplicates: number, erased: boolean, person?: string): string {
    const response: CollectResponse = { ...this.decision(state, config, now), accepted, duplicates, tracked: !erased || accepted > 0 };
    if (erased) response.erased = true;
    if (person) response.person = person;
    return JSON.stringify(response);
  }

  /** A linked browser's beacon, at its person: applied to the browser's part, scored on the person, answered with what this browser may see. */
  private ingestAsPerson(person: PersonState, batch: { anonymousId: string; sentAt: number }, fresh: LeadEvent[], duplicates: number, erased: boolean, config: SiteConfig, meta: BeaconMeta): IngestResult {
    const browser = batch.anonymousId;
    const joined = Math.min(meta.joinedWith ?? 0, duplicates);
    if (fresh.length === 0) return this.answer(viewOf(person, browser), config, meta.receivedAt, joined, duplicates - joined, erased, person.anonymousId);
    const outcome = applyPersonBatch(person, browser, fresh, batch.sentAt, config, meta.receivedAt);
    this.commit(outcome.state, config, meta, { isNewVisitor: false, timeline: outcome.timeline, transitions: outcome.transitions, demoRequests: outcome.demoRequests, browser });
    this.people.claimNamedLater(fresh, person, config, meta);
    return this.answer(viewOf(outcome.state, browser), config, meta.receivedAt, fresh.length, duplicates, erased, person.anonymousId);
  }

  /** A beacon for the person this browser joined. The person answers; if it no longer holds this browser, the pointer goes and the beacon is this object's again. */
  private async forward(link: Link, body: string, configVersion: number, meta: BeaconMeta, fallback?: SiteConfigInput): Promise<IngestResult> {
    const result = await visitorStub(this.env, link.site, link.person).ingest(body, configVersion, { ...meta, asPerson: link.person }, fallback);
    if (typeof result === 'string') {
      // The person may have joined another since: follow it, so the next beacon takes one hop fewer.
      const now = /"person":"(p~[0-9a-f]{32})"/.exec(result)?.[1];
      if (now && now !== link.person && !meta.asPerson) {
        this.link = { ...link, person: now };
        this.ctx.storage.sql.exec('UPDATE link SET person = ? WHERE k = 1', now);
      }
    }
    if (typeof result !== 'object' || !('notLinked' in result)) return result;
    // A person's pointer never becomes a visitor of its own.
    if (meta.asPerson) return result;
    this.ctx.storage.sql.exec('DROP TABLE IF EXISTS link');
    this.link = null;
    const { joinedWith: _j, ...own } = meta;
    return this.ingest(body, configVersion, own, fallback);
  }

  /** Another browser named an identifier this lone browser owns: it becomes the first browser of `candidate` (PersonLinks.promote). */
  promote(candidate: string, userIds: string[], configVersion: number, meta: IngestMeta): Promise<string | null> {
    return this.people.promote(candidate, userIds, configVersion, meta);
  }

  /** A browser joins this person (PersonLinks.absorb). */
  absorb(joining: JoiningBrowser, configVersion: number, meta: IngestMeta): Promise<boolean> {
    return this.people.absorb(joining, configVersion, meta);
  }

  /** A browser of `target` named one of this person's identifiers: this person joins it (PersonLinks.mergeInto). */
  mergeInto(target: string, userIds: string[], configVersion: number, meta: IngestMeta): Promise<string | null> {
    return this.people.mergeInto(target, userIds, configVersion, meta);
  }

  /** Another person joins this one (PersonLinks.absorbPerson). */
  absorbPerson(other: PersonState, history: TimelineEntry[], seenIds: string[], configVersion: number, meta: IngestMeta): Promise<boolean> {
    return this.people.absorbPerson(other, history, seenIds, configVersion, meta);
  }

  /** Another lead named one of this lead's identifiers and could not merge. */
  noteConflict(conflict: Conflict): Promise<void> {
    return this.people.noteConflict(conflict);
  }

  /** Records sales' verdict: stage change, verdict webhook and funnel count, in one transaction. */
  async verdict(input: VerdictInput, configVersion: number, meta: IngestMeta): Promise<{ ok: true; stage: Stage; verdict: Verdict } | { ok: false; status: 404 | 409; message: string }> {
    const config = this.state && (await this.configAt(this.state.site, configVersion));
    // Checked after the await: an erase may have run meanwhile.
    if (!this.state || !config) return { ok: false, status: 404, message: 'no such visitor' };
    const score = computeScore(this.state.aggregates, config, meta.receivedAt);
    const outcome = applyVerdict(this.state, input, score.total, score.fit, meta.receivedAt);
    if (!outcome.ok) return { ok: false, status: 409, message: outcome.message };
    if ('unchanged' in outcome) return { ok: true, stage: outcome.state.stage, verdict: outcome.verdict };
    this.commit(outcome.state, config, meta, {
      ...NO_EVENTS,
      transitions: outcome.transition ? [outcome.transition] : [],
      verdict: { ...outcome.verdict, funnelStage: outcome.funnelStage },
      training: verdictLabel(this.state, input, config, meta.receivedAt),
    });
    return { ok: true, stage: outcome.state.stage, verdict: outcome.verdict };
  }

  /**
   * The re-staging pass (SiteObject): under config `version`, does this lead now pass a stage it
   * has not reached? If so it moves, with its webhooks when `alert`, quietly otherwise. Returns
   * whether it moved.
   */
  async restage(configVersion: number, alert: boolean, adminBaseUrl: string): Promise<boolean> {
    const config = this.state && (await this.configAt(this.state.site, configVersion));
    // Checked after the await: an erase may have run meanwhile.
    if (!this.state || !config) return false;
    const now = Date.now();
    const transition = restageTransition(this.state, config, now);
    if (!transition) return false;
    const next: VisitorState = { ...this.state, stage: transition.to, stageSince: now };
    this.commit(next, config, { receivedAt: now, adminBaseUrl }, { ...NO_EVENTS, transitions: [transition], quiet: !alert });
    return true;
  }

  /** Records a won/lost outcome as the lead's training label (sent to the site object through the outbox). */
  async outcome(input: OutcomeInput, configVersion: number, meta: IngestMeta): Promise<{ ok: true; stage: Stage } | { ok: false; status: 404 | 409; message: string }> {
    const config = this.state && (await this.configAt(this.state.site, configVersion));
    // Checked after the await: an erase may have run meanwhile.
    if (!this.state || !config) return { ok: false, status: 404, message: 'no such visitor' };
    const label = outcomeLabel(this.state, input, config, meta.receivedAt);
    if (!label.ok) return { ok: false, status: 409, message: label.message };
    this.commit(this.state, config, meta, { ...NO_EVENTS, transitions: [], training: label.update });
    return { ok: true, stage: this.state.stage };
  }

  /**
   * Persists a change and the outbox rows it causes atomically, then starts delivering them
   * (the alarm, armed in the same breath, is the backup).
   */
  private commit(next: VisitorState, config: SiteConfig, meta: IngestMeta, change: VisitorChange) {
    const now = meta.receivedAt;
    const planned = planChange(next, change, config, {
      now,
      adminBaseUrl: meta.adminBaseUrl,
      recentTimeline: (limit) => this.store.timeline(limit),
      newId: () => crypto.randomUUID(),
    });
    // Most beacons are one statement (the state row, or it and a timeline row through a trigger): atomic by itself, and a
    // transaction around it costs more CPU than the write.
    const save = this.store.plan(change.timeline);
    try {
      if (save.oneStatement && planned.rows.length === 0 && change.transitions.length === 0 && !change.seenIds && !change.history) this.store.save(planned.state, save);
      else {
        this.ctx.storage.transactionSync(() => {
          this.store.save(planned.state, save);
          this.faults.midTransaction?.();
          if (change.seenIds) this.store.rememberIds(change.seenIds);
          if (change.history) this.store.appendTransitions(change.history);
          this.store.appendTransitions(change.transitions);
          for (const row of planned.rows) this.outbox.add(row);
        });
      }
    } catch (e) {
      // Rolled back: what the store just noted in memory was never stored.
      this.store.forgetCached();
      throw e;
    }
    this.state = planned.state;
    if (planned.rows.length > 0) {
      void this.ctx.storage.setAlarm(now + 5_000);
      this.faults.afterCommit?.();
      this.ctx.waitUntil(this.pump());
    }
  }

  /** The current decision, without recording anything (a visitor never seen gets the anonymous one). */
  async decide(site: string, anonymousId: string, configVersion: number, now: number): Promise<Decision> {
    const config = await this.configAt(site, configVersion);
    return this.decision(this.state ?? newVisitorState(site, anonymousId, now), config, now);
  }

  profile(config: SiteConfig, now: number): VisitorProfile | null {
    if (!this.state) return null;
    return buildProfile(this.state, this.store.transitions(), this.store.timeline(), config, now);
  }

  /** This object's id when it holds a person (leadStub's answer for a linked browser), else null. */
  personId(): string | null {
    return isPerson(this.state) ? this.state.anonymousId : null;
  }

  /** The person this browser joined, if it did (its profile is the person's). */
  linkedTo(): string | null {
    return this.link?.person ?? null;
  }

  /** A person's browsers and identifiers (what erasing it must reach); null for anything else. */
  personInfo(): PersonReach | null {
    if (!isPerson(this.state)) return null;
    const p = this.state.person;
    return { browsers: p.parts.flatMap((part) => (part.browser === FOLDED ? part.foldedBrowsers ?? [] : [part.browser])), identifiers: p.identifiers, persons: p.absorbedPersons ?? [] };
  }

  /**
   * Detaches a browser: the person keeps the sum of the others (and its stage), and the browser's
   * events leave its timeline; the caller gives the browser its part back (restore).
   */
  async split(browser: string, configVersion: number, meta: IngestMeta): Promise<{ browser: VisitorState; history: TimelineEntry[]; score: { person: number; browser: number } } | { refused: string; status: 404 | 409; code: string }> {
    if (!isPerson(this.state)) return { refused: 'no such person', status: 404, code: 'unknown_person' };
    const config = await this.configAt(this.state.site, configVersion);
    if (!isPerson(this.state)) return { refused: 'no such person', status: 404, code: 'unknown_person' };
    if (browser === FOLDED || !partOf(this.state, browser)) {
      const folded = this.state.person.parts.find((p) => p.browser === FOLDED)?.foldedBrowsers?.includes(browser);
      return folded
        ? { refused: `browser "${browser}" was folded into the person's oldest part (past ${LIMITS.maxBrowsersPerPerson} browsers) and can no longer be split`, status: 409, code: 'folded' }
        : { refused: `browser "${browser}" is not part of this person`, status: 404, code: 'unknown_browser' };
    }
    const split = splitBrowser(this.state, browser, config)!;
    const history = this.store.timeline(Infinity).filter((e) => e.browser === browser).reverse();
    this.ctx.storage.transactionSync(() => this.store.removeEntries((e) => e.browser === browser));
    this.commit(split.person, config, meta, { ...NO_EVENTS, transitions: [], refreshIndex: true });
    const now = meta.receivedAt;
    return { browser: split.browser, history: history.map(({ browser: _b, ...e }) => e), score: { person: scoreTotals(split.person.aggregates, config, now).total, browser: scoreTotals(split.browser.aggregates, config, now).total } };
  }

  /** A browser split off its person gets its own state and history back, and is its own lead again. */
  async restore(state: VisitorState, history: TimelineEntry[], configVersion: number, meta: IngestMeta) {
    const config = await this.configAt(state.site, configVersion);
    this.ctx.storage.sql.exec('DROP TABLE IF EXISTS link');
    this.link = null;
    this.commit({ ...state, indexedAt: undefined }, config, meta, { ...NO_EVENTS, timeline: history, transitions: [], isNewVisitor: false });
  }

  deliveries() {
    return this.outbox.log();
  }

  /** Queues a finished delivery again with the same webhook-id and a full retry schedule. */
  async redeliver(id: string, now: number): Promise<boolean> {
    const row = this.outbox.get(id);
    if (!row || row.kind !== 'webhook' || row.status === 'pending') return false;
    // The alarm before the row: pending work never exists without one.
    await this.ctx.storage.setAlarm(now + 5_000);
    if (!this.outbox.requeue(id, now)) return false;
    this.ctx.waitUntil(this.pump());
    return true;
  }

  /**
   * Erases everything about this visitor: state, timeline, deliveries, alarm. Unless the whole
   * site is being deleted, one row stays: when it was erased (with an alarm to drop it after
   * ERASED_TOMBSTONE_DAYS), so the browser's old queue cannot restore it.
   */
  async erase(opts: { tombstone?: boolean } = {}): Promise<boolean> {
    const existed = this.state !== null || this.link !== null;
    // Identifiers this browser or person owns leave with it (a new browser naming them starts over).
    const owner = this.state && { site: this.state.site, id: this.state.anonymousId, keys: this.state.person?.identifiers ?? this.state.identifiers ?? [] };
    this.link = null;
    // Erasing again keeps the first erasure's time: its tombstone must outlive the second erase.
    const at = existed ? Date.now() : this.erasedAt;
    const deleted = this.ctx.storage.deleteAll();
    // New, empty stores before the first await: a delivery attempt ending meanwhile sees it is no longer live and writes nothing.
    [this.store, this.outbox] = this.openStores(new Map());
    this.state = null;
    this.erasedAt = null;
    await this.ctx.storage.deleteAlarm();
    await deleted;
    if (owner) for (const key of owner.keys) await identityShard(this.env, owner.site, key).release(key, owner.id);
    if (at !== null && opts.tombstone !== false) {
      writeTombstone(this.ctx.storage.sql, at);
      this.erasedAt = at;
      await this.ctx.storage.setAlarm(at + ERASED_TOMBSTONE_DAYS * DAY_MS);
    }
    return existed;
  }

  /**
   * Retention and delivery retries. Whatever fails in here, the alarm is set again before this
   * returns (for the next row due, the next retention check, or after a fault, the fault backoff).
   */
  override async alarm() {
    if (!this.state && this.erasedAt !== null) {
      // Only the tombstone is left: drop it when its time is up.
      if (Date.now() >= this.erasedAt + ERASED_TOMBSTONE_DAYS * DAY_MS) await this.ctx.storage.deleteAll();
      else await this.ctx.storage.setAlarm(this.erasedAt + ERASED_TOMBSTONE_DAYS * DAY_MS);
      return;
    }
    try {
      this.fault('arm', 'alarm');
      await this.ctx.storage.setAlarm(Date.now() + ALARM_BACKUP_MS);
    } catch (e) {
      // The re-arm at the end is the second chance.
      console.warn('alarm: could not set the backup alarm:', (e as Error).message);
    }
    let clean: boolean;
    try {
      clean = await this.alarmWork();
    } catch (e) {
      console.warn('alarm interrupted; it will run again:', (e as Error).message);
      clean = false;
    }
    // Throws only if storage refuses the alarm twice; the runtime then runs this handler again.
    await this.rearm(clean, 'alarm');
  }

  /** @returns false when something failed (the next alarm then backs off) */
  private async alarmWork(): Promise<boolean> {
    // A linked browser only drains what its outbox held when it joined.
    if (!this.state) return this.link ? this.pump('alarm') : true;
    // Reload the config: endpoints and retention may have changed since the last beacon.
    this.loaded = null;
    this.fault('config', 'alarm');
    const config = await this.currentConfig();
    if (!config) {
      // The site was deleted (a failed read throws instead): this object goes too, as its directory shard may never have heard of it.
      await this.erase({ tombstone: false });
      return true;
    }
    let clean = true;
    this.refreshIndexIfDue(config);
    try {
      if ((await this.applyRetention(config)) === 'erased') return true;
    } catch (e) {
      // A failed purge must not hold up the alerts.
      console.warn('retention interrupted; the alarm will retry:', (e as Error).message);
      clean = false;
    }
    return (await this.pump('alarm')) && clean;
  }

  private async applyRetention(config: SiteConfig): Promise<'erased' | 'kept'> {
    if (!this.state) return 'kept';
    const due = retentionNow(this.state, config.retentionDays, Date.now());
    if (!due.eraseVisitor) {
      this.fault('retention', 'alarm');
      this.store.purgeTimelineBefore(due.purgeBefore);
      // Finished deliveries carry copies of the same events in their payloads.
      this.outbox.purgeFinishedBefore(due.purgeBefore);
      return 'kept';
    }
    const { site, anonymousId } = this.state;
    // The index row first: if that fails, the visitor is still here and the next alarm tries again.
    this.fault('forget', 'alarm');
    await siteStub(this.env, site).forgetLead(anonymousId);
    // A beacon may have come in meanwhile.
    if (!this.state || !retentionNow(this.state, config.retentionDays, Date.now()).eraseVisitor) return 'kept';
    // A person's browsers and merged persons first: none is left pointing at a person that is gone.
    const reach = this.personInfo();
    if (reach) await eraseLinkedLeads(this.env, site, reach);
    await this.erase();
    await directoryOf(this.env, site, anonymousId).forget(anonymousId);
    return 'erased';
  }

  /**
   * A lead's row in the site's leads index carries its score as of its last refresh; while its
   * behaviour score decays, the alarm refreshes the row at least daily (the order is at most a
   * day stale).
   */
  private refreshIndexIfDue(config: SiteConfig) {
    if (!this.state) return;
    const now = Date.now();
    if (nextIndexRefresh(this.state, config, now) !== now) return;
    this.commit(this.state, config, { receivedAt: now, adminBaseUrl: config.adminBaseUrl ?? '' }, { ...NO_EVENTS, transitions: [] });
  }

  /** Everything stored about this visitor, for a data-subject access request. */
  exportData(config: SiteConfig, now: number) {
    if (!this.state) return null;
    return {
      exportedAt: new Date(now).toISOString(),
      // Every stored timeline entry, not the 100 the profile shows.
      profile: buildProfile(this.state, this.store.transitions(), this.store.timeline(Infinity), config, now),
      verdict: this.state.verdict ?? null,
      aggregates: this.state.aggregates,
      deliveries: this.outbox.log(1_000_000),
    };
  }

  private decision(state: VisitorState, config: SiteConfig, now: number): Decision {
    const score = scoreTotals(state.aggregates, config, now);
    return decide({ anonymousId: state.anonymousId, stage: state.stage, score: score.total, aggregates: state.aggregates }, config, now);
  }

  /** One delivery loop at a time; the alarm is re-armed for whatever is still pending. */
  /**
   * Delivers what is due now, a lane per target; each lane re-arms the alarm as it ends.
   * @returns once the lanes ended: false if something failed
   */
  private async pump(origin: RunOrigin = 'request'): Promise<boolean> {
    try {
      return await this.runPump(origin);
    } catch (e) {
      // Before any lane started (the config, the first read): retry after the fault backoff (the
      // alarm re-arms itself; a request does it here, and if even that cannot be written, the
      // alarm set with its rows is still there).
      console.warn('delivery interrupted; the alarm will retry:', (e as Error).message);
      if (origin === 'request') await this.rearm(false, origin).catch(() => undefined);
      return false;
    }
  }

  /** Whose object this is: its state's, or a linked browser's pointer's (its outbox still drains from here). */
  private identity(): { site: string; anonymousId: string } | null {
    if (this.state) return this.state;
    return this.link && { site: this.link.site, anonymousId: this.link.aid };
  }

  private async currentConfig(): Promise<SiteConfig | null> {
    const who = this.identity();
    if (!who) return null;
    this.loaded ??= await loadSiteConfig(this.env, who.site);
    return this.loaded?.config ?? null;
  }

  /** The config this object holds, if it is at `version` or newer (no await: the common case). */
  private configIfCurrent(version: number): SiteConfig | null {
    return this.loaded && this.loaded.version >= version ? this.loaded.config : null;
  }

  /**
   * The site config at `version` or newer (versions only grow). This object keeps the one it
   * last used and reads the isolate's cache, then the site object, only when a caller has seen
   * a newer version.
   */
  private async configAt(site: string, version: number): Promise<SiteConfig> {
    const current = this.configIfCurrent(version);
    if (current) return current;
    let loaded = await loadSiteConfig(this.env, site);
    if (!loaded || loaded.version < version) {
      forgetSiteConfig(site);
      loaded = await loadSiteConfig(this.env, site);
    }
    // The caller found this site a moment ago and sites are never deleted.
    if (!loaded) throw new Error(`site "${site}" has no config`);
    this.loaded = loaded;
    return loaded.config;
  }

  /**
   * configAt, or when the site object cannot be read, the copy the Worker sent (it serves beacons
   * from memory while the site object is down); null asks the Worker for that copy.
   */
  private async configOrFallback(site: string, version: number, fallback: SiteConfigInput | undefined): Promise<SiteConfig | null> {
    try {
      return await this.configAt(site, version);
    } catch (e) {
      if (!fallback) return null;
      const resolved = resolveConfig(fallback);
      if (!resolved.ok) throw e;
      console.warn(`site "${site}": config unreadable, using the Worker's copy of version ${version}:`, (e as Error).message);
      return resolved.config;
    }
  }

  private async runPump(origin: RunOrigin): Promise<boolean> {
    const outbox = this.outbox;
    this.fault('config', origin);
    const config = await this.currentConfig();
    const who = this.identity();
    if (!config || !who) return who === null;
    const { site, anonymousId } = who;
    const fault = (step: FaultStep) => this.fault(step, origin);
    return this.lanes.run(
      {
        outbox,
        config,
        now: Date.now,
        dev: isDev(this.env),
        live: () => this.outbox === outbox,
        notifySite: async (row) => {
          fault('notice');
          if (row.target === DIRECTORY_TARGET) {
            const { at, person } = JSON.parse(row.payload) as { at: number; person?: boolean };
            await directoryOf(this.env, site, anonymousId).seen(site, anonymousId, at, person);
            return;
          }
          const notice = JSON.parse(row.payload) as SiteNotice;
          await siteStub(this.env, site).recordNotice(row.id, notice.stages, notice.at, notice.lead, notice.training, notice.absorbed);
        },
        disableEndpoint: async (endpointId) => {
          fault('disable');
          await siteStub(this.env, site).disableWebhook(endpointId);
          forgetSiteConfig(site);
          this.loaded = null;
        },
        claimDemoAlert: async (row) => {
          fault('claim');
          return siteStub(this.env, site).claimDemoAlert(row.id, config.alerts.demoRequestsPerHour);
        },
        fault,
        fetch: (input, init) => {
          fault('fetch');
          return fetch(input, init);
        },
      },
      (clean) => this.rearm(clean, origin),
    );
  }

  /**
   * Sets the alarm for the next row due or retention check, or deletes it when there is neither.
   * Never in the past: work due now runs now (1 ms ahead), and after a fault no sooner than the
   * fault backoff. A failed write is tried once more with a time that needs no reads.
   */
  private async rearm(clean: boolean, origin: RunOrigin) {
    this.faultStreak = clean ? 0 : this.faultStreak + 1;
    try {
      this.fault('rearm', origin);
      const at = this.nextAlarm(Date.now());
      if (at === null) await this.ctx.storage.deleteAlarm();
      else await this.ctx.storage.setAlarm(at);
    } catch (e) {
      console.warn('could not set the next alarm; trying again:', (e as Error).message);
      this.faultStreak += 1;
      await this.ctx.storage.setAlarm(Date.now() + faultBackoffMs(this.faultStreak));
    }
  }

  /** One alarm serves all: the next delivery retry, retention check, index refresh, or the end of an erasure's tombstone. */
  private nextAlarm(now: number): number | null {
    const delivery = nextDeliveryWake(this.outbox.nextByTarget(), this.lanes.busy());
    const config = this.loaded?.config;
    // Without a config (it failed to load) retention is checked again at the fault backoff.
    const retention = !this.state ? null : config === undefined ? now : nextRetentionCheck(this.state, this.store.oldestTimelineAt(), config.retentionDays);
    const refresh = this.state && config ? nextIndexRefresh(this.state, config, now) : null;
    const tombstone = this.erasedAt === null ? null : this.erasedAt + ERASED_TOMBSTONE_DAYS * DAY_MS;
    const times = [delivery, retention, refresh, tombstone].filter((t): t is number => t !== null);
    if (times.length === 0) return null;
    const wake = Math.min(...times);
    return Math.max(wake, now + Math.max(1, faultBackoffMs(this.faultStreak)));
  }

  private fault(step: FaultStep, origin: RunOrigin) {
    this.faults.step?.(step, origin);
  }
}
