/**
 * A visitor's bounded aggregates: everything scoring and decisions need, updated event by event.
 * Size is bounded by the config's rule count and the topic/name caps, never by history.
 */
import type { SiteConfig } from '../schema/config';
import type { LeadEvent, Traits } from '../schema/events';
import { LIMITS } from '../schema/limits';
import { addDecayed, valueAt, type Decayed } from './decay';
import { eventKey, matchingRules } from './match';

/** One behaviour rule's history: decayed hit count plus plain facts for display. */
export type RuleAggregate = Decayed & { count: number; last: number };

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
  demoRequestedAt: number | null;
};

export function emptyAggregates(now: number): Aggregates {
  return { firstSeen: now, lastSeen: now, eventCount: 0, counts: {}, rules: {}, topics: {}, traits: {}, demoRequestedAt: null };
}

/**
 * Folds one event (at its corrected time `at`) into the aggregates. Returns the ids of the
 * behaviour rules it counted for (cooldowns respected).
 * @example applyEvent(agg, makeEvent({ type: 'download' }), config, Date.now()) // ['ebook-download']
 */
export function applyEvent(agg: Aggregates, event: LeadEvent, path: string, config: SiteConfig, at: number): string[] {
  const halfLife = config.scoring.halfLifeDays;
  // The first event sets both ends: the object's creation time is not an event.
  agg.lastSeen = agg.eventCount === 0 ? at : Math.max(agg.lastSeen, at);
  agg.firstSeen = agg.eventCount === 0 ? at : Math.min(agg.firstSeen, at);
  agg.eventCount += 1;
  countEventKey(agg, eventKey(event));
  if (event.type === 'identify') agg.traits = mergeTraits(agg.traits, event.traits);
  if (event.type === 'demo_request') agg.demoRequestedAt = Math.max(agg.demoRequestedAt ?? 0, at);
  for (const topic of event.topics ?? []) addTopic(agg, topic, at, halfLife);

  const counted: string[] = [];
  for (const rule of matchingRules(config.scoring.behavior, event, path)) {
    // Own properties only: a rule named like an Object.prototype property must not read it.
    const prev = Object.hasOwn(agg.rules, rule.id) ? agg.rules[rule.id] : undefined;
    const cooldownMs = rule.cooldownMinutes * 60_000;
    if (prev && cooldownMs > 0 && Math.abs(at - prev.last) < cooldownMs) continue;
    const next = addDecayed(prev, 1, at, halfLife);
    agg.rules[rule.id] = { value: next.value, ref: next.ref, count: (prev?.count ?? 0) + 1, last: Math.max(prev?.last ?? 0, at) };
    counted.push(rule.id);
  }
  return counted;
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
