/**
 * A reference model of one visitor, written from the documentation (README "Site config",
 * "Stages", "Scoring semantics", the HTTP API table, the schema's comments) and not from the
 * Worker's code: it imports types only. The stateful fuzz suite (test/worker/stateful-fuzz.test.ts)
 * drives the real Worker and this model with the same commands and compares what a user sees.
 *
 * It keeps the events applied to the visitor, in the order they were applied, and recomputes
 * everything shown (event count, counts, traits, topics, score and its breakdown) from that list
 * each time it is asked. Only what the documentation says happens at a moment is kept as it
 * happened: which rules an event counted for (matching and cooldowns are decided when the event
 * arrives), stage transitions (stages only move forward, each with its triggering event), verdicts.
 *
 * reference-people.ts builds people on it: a person is a visitor whose events come from its
 * browsers' parts (each itself a visitor), so the hooks it needs (an event counted elsewhere,
 * copies, traits and timeline order) are protected or public here.
 *
 * Scope: `scoring.halfLifeDays` must be 0 (no decay: time does not change a score), and traits,
 * topics and props are plain (the suite's generators stay inside what is documented).
 */
import type { SiteConfigInput, Stage } from '../../worker/schema/config';
import type { EventType } from '../../worker/schema/events';

export type RefTraits = {
  email?: string;
  name?: string;
  company?: string;
  title?: string;
  companySize?: number | string;
  custom?: Record<string, string | number | boolean | null>;
};

/** An event as the client captured it; `ts` is also the time the model uses (client and server clocks agree in the suite). */
export type RefEvent = {
  id: string;
  type: EventType;
  ts: number;
  path: string;
  topics?: string[];
  traits?: RefTraits;
  name?: string;
  ctaId?: string;
  props?: Record<string, string | number | boolean | null>;
};

export type RefVerdictInput = { verdict: 'accepted'; reason?: string } | { verdict: 'rejected'; reason: string; action: 'disqualify' | 'recycle' };

export type RefTransition = { from: Stage; to: Stage; score: number; fit: number; trigger: { type: string; id?: string } };

export type RefScoreLine = { rule: string; kind: 'behavior' | 'fit'; points: number; count?: number };

export type RefView = {
  stage: Stage;
  eventCount: number;
  counts: Record<string, number>;
  traits: RefTraits;
  topics: { topic: string; weight: number }[];
  score: { total: number; behavior: number; fit: number; breakdown: RefScoreLine[] };
  stageHistory: RefTransition[];
  /** Event ids, newest (last applied) first. */
  timeline: string[];
  firstSeen: number;
  lastSeen: number;
};

export type RefBeaconAnswer = { accepted: number; duplicates: number; tracked: boolean; erased?: true; stage: Stage; score: number };

export type RefVerdictAnswer =
  | { status: 404; code: 'unknown_visitor' }
  | { status: 409; code: 'not_a_lead' }
  | { status: 200; stage: Stage; unchanged: boolean; verdict: { verdict: string; action?: string; reason?: string; at: number } };

/** An event applied: when it counts, the rules it counted for, and (a person's) the browser that sent it. */
export type RefApplied = { event: RefEvent; at: number; counted: string[]; browser?: string };
type Applied = RefApplied;
type Rule = NonNullable<NonNullable<SiteConfigInput['scoring']>['behavior']>[number];
type FitRule = NonNullable<NonNullable<SiteConfigInput['scoring']>['fit']>[number];
type Thresholds = { score: number; fit: number };

const RANK: Record<Stage, number> = { anonymous: 0, known: 1, mql: 2, sql: 3, sal: 4, disqualified: 4 };
const VERDICT_STAGE = { accepted: 'sal', disqualify: 'disqualified', recycle: 'mql' } as const;
/** Cells a cooldown rule remembers (README "Cooldowns"): written from the docs, not imported. */
const COOLDOWN_CELLS_KEPT = 16;

export class ReferenceVisitor {
  protected config!: SiteConfigInput;
  /** The current visitor's applied events (an erasure starts a new list). */
  protected applied: Applied[] = [];
  protected exists = false;
  protected stage: Stage = 'anonymous';
  protected history: RefTransition[] = [];
  protected verdictNow: { verdict: string; action?: string; reason?: string; at: number } | null = null;
  protected recycledAt: number | null = null;
  /** When the visitor was last erased: events captured before it are refused for good. */
  protected erasedAt: number | null = null;
  /** Alerts the site's webhook should receive, one entry each (see `alerts`). */
  protected expectedAlerts: string[] = [];

  /** Also alert `lead.mql` (a lead entering MQL by its score, not by a verdict) for suites that subscribe to it. */
  alertMql = false;

  constructor(config: SiteConfigInput) {
    this.setConfig(config);
  }

  /** This visitor's state, copied into `this` (a browser's state becoming a person's, a part becoming a browser again). */
  protected copyFrom(other: ReferenceVisitor) {
    const data = structuredClone({ config: other.config, applied: other.applied, exists: other.exists, stage: other.stage, history: other.history, verdictNow: other.verdictNow, recycledAt: other.recycledAt, erasedAt: other.erasedAt });
    Object.assign(this, data);
    this.alertMql = other.alertMql;
  }

  /**
   * What a browser is as a person's part, or after it leaves one: its events and its stage; no
   * verdict (a verdict is a lead's, the person's), no stage history (it stays with the lead it was
   * recorded on), and `erasedAt` for its tombstone. Alerts start empty (a part alerts nobody).
   */
  asPart(erasedAt: number | null = null): ReferenceVisitor {
    const c = this.copy();
    c.verdictNow = null;
    c.recycledAt = null;
    c.history = [];
    c.erasedAt = erasedAt;
    return c;
  }

  /** The traits as they stand (later identifies win field by field). */
  traitsNow(): RefTraits {
    return this.traits();
  }

  /** A copy (alerts start empty): what the visitor is, apart. */
  copy(): ReferenceVisitor {
    const c = new ReferenceVisitor(this.config);
    c.copyFrom(this);
    return c;
  }

  /** A new config version: points, caps and thresholds apply at once to what was counted; matching and cooldowns to events from now on. */
  setConfig(config: SiteConfigInput) {
    if ((config.scoring?.halfLifeDays ?? 30) !== 0) throw new Error('the reference model covers halfLifeDays 0 only');
    this.config = structuredClone(config);
  }

  get visitorExists() {
    return this.exists;
  }

  /** Erased at least once (its tombstone stands), with no newer events since. */
  get erasedAndGone() {
    return this.erasedAt !== null && !this.exists;
  }

  get currentStage() {
    return this.stage;
  }

  /** Ids of the events applied (the dedupe window). */
  get eventIds(): Set<string> {
    return new Set(this.applied.map((a) => a.event.id));
  }

  /** The events applied, in the order they were. */
  get events(): readonly RefApplied[] {
    return this.applied;
  }

  get verdictInForce() {
    return this.verdictNow;
  }

  /** When the visitor was erased last (events captured before it are refused), or null. */
  get erasedSince() {
    return this.erasedAt;
  }

  /** In the site's leads index: known visitors and beyond. */
  get indexed() {
    return this.exists && this.stage !== 'anonymous';
  }

  /** Alerts the webhook should have received, as `type:detail` keys (one per alert). */
  get alerts(): readonly string[] {
    return this.expectedAlerts;
  }

  /**
   * A beacon: each event id is applied once; after an erasure, events captured before it are
   * refused and the answer says `erased`. Events of one beacon are applied oldest first.
   */
  beacon(events: RefEvent[]): RefBeaconAnswer {
    const ids = new Set(this.applied.map((a) => a.event.id));
    const unseen = events.filter((e) => !ids.has(e.id));
    const duplicates = events.length - unseen.length;
    const erasedAt = this.erasedAt;
    const fresh = erasedAt === null ? unseen : unseen.filter((e) => e.ts >= erasedAt);
    if (fresh.length > 0) this.apply(fresh);
    const { total } = this.score();
    const answer: RefBeaconAnswer = { accepted: fresh.length, duplicates, tracked: true, stage: this.stage, score: this.exists ? total : 0 };
    if (fresh.length < unseen.length) return { ...answer, tracked: fresh.length > 0, erased: true };
    return answer;
  }

  /** Sales' verdict, at time `at`: accepted -> sal, rejected + disqualify -> disqualified, rejected + recycle -> back to mql. */
  verdict(input: RefVerdictInput, at: number): RefVerdictAnswer {
    if (!this.exists) return { status: 404, code: 'unknown_visitor' };
    if (this.stage === 'anonymous') return { status: 409, code: 'not_a_lead' };
    const action = input.verdict === 'rejected' ? input.action : undefined;
    const target = VERDICT_STAGE[action ?? 'accepted'];
    const current = this.verdictNow;
    // The same verdict again, already in force: nothing to record, send or count.
    if (current && current.verdict === input.verdict && current.action === action && (current.reason ?? '') === (input.reason ?? '') && this.stage === target) {
      return { status: 200, stage: this.stage, unchanged: true, verdict: current };
    }
    this.verdictNow = { verdict: input.verdict, ...(action ? { action } : {}), ...(input.reason ? { reason: input.reason } : {}), at };
    if (action === 'recycle') this.recycledAt = at;
    if (this.stage !== target) this.move(target, { type: 'verdict' }, true);
    this.expectedAlerts.push(`lead.verdict:${input.verdict}/${action ?? ''}`);
    return { status: 200, stage: this.stage, unchanged: false, verdict: this.verdictNow };
  }

  /** Erasure at time `at`: everything goes, and events captured before `at` can never come back. */
  erase(at: number): { status: 200 | 404 } {
    if (!this.exists) return { status: 404 };
    this.forget(at);
    return { status: 200 };
  }

  /** Everything goes; with `erasedAt`, events captured before it can never come back. */
  forget(erasedAt: number | null) {
    this.applied = [];
    this.exists = false;
    this.stage = 'anonymous';
    this.history = [];
    this.verdictNow = null;
    this.recycledAt = null;
    this.erasedAt = erasedAt;
  }

  /**
   * The re-staging pass after a config save: a lead (known and beyond) that now passes a stage it
   * has not reached moves there, as if its next event had come; quietly (no alert). Returns the move.
   */
  restage(): RefTransition | null {
    if (!this.indexed) return null;
    const to = this.qualifiedMove();
    if (!to) return null;
    return this.move(to, { type: 'restage' }, false);
  }

  /** Does a save from `before` to `after` start a re-staging pass? (Only when thresholds or scoring changed.) */
  static changesStaging(before: SiteConfigInput, after: SiteConfigInput): boolean {
    return JSON.stringify([before.stages, before.scoring]) !== JSON.stringify([after.stages, after.scoring]);
  }

  /** What the profile shows, recomputed from the applied events; null when there is no visitor. */
  view(): RefView | null {
    if (!this.exists) return null;
    const counts: Record<string, number> = {};
    const topicCounts = new Map<string, number>();
    for (const { event } of this.applied) {
      const key = event.type === 'track' ? event.name! : event.type;
      counts[key] = (counts[key] ?? 0) + 1;
      for (const t of new Set(event.topics ?? [])) topicCounts.set(t, (topicCounts.get(t) ?? 0) + 1);
    }
    const topics = [...topicCounts]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 10)
      .map(([topic, weight]) => ({ topic, weight }));
    const times = this.applied.map((a) => a.at);
    return {
      stage: this.stage,
      eventCount: this.applied.length,
      counts,
      traits: this.traits(),
      topics,
      score: this.score(),
      stageHistory: this.history.map((t) => ({ ...t, trigger: { ...t.trigger } })),
      timeline: this.timelineIds(),
      firstSeen: Math.min(...times),
      lastSeen: Math.max(...times),
    };
  }

  /** Event ids, newest (last applied) first. */
  protected timelineIds(): string[] {
    return this.applied.map((a) => a.event.id).reverse();
  }

  // ---- events -------------------------------------------------------------------------------

  private apply(events: RefEvent[]) {
    this.exists = true;
    for (const event of oldestFirst(events)) this.applyOwn(event);
  }

  /** One event, counted by this visitor's own rules and cooldowns; returns the rules it counted for. */
  applyOwn(event: RefEvent): string[] {
    const counted = this.rulesCountedNow(event, event.ts);
    this.applyCounted(event, counted);
    return counted;
  }

  /** One event whose counted rules were decided elsewhere (a person's event: by its browser's cooldowns). */
  applyCounted(event: RefEvent, counted: string[], browser?: string) {
    this.exists = true;
    this.applied.push({ event, at: event.ts, counted: [...counted], ...(browser !== undefined ? { browser } : {}) });
    if (event.type === 'demo_request') this.expectedAlerts.push(`lead.demo_requested:${event.id}`);
    this.advance({ type: event.type, id: event.id });
  }

  /** Takes applied events out (a browser leaving its person): stages stay where they are. */
  removeEvents(which: (a: RefApplied) => boolean) {
    this.applied = this.applied.filter((a) => !which(a));
  }

  /**
   * Scoring moves a known visitor forward, never back, and never out of a verdict stage; SQL is as
   * far as it goes. Returns the move, if any (with its alert).
   */
  advance(trigger: RefTransition['trigger']): RefTransition | null {
    if (!this.known() || RANK[this.stage] >= RANK.sql) return null;
    const to = this.qualifiedMove();
    return to ? this.move(to, trigger, true) : null;
  }

  /**
   * Behaviour rules of the current config that match, less those whose cooldown already counted
   * this event's cell (README "Cooldowns"): a rule with `cooldownMinutes: C` counts at most one
   * event per C-minute cell of the clock (cells from the Unix epoch), remembering the newest 16
   * cells it counted; an event in a cell older than all 16 remembered ones is not counted. (Events
   * here are minutes apart, so the 7-day horizon never comes into play.)
   */
  private rulesCountedNow(event: RefEvent, at: number): string[] {
    const counted: string[] = [];
    for (const rule of this.config.scoring?.behavior ?? []) {
      if (!matches(rule, event)) continue;
      const cooldownMs = (rule.cooldownMinutes ?? 0) * 60_000;
      if (cooldownMs > 0) {
        const cell = Math.floor(at / cooldownMs);
        const remembered = this.countedCells(rule.id, cooldownMs).slice(-COOLDOWN_CELLS_KEPT);
        if (remembered.includes(cell)) continue;
        if (remembered.length >= COOLDOWN_CELLS_KEPT && cell < remembered[0]!) continue;
      }
      counted.push(rule.id);
    }
    return counted;
  }

  /** The distinct cells (ascending) of the events this rule counted. */
  private countedCells(ruleId: string, cooldownMs: number): number[] {
    const cells = new Set<number>();
    for (const a of this.applied) if (a.counted.includes(ruleId)) cells.add(Math.floor(a.at / cooldownMs));
    return [...cells].sort((x, y) => x - y);
  }

  // ---- what follows from the applied events ------------------------------------------------------

  /** Later traits win field by field (custom traits key by key), in the order events were applied. */
  protected traits(): RefTraits {
    let traits: RefTraits = {};
    for (const { event } of this.applied) {
      if (event.type !== 'identify' || !event.traits) continue;
      const { custom, ...plain } = event.traits;
      traits = { ...traits, ...Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined)) };
      if (custom) traits.custom = { ...traits.custom, ...custom };
    }
    return traits;
  }

  private known(): boolean {
    return Boolean(this.traits().email);
  }

  /** Score and breakdown: each rule's points times the events it counted, within its cap, plus fit points. */
  score(): RefView['score'] {
    const lines: RefScoreLine[] = [];
    let behavior = 0;
    for (const rule of this.config.scoring?.behavior ?? []) {
      const count = this.applied.filter((a) => a.counted.includes(rule.id)).length;
      if (count === 0) continue;
      let points = rule.points * count;
      if (rule.maxPoints !== undefined) points = Math.max(-rule.maxPoints, Math.min(rule.maxPoints, points));
      behavior += points;
      lines.push({ rule: rule.id, kind: 'behavior', points, count });
    }
    let fit = 0;
    const traits = this.traits();
    for (const rule of this.config.scoring?.fit ?? []) {
      if (!fitMatches(rule, traits)) continue;
      fit += rule.points;
      lines.push({ rule: rule.id, kind: 'fit', points: rule.points });
    }
    lines.sort((a, b) => Math.abs(b.points) - Math.abs(a.points) || a.rule.localeCompare(b.rule));
    return { total: behavior + fit, behavior, fit, breakdown: lines };
  }

  /** The stage the visitor qualifies for now if it is further than where it is (verdict stages never move by scoring). */
  private qualifiedMove(): Stage | null {
    if (this.stage === 'sal' || this.stage === 'disqualified') return null;
    const { total, fit } = this.score();
    const mql = threshold(this.config.stages?.mql, 50);
    const sql = threshold(this.config.stages?.sql, 120);
    const recycled = this.recycledAt !== null;
    // After a recycle, only a demo request captured after it makes the lead SQL again.
    const demoAt = Math.max(-Infinity, ...this.applied.filter((a) => a.event.type === 'demo_request').map((a) => a.at));
    const demo = demoAt > (this.recycledAt ?? -Infinity);
    let target: Stage = 'known';
    if (!this.known()) target = 'anonymous';
    else if (demo || (!recycled && total >= sql.score && fit >= sql.fit)) target = 'sql';
    else if (total >= mql.score && fit >= mql.fit) target = 'mql';
    return RANK[target] > RANK[this.stage] ? target : null;
  }

  private move(to: Stage, trigger: RefTransition['trigger'], alert: boolean): RefTransition {
    const { total, fit } = this.score();
    const t: RefTransition = { from: this.stage, to, score: total, fit, trigger };
    this.history.push(t);
    if (alert) this.expectedAlerts.push(`lead.stage_changed:${t.from}>${t.to}`);
    if (alert && this.alertMql && to === 'mql' && trigger.type !== 'verdict') this.expectedAlerts.push(`lead.mql:${t.from}`);
    this.stage = to;
    return t;
  }
}

/** Oldest first; events captured at the same moment keep the order they were sent in. */
export function oldestFirst(events: readonly RefEvent[]): RefEvent[] {
  return events.map((event, i) => ({ event, i })).sort((a, b) => a.event.ts - b.event.ts || a.i - b.i).map((x) => x.event);
}

const threshold = (t: { score?: number; fit?: number } | undefined, score: number): Thresholds => ({ score: t?.score ?? score, fit: t?.fit ?? 0 });

// ---- rule matching, from the config reference --------------------------------------------------

const oneOrMany = <T>(v: T | T[] | undefined): T[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/** Every condition given must hold; an empty `when` matches every event. */
function matches(rule: Rule, event: RefEvent): boolean {
  const when = rule.when ?? {};
  const types = oneOrMany(when.type);
  if (types && !types.includes(event.type)) return false;
  if (when.name !== undefined && (event.type !== 'track' || !glob(when.name, event.name ?? '', false))) return false;
  if (when.path !== undefined && !glob(when.path, event.path, true)) return false;
  const topics = oneOrMany(when.topic)?.map((t) => t.toLowerCase());
  if (topics && !(event.topics ?? []).some((t) => topics.includes(t.toLowerCase()))) return false;
  for (const [key, expected] of Object.entries(when.props ?? {})) {
    const actual = event.props?.[key];
    if (actual !== expected) return false;
  }
  return true;
}

/**
 * Glob matching, case-insensitive. On paths, `*` matches within one segment and `**` across
 * segments; on names, `*` matches any run of characters.
 */
export function glob(pattern: string, text: string, segments: boolean): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  const memo = new Map<number, boolean>();
  const at = (i: number, j: number): boolean => {
    const key = i * (t.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === p.length) result = j === t.length;
    else if (p[i] === '*') {
      const across = !segments || p[i + 1] === '*';
      const next = across && segments ? i + 2 : i + 1;
      result = false;
      for (let k = j; k <= t.length && !result; k++) {
        result = at(next, k);
        if (!across && t[k] === '/') break;
      }
    } else result = j < t.length && p[i] === t[j] && at(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return at(0, 0);
}

// ---- fit rules ---------------------------------------------------------------------------------

function traitOf(traits: RefTraits, trait: string): unknown {
  if (trait === 'emailDomain') return traits.email ? traits.email.slice(traits.email.lastIndexOf('@') + 1).toLowerCase() : undefined;
  if (trait.startsWith('custom.')) return traits.custom?.[trait.slice('custom.'.length)];
  return (traits as Record<string, unknown>)[trait];
}

const words = (s: string) => s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
const same = (a: unknown, b: unknown) => (typeof a === 'string' && typeof b === 'string' ? a.trim().toLowerCase() === b.trim().toLowerCase() : a === b);

/** A number, or the first number written in a string: a company size "51-200" is 51, "1,000+" is 1000. */
function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const digits = /\d[\d,]*(\.\d+)?/.exec(v)?.[0];
  return digits === undefined ? undefined : Number(digits.replaceAll(',', ''));
}

function fitMatches(rule: FitRule, traits: RefTraits): boolean {
  const value = traitOf(traits, rule.trait);
  const present = value !== undefined && value !== null && value !== '';
  const m = rule.match;
  if (m.exists !== undefined && m.exists !== present) return false;
  if (!present) return m.exists === false;
  if (m.equals !== undefined && !same(value, m.equals)) return false;
  if (m.in !== undefined && !m.in.some((v) => same(value, v))) return false;
  if (m.anyWord !== undefined) {
    const have = ` ${words(String(value)).join(' ')} `;
    if (!m.anyWord.some((w) => words(w).length > 0 && have.includes(` ${words(w).join(' ')} `))) return false;
  }
  if (m.gte !== undefined || m.lte !== undefined) {
    const n = asNumber(value);
    if (n === undefined || (m.gte !== undefined && n < m.gte) || (m.lte !== undefined && n > m.lte)) return false;
  }
  return true;
}
