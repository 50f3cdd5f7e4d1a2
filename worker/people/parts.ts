/**
 * A person is the sum of its browsers. Each linked browser keeps its own aggregates (a "part"),
 * folded exactly as a lone visitor's would be; the person's aggregates are their sum. Decay is
 * linear, so a sum of decayed accumulators brought to one reference time is the accumulator of
 * all their events: the person scores what one visitor that had received every event would
 * (caps apply to the sum), and splitting a browser off is taking its part away. Pure.
 *
 * Two things do not add, and are stated here rather than approximated:
 * - Cooldowns count per browser: a rule with a cooldown counts at most once per cooldown cell on
 *   each browser, so reading the pricing page on a laptop and on a phone in the same hour counts
 *   twice (two visits). This is what keeps a merge exact and reversible.
 * - Traits: a claim is not a proof (personTraits). Verified browsers' traits win field by field,
 *   the latest identify winning; a claimed browser's only fill fields nobody set (earlier-linked
 *   first), so typing someone's email cannot rename them for sales. Topics and custom event names
 *   are capped per browser, not per person.
 */
import type { Stage } from '../schema/config';
import type { Aggregates, RuleAggregate } from '../scoring/aggregates';
import type { Traits } from '../schema/events';
import { mergeTraits } from '../scoring/aggregates';
import { decayFactor, type Decayed } from '../scoring/decay';
import type { LinkedBy } from './identifiers';

/** The part that holds the browsers folded together past the browser cap: it can no longer be split. */
export const FOLDED = 'folded';

export type Part = {
  /** The browser's anonymous id, or FOLDED. */
  browser: string;
  linkedBy: LinkedBy | 'folded';
  /** Verified (an email link token, or an identify sent with a server key): this browser is shown the person. */
  verified: boolean;
  linkedAt: number;
  userAgent?: string;
  /** The stage this browser alone has reached (what an unverified browser is shown; what it keeps after a split). */
  stage: Stage;
  stageSince: number;
  aggregates: Aggregates;
  /** When this browser was erased before it joined: its events captured before then are refused here too. */
  erasedAt?: number;
  /** FOLDED only: how many browsers it holds, and the newest of their ids (at most 20). */
  foldedCount?: number;
  foldedBrowsers?: string[];
};

export type Conflict = { at: number; identifier: string; reason: string; otherPerson?: string };

/** What a person's object keeps besides a visitor's state. */
export type PersonInfo = {
  parts: Part[];
  /** Identifier keys (`email:…`, `userId:…`) this person owns. */
  identifiers: string[];
  /** Links refused or identifiers in conflict (two userIds), newest last, at most 50. */
  conflicts: Conflict[];
  /** Persons merged into this one (their objects keep a pointer here; erasing this person erases them). */
  absorbedPersons?: string[];
};

export const CONFLICTS_KEPT = 50;

/** Browsers a person has been seen on (a folded part counts the browsers it holds). */
export function browserCount(person: PersonInfo): number {
  return person.parts.reduce((n, p) => n + (p.browser === FOLDED ? p.foldedCount ?? 0 : 1), 0);
}

function addDecayedSum(a: Decayed | undefined, b: Decayed, halfLife: number): Decayed {
  if (!a) return { value: b.value, ref: b.ref };
  const ref = Math.max(a.ref, b.ref);
  return { value: a.value * decayFactor(ref - a.ref, halfLife) + b.value * decayFactor(ref - b.ref, halfLife), ref };
}

/**
 * The aggregates of all these browsers together. Rules' cooldown cells are not summed (the sum is
 * never folded into: events go to their browser's part).
 */
export function sumAggregates(list: readonly Aggregates[], halfLife: number): Aggregates {
  const used = list.filter((a) => a.eventCount > 0);
  const first = used[0] ?? list[0];
  if (!first) throw new Error('sumAggregates: nothing to sum');
  if (used.length <= 1) return first;
  const sum: Aggregates = { firstSeen: Infinity, lastSeen: -Infinity, eventCount: 0, counts: {}, rules: {}, topics: {}, traits: {}, demoRequestedAt: null };
  for (const a of used) {
    sum.firstSeen = Math.min(sum.firstSeen, a.firstSeen);
    sum.lastSeen = Math.max(sum.lastSeen, a.lastSeen);
    sum.eventCount += a.eventCount;
    for (const [k, n] of Object.entries(a.counts)) sum.counts[k] = (Object.hasOwn(sum.counts, k) ? sum.counts[k]! : 0) + n;
    for (const [id, r] of Object.entries(a.rules)) {
      const prev: RuleAggregate | undefined = Object.hasOwn(sum.rules, id) ? sum.rules[id] : undefined;
      const acc = addDecayedSum(prev, r, halfLife);
      sum.rules[id] = { value: acc.value, ref: acc.ref, count: (prev?.count ?? 0) + r.count, last: Math.max(prev?.last ?? -Infinity, r.last) };
    }
    for (const [topic, t] of Object.entries(a.topics)) sum.topics[topic] = addDecayedSum(Object.hasOwn(sum.topics, topic) ? sum.topics[topic] : undefined, t, halfLife);
    if (a.demoRequestedAt !== null) sum.demoRequestedAt = Math.max(sum.demoRequestedAt ?? -Infinity, a.demoRequestedAt);
  }
  // Later identifies win field by field, browser by browser.
  for (const a of [...used].sort((x, y) => (x.traitsAt ?? 0) - (y.traitsAt ?? 0))) {
    if (Object.keys(a.traits).length > 0) sum.traits = mergeTraits(sum.traits, a.traits);
    if (a.traitsAt !== undefined) sum.traitsAt = Math.max(sum.traitsAt ?? a.traitsAt, a.traitsAt);
  }
  return sum;
}

/** Whether a part's own traits may change what the person is called: linked by proof (a link token, a server key) or by the site's userId. */
const trusted = (p: Part) => p.verified || p.linkedBy === 'userId';

/**
 * The person's traits. Verified browsers' traits win, field by field, the latest identify last;
 * under them, a claimed browser's traits only fill fields no browser linked before it set (and
 * none that a verified browser set). Anyone can type an email into a form: that browser adds its
 * events and what nobody said yet, never a new name for someone sales already knows.
 */
export function personTraits(parts: readonly Part[]): { traits: Traits; traitsAt?: number } {
  let traits: Traits = {};
  // Stable sort: parts linked in the same moment keep their order (the promoted browser first).
  for (const p of parts.filter((x) => !trusted(x)).sort((a, b) => a.linkedAt - b.linkedAt)) traits = mergeTraits(p.aggregates.traits, traits);
  for (const p of parts.filter(trusted).sort((a, b) => (a.aggregates.traitsAt ?? 0) - (b.aggregates.traitsAt ?? 0))) traits = mergeTraits(traits, p.aggregates.traits);
  const at = parts.map((p) => p.aggregates.traitsAt).filter((t): t is number => t !== undefined);
  return at.length > 0 ? { traits, traitsAt: Math.max(...at) } : { traits };
}

/** The person's aggregates: the sum of its parts, with traits as personTraits gives them. */
export function personAggregates(parts: readonly Part[], halfLife: number): Aggregates {
  const sum = sumAggregates(parts.map((p) => p.aggregates), halfLife);
  return parts.length > 1 ? { ...sum, ...personTraits(parts) } : sum;
}

/**
 * At most `max` parts: past it, the least recently seen browsers are folded into FOLDED, which
 * then can no longer be split (their sum stays exact; which browser did what is gone from the score).
 */
export function capParts(parts: Part[], max: number, halfLife: number): Part[] {
  if (parts.length <= max) return parts;
  let folded = parts.find((p) => p.browser === FOLDED);
  const rest = parts.filter((p) => p.browser !== FOLDED).sort((a, b) => a.aggregates.lastSeen - b.aggregates.lastSeen);
  // The folded part takes one of the `max` places.
  while (rest.length + 1 > max) {
    const oldest = rest.shift()!;
    folded = {
      browser: FOLDED,
      linkedBy: 'folded',
      verified: false,
      linkedAt: folded?.linkedAt ?? oldest.linkedAt,
      stage: 'anonymous',
      stageSince: oldest.linkedAt,
      aggregates: folded ? sumAggregates([folded.aggregates, oldest.aggregates], halfLife) : oldest.aggregates,
      foldedCount: (folded?.foldedCount ?? 0) + (oldest.browser === FOLDED ? oldest.foldedCount ?? 0 : 1),
      foldedBrowsers: [...(folded?.foldedBrowsers ?? []), oldest.browser].slice(-20),
    };
  }
  return folded ? [folded, ...rest] : rest;
}
