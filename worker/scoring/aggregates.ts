/**
 * A visitor's bounded aggregates: everything scoring and decisions need, updated event by event.
 * Size is bounded by the config's rule count and the topic/name caps, never by history.
 */
import type { SiteConfig } from '../schema/config';
import type { LeadEvent, Traits } from '../schema/events';
import { LIMITS } from '../schema/limits';
import { addDecayed, valueAt, type Decayed } from './decay';
import { eventKey, matchingRules } from './match';

/**
 * One behaviour rule's history: decayed hit count plus plain facts for display (`last`: the time
 * of the latest event it counted). A rule with a cooldown also keeps `hits`: for each cooldown-long cell of
 * the clock it counted (see applyEvent), the time of the earliest event seen in it, oldest first;
 * rows stored before have `last` only, which then stands for the one cell remembered.
 */
export type RuleAggregate = Decayed & { count: number; last: number; hits?: number[] };

/**
 * Cells a rule with a cooldown remembers: the newest it counted within the late-arrival window.
 * Bounds the aggregates; beyond it, see applyEvent.
 */
export const COOLDOWN_CELLS_KEPT = 16;

export type Aggregates = {
  firstSeen: number;
  lastSeen: number;
  eventCount: number;
  /** Events per type, and per custom `track` name. */
  counts: Record<string, number>;
  rules: Record<string, RuleAggregate>;
  /** Decayed interest per topic. */
  topics: Record<string, Decayed>;
  traits: Traits;
  /** When the traits were last set (the latest identify's time): a person's browsers merge traits in this order. */
  traitsAt?: number;
  demoRequestedAt: number | null;
};

export function emptyAggregates(now: number): Aggregates {
  return { firstSeen: now, lastSeen: now, eventCount: 0, counts: {}, rules: {}, topics: {}, traits: {}, demoRequestedAt: null };
}

/**
 * Folds one event (at its corrected time `at`) into the aggregates. Returns the ids of the
 * behaviour rules it counted for.
 *
 * Cooldowns do not depend on arrival order: a rule with a cooldown of C minutes counts at most one
 * event per C-minute cell of a fixed clock grid (cells start at multiples of C since the Unix
 * epoch, UTC), credited at the earliest event seen in the cell, so the same events give the same
 * count and points whichever order they arrive in. The rule remembers the cells it counted until
 * they are older than any event can still be (events are clamped to the 7 days before receipt),
 * at most the newest COOLDOWN_CELLS_KEPT: an event older than all of them once that many are kept
 * is not counted (only events arriving out of order, more than that many counted cells late, can
 * meet this).
 * @example applyEvent(agg, makeEvent({ type: 'download' }), '/ebook', config, Date.now()) // ['ebook-download']
 */
export function applyEvent(agg: Aggregates, event: LeadEvent, path: string, config: SiteConfig, at: number): string[] {
  const halfLife = config.scoring.halfLifeDays;
  // The first event sets both ends: the object's creation time is not an event.
  agg.lastSeen = agg.eventCount === 0 ? at : Math.max(agg.lastSeen, at);
  agg.firstSeen = agg.eventCount === 0 ? at : Math.min(agg.firstSeen, at);
  agg.eventCount += 1;
  countEventKey(agg, eventKey(event));
  if (event.type === 'identify') {
    agg.traits = mergeTraits(agg.traits, event.traits);
    agg.traitsAt = Math.max(agg.traitsAt ?? at, at);
  }
  if (event.type === 'demo_request') agg.demoRequestedAt = Math.max(agg.demoRequestedAt ?? 0, at);
  for (const topic of event.topics ?? []) addTopic(agg, topic, at, halfLife);

  const counted: string[] = [];
  for (const rule of matchingRules(config.scoring.behavior, event, path)) {
    // Own properties only: a rule named like an Object.prototype property must not read it.
    const prev = Object.hasOwn(agg.rules, rule.id) ? agg.rules[rule.id] : undefined;
    const cooldownMs = rule.cooldownMinutes * 60_000;
    const next = cooldownMs > 0 ? withCooldown(prev, at, cooldownMs, agg.lastSeen - LIMITS.maxEventAgeMs, halfLife) : counting(prev, at, halfLife);
    agg.rules[rule.id] = next;
    if (next.count !== (prev?.count ?? 0)) counted.push(rule.id);
  }
  return counted;
}

/** A rule without a cooldown counts every event. */
function counting(prev: RuleAggregate | undefined, at: number, halfLife: number): RuleAggregate {
  const acc = addDecayed(prev, 1, at, halfLife);
  return { value: acc.value, ref: acc.ref, count: (prev?.count ?? 0) + 1, last: Math.max(prev?.last ?? at, at) };
}

/**
 * A rule with a cooldown: one count per cell (see applyEvent). `horizon`: no event earlier than
 * this can arrive any more (the newest event's time less the 7-day clamp), so older cells are forgotten.
 */
function withCooldown(prev: RuleAggregate | undefined, at: number, cooldownMs: number, horizon: number, halfLife: number): RuleAggregate {
  const cellOf = (t: number) => Math.floor(t / cooldownMs);
  // The usual case (a visitor reading page after page): another event in the newest counted cell,
  // no earlier than its credit. Nothing changes, and nothing is copied (it runs for every event).
  if (prev) {
    const newest = prev.hits ? prev.hits[prev.hits.length - 1] : prev.last;
    if (newest !== undefined && at >= newest && cellOf(newest) === cellOf(at)) return prev;
  }
  const hits = (prev ? prev.hits ?? [prev.last] : []).filter((t) => (cellOf(t) + 1) * cooldownMs > horizon);
  const cell = cellOf(at);
  const same = hits.findIndex((t) => cellOf(t) === cell);
  if (prev && same !== -1) {
    if (at >= hits[same]!) return { ...prev, hits };
    // Counted already, by a later event: this earlier one takes the credit over (arrival order must not matter).
    const acc = addDecayed(addDecayed(prev, -1, hits[same]!, halfLife), 1, at, halfLife);
    hits[same] = at;
    return { value: acc.value, ref: acc.ref, count: prev.count, last: hits[hits.length - 1]!, hits };
  }
  if (prev && hits.length >= COOLDOWN_CELLS_KEPT && cell < cellOf(hits[0]!)) return { ...prev, hits };
  const acc = addDecayed(prev, 1, at, halfLife);
  hits.splice(sortedIndex(hits, at), 0, at);
  if (hits.length > COOLDOWN_CELLS_KEPT) hits.shift();
  return { value: acc.value, ref: acc.ref, count: (prev?.count ?? 0) + 1, last: hits[hits.length - 1]!, hits };
}

function sortedIndex(sorted: number[], value: number): number {
  let i = sorted.length;
  while (i > 0 && sorted[i - 1]! > value) i--;
  return i;
}

function countEventKey(agg: Aggregates, key: string) {
  if (Object.hasOwn(agg.counts, key)) {
    agg.counts[key] = (agg.counts[key] ?? 0) + 1;
  } else if (Object.keys(agg.counts).length < LIMITS.maxTrackedEventNames + 7) {
    agg.counts[key] = 1;
  }
}

function addTopic(agg: Aggregates, topic: string, at: number, halfLife: number) {
  const known = Object.hasOwn(agg.topics, topic);
  agg.topics[topic] = addDecayed(known ? agg.topics[topic] : undefined, 1, at, halfLife);
  // Only a new topic can take the map over its cap.
  if (known) return;
  const names = Object.keys(agg.topics);
  if (names.length <= LIMITS.maxTrackedTopics) return;
  const weakest = names.reduce((a, b) =>
    valueAt(agg.topics[a]!, at, halfLife) <= valueAt(agg.topics[b]!, at, halfLife) ? a : b,
  );
  delete agg.topics[weakest];
}

/**
 * Later traits win field by field; custom traits merge key by key, and a visitor keeps at most
 * LIMITS.maxCustomTraits of them: past that, the oldest names not in this update are dropped.
 */
export function mergeTraits(current: Traits, update: Traits): Traits {
  const merged: Traits = { ...current };
  for (const [key, value] of Object.entries(update) as [keyof Traits, Traits[keyof Traits]][]) {
    if (value === undefined || key === 'custom') continue;
    (merged as Record<string, unknown>)[key] = value;
  }
  if (update.custom) {
    const custom = { ...current.custom, ...update.custom };
    const names = Object.keys(custom);
    // Insertion order: the stored names first, oldest first, then this update's new ones.
    for (let i = 0, excess = names.length - LIMITS.maxCustomTraits; excess > 0 && i < names.length; i++) {
      if (Object.hasOwn(update.custom, names[i]!)) continue;
      delete custom[names[i]!];
      excess--;
    }
    merged.custom = custom;
  }
  return merged;
}

/**
 * Topics ordered by decayed interest at `now`, strongest first.
 * @example topTopics(agg, now, 30, 3) // ['analytics', 'pricing']
 */
export function topTopics(agg: Aggregates, now: number, halfLifeDays: number, n = 3): string[] {
  return Object.entries(agg.topics)
    .map(([topic, acc]) => [topic, valueAt(acc, now, halfLifeDays)] as const)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([topic]) => topic);
}

/** Has the visitor done this (an event type or a custom `track` name)? */
export function hasDone(agg: Aggregates, key: string): boolean {
  return (Object.hasOwn(agg.counts, key) ? agg.counts[key] ?? 0 : 0) > 0;
}
