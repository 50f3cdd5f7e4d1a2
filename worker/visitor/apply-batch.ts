/**
 * A visitor's state machine, as plain data: fold a batch of new events into the state, and say
 * which stage transitions and demo requests it caused. The Durable Object persists the result.
 */
import type { SiteConfig, Stage } from '../schema/config';
import type { LeadEvent, Props } from '../schema/events';
import { LIMITS } from '../schema/limits';
import { applyEvent, emptyAggregates, type Aggregates } from '../scoring/aggregates';
import { eventPath } from '../scoring/match';
import { scoreTotals } from '../scoring/score';
import { mayAdvance, nextStage, type StageFacts } from '../scoring/stages';
import { keptQuery } from './query-filter';
import type { Verdict } from '../webhooks/payload';
import type { Conflict, PersonInfo } from '../people/parts';

export type VisitorState = {
  site: string;
  anonymousId: string;
  stage: Stage;
  stageSince: number;
  aggregates: Aggregates;
  /** Sales' last verdict on this lead. */
  verdict?: Verdict;
  /** When sales sent the lead back to nurture: only a newer demo request makes it SQL again. */
  recycledAt?: number;
  /** When the site's leads index last received this visitor's row. */
  indexedAt?: number;
  /** Identifier keys (`email:…`, `userId:…`) this lone browser owns: another browser naming one makes both one person. */
  identifiers?: string[];
  /** A lone browser's user agent (from its first beacon) and whether an identify of its came with a server key: what it brings to a person it becomes the first browser of. */
  userAgent?: string;
  verified?: boolean;
  /** A lone browser's identifier conflicts (a person keeps its own in `person.conflicts`). */
  conflicts?: Conflict[];
  /** Set on a person's state (the object of a person, `anonymousId` its person id): its browsers (worker/people). */
  person?: PersonInfo;
};

/** What the timeline keeps of an event (no traits values: those live once, in the aggregates). */
export type TimelineEntry = {
  id: string;
  type: LeadEvent['type'];
  name?: string;
  path: string;
  url?: string;
  title?: string;
  topics?: string[];
  ctaId?: string;
  traitKeys?: string[];
  props?: Props;
  /** Corrected event time. */
  at: number;
  receivedAt: number;
  /** Behaviour rules this event counted for. */
  rules: string[];
  /** A person's timeline: the browser (anonymous id) the event came from. */
  browser?: string;
};

export type Transition = {
  from: Stage;
  to: Stage;
  at: number;
  score: number;
  fit: number;
  trigger: { id: string; type: LeadEvent['type'] | 'verdict' | 'restage' | 'merge'; path: string; name?: string };
};

export type BatchOutcome = {
  state: VisitorState;
  timeline: TimelineEntry[];
  transitions: Transition[];
  /** Timeline entries of demo requests in this batch (each one alerts sales, whatever the stage). */
  demoRequests: TimelineEntry[];
};

export function newVisitorState(site: string, anonymousId: string, now: number): VisitorState {
  return { site, anonymousId, stage: 'anonymous', stageSince: now, aggregates: emptyAggregates(now) };
}

/**
 * Corrects a client timestamp for clock skew (using the batch's `sentAt`), then clamps it to
 * [receivedAt - maxEventAge, receivedAt].
 * @example correctedTime(1000, 2000, 5000) // 4000: the client clock was 3 s behind
 */
export function correctedTime(ts: number, sentAt: number, receivedAt: number): number {
  const t = ts + (receivedAt - sentAt);
  return Math.min(receivedAt, Math.max(receivedAt - LIMITS.maxEventAgeMs, t));
}

/** Called after each event is folded (a person checks its own stage on the sum of its browsers). */
export type AfterEvent = (state: VisitorState, event: LeadEvent, path: string) => void;

/**
 * Applies new (not yet seen) events, oldest first. Scores are evaluated at `receivedAt`.
 * Does not mutate `prev`.
 */
export function applyBatch(
  prev: VisitorState,
  events: LeadEvent[],
  sentAt: number,
  config: SiteConfig,
  receivedAt: number,
  afterEvent?: AfterEvent,
): BatchOutcome {
  const state = foldCopy(prev);
  const timeline: TimelineEntry[] = [];
  const transitions: Transition[] = [];
  const demoRequests: TimelineEntry[] = [];
  for (const { event, at } of inTimeOrder(events, sentAt, receivedAt)) {
    const path = eventPath(event);
    const rules = applyEvent(state.aggregates, event, path, config, at);
    const entry = toTimelineEntry(event, path, at, receivedAt, rules, config.privacy.keepQueryParams);
    timeline.push(entry);
    if (event.type === 'demo_request') demoRequests.push(entry);
    const moved = advance(state, config, receivedAt, () => ({ id: event.id, type: event.type, path, ...(event.type === 'track' ? { name: event.name } : {}) }));
    if (moved) transitions.push(moved);
    afterEvent?.(state, event, path);
  }
  return { state, timeline, transitions, demoRequests };
}

/**
 * Moves `state` to the stage its aggregates now qualify for, if that is further; returns the
 * transition (or null). Only known visitors below SQL can move: the others skip the score sums.
 */
export function advance(state: VisitorState, config: SiteConfig, now: number, trigger: () => Transition['trigger']): Transition | null {
  if (!mayAdvance(state.stage, Boolean(state.aggregates.traits.email))) return null;
  const score = scoreTotals(state.aggregates, config, now);
  const to = nextStage(state.stage, stageFacts(state, score.total, score.fit), config);
  if (!to) return null;
  const transition: Transition = { from: state.stage, to, at: now, score: score.total, fit: score.fit, trigger: trigger() };
  state.stage = to;
  state.stageSince = now;
  return transition;
}

/** Events with their corrected times, oldest first (a stable sort, skipped when they came in order, as the SDK sends them). */
function inTimeOrder(events: LeadEvent[], sentAt: number, receivedAt: number): { event: LeadEvent; at: number }[] {
  const timed = events.map((event) => ({ event, at: correctedTime(event.ts, sentAt, receivedAt) }));
  for (let i = 1; i < timed.length; i++) if (timed[i]!.at < timed[i - 1]!.at) return timed.sort((a, b) => a.at - b.at);
  return timed;
}

/**
 * A copy of `prev` that folding may change without touching `prev`: applyEvent mutates the
 * aggregates' scalars and their counts, rules and topics maps (replacing the entries, never
 * changing one), and replaces traits. Copies the state, its aggregates and those three maps only.
 */
function foldCopy(prev: VisitorState): VisitorState {
  const a = prev.aggregates;
  return { ...prev, aggregates: { ...a, counts: { ...a.counts }, rules: { ...a.rules }, topics: { ...a.topics } } };
}

export function stageFacts(state: VisitorState, score: number, fit: number): StageFacts {
  const demoAt = state.aggregates.demoRequestedAt;
  return {
    score,
    fit,
    known: Boolean(state.aggregates.traits.email),
    demoRequested: demoAt !== null && demoAt > (state.recycledAt ?? -1),
    recycled: state.recycledAt !== undefined,
  };
}

/** What is stored of an event: its URL without the query parameters the site does not keep (referrers are not stored). */
function toTimelineEntry(event: LeadEvent, path: string, at: number, receivedAt: number, rules: string[], keepQueryParams: readonly string[]): TimelineEntry {
  // Assigned field by field (not conditional spreads): this runs for every event.
  const entry: TimelineEntry = { id: event.id, type: event.type, path, at, receivedAt, rules };
  if (event.type === 'track') entry.name = event.name;
  if (event.type === 'cta_click') entry.ctaId = event.ctaId;
  if (event.type === 'identify') entry.traitKeys = Object.keys(event.traits);
  if (event.url) entry.url = keptQuery(event.url, keepQueryParams);
  if (event.title) entry.title = event.title;
  if (event.topics?.length) entry.topics = event.topics;
  if (event.props) entry.props = event.props;
  return entry;
}
