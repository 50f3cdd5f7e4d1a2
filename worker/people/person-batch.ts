/**
 * A person's state machine, as plain data: a linked browser's beacon folded into its part and
 * scored on the sum; a browser joining (absorb) and leaving (split). The object persists results.
 */
import type { SiteConfig } from '../schema/config';
import type { LeadEvent } from '../schema/events';
import { LIMITS } from '../schema/limits';
import { emptyAggregates, type Aggregates } from '../scoring/aggregates';
import { scoreTotals } from '../scoring/score';
import { advance, applyBatch, type BatchOutcome, type Transition, type VisitorState } from '../visitor/apply-batch';
import type { LinkedBy } from './identifiers';
import { capParts, FOLDED, personAggregates, personTraits, sumAggregates, type Part, type PersonInfo } from './parts';

export type PersonState = VisitorState & { person: PersonInfo };

export const isPerson = (s: VisitorState | null): s is PersonState => Boolean(s?.person);

export function partOf(state: PersonState, browser: string): Part | undefined {
  return state.person.parts.find((p) => p.browser === browser);
}

/** A part as a lone visitor's state: what the browser alone is (its view, its state after a split). */
export function partAsVisitor(state: PersonState, part: Part): VisitorState {
  return { site: state.site, anonymousId: part.browser, stage: part.stage, stageSince: part.stageSince, aggregates: part.aggregates };
}

/**
 * Applies a linked browser's new events: folded into its part exactly as a lone visitor's (its own
 * stage moves too, quietly: it is what an unverified browser is shown), while the person's stage
 * is checked after every event on the sum of all its browsers. Transitions are the person's.
 */
export function applyPersonBatch(prev: PersonState, browser: string, events: LeadEvent[], sentAt: number, config: SiteConfig, receivedAt: number): BatchOutcome {
  const halfLife = config.scoring.halfLifeDays;
  const parts = prev.person.parts;
  const index = parts.findIndex((p) => p.browser === browser);
  if (index === -1) throw new Error(`browser ${browser} is not linked to ${prev.anonymousId}`);
  const part = parts[index]!;
  const others = parts.filter((_, i) => i !== index).map((p) => p.aggregates);
  const rest = others.length > 0 ? sumAggregates(others, halfLife) : null;
  const person: PersonState = { ...prev };
  const transitions: Transition[] = [];
  let named = rest ? personTraits(parts) : undefined;
  const own = applyBatch(partAsVisitor(prev, part), events, sentAt, config, receivedAt, (partState, event, path) => {
    // Only an identify changes what the person is called (and fit points with it).
    if (rest && event.type === 'identify') named = personTraits(parts.map((p, i) => (i === index ? { ...p, aggregates: partState.aggregates } : p)));
    person.aggregates = rest ? { ...sumAggregates([rest, partState.aggregates], halfLife), ...named } : partState.aggregates;
    const moved = advance(person, config, receivedAt, () => ({ id: event.id, type: event.type, path, ...(event.type === 'track' ? { name: event.name } : {}) }));
    if (moved) transitions.push(moved);
  });
  for (const entry of own.timeline) entry.browser = browser;
  const nextPart: Part = { ...part, aggregates: own.state.aggregates, stage: own.state.stage, stageSince: own.state.stageSince };
  const nextParts = parts.map((p, i) => (i === index ? nextPart : p));
  person.person = { ...prev.person, parts: nextParts };
  person.aggregates = personAggregates(nextParts, halfLife);
  return { state: person, timeline: own.timeline, transitions, demoRequests: own.demoRequests };
}

export type Joining = { browser: VisitorState; linkedBy: LinkedBy; verified: boolean; userAgent?: string; at: number; erasedAt?: number };
export type Merged = { browser: string; linkedBy: LinkedBy; verified: boolean; scoreBefore: number; scoreAfter: number };

/**
 * A browser joins a person (or starts one: `prev` null). Its part is its state as it is; if the
 * sum makes the person reach a new stage, that transition fires once, for the person. Stages only
 * move forward and verdicts stay: a browser's verdict is taken only by a person without one.
 */
export function absorbBrowser(prev: PersonState | null, personId: string, joining: Joining, config: SiteConfig): { state: PersonState; transition: Transition | null; merged: Merged | null } {
  const { browser, at } = joining;
  const halfLife = config.scoring.halfLifeDays;
  const part: Part = {
    browser: browser.anonymousId,
    linkedBy: joining.linkedBy,
    verified: joining.verified,
    linkedAt: at,
    ...(joining.userAgent ? { userAgent: joining.userAgent } : {}),
    ...(joining.erasedAt !== undefined ? { erasedAt: joining.erasedAt } : {}),
    stage: browser.stage,
    stageSince: browser.stageSince,
    aggregates: browser.aggregates,
  };
  if (!prev) {
    // What only a lone browser keeps (its identifiers, device, conflicts) becomes the person's, in its own fields.
    const { indexedAt: _i, person: _p, identifiers, userAgent: _u, verified: _v, conflicts, ...own } = browser;
    return { state: { ...own, anonymousId: personId, person: { parts: [part], identifiers: identifiers ?? [], conflicts: conflicts ?? [] } }, transition: null, merged: null };
  }
  const existing = partOf(prev, part.browser);
  // Linked again (a retry, or a claimed browser now verified): its part is replaced, and verification never downgrades.
  if (existing) part.verified ||= existing.verified;
  const parts = capParts([...prev.person.parts.filter((p) => p.browser !== part.browser), part], LIMITS.maxBrowsersPerPerson, halfLife);
  const scoreBefore = scoreTotals(prev.aggregates, config, at).total;
  const state: PersonState = { ...prev, aggregates: personAggregates(parts, halfLife), person: { ...prev.person, parts } };
  if (!state.verdict && browser.verdict && (browser.stage === 'sal' || browser.stage === 'disqualified')) {
    Object.assign(state, { verdict: browser.verdict, stage: browser.stage, stageSince: browser.stageSince });
  }
  if (browser.recycledAt !== undefined && state.recycledAt === undefined && state.verdict === browser.verdict) state.recycledAt = browser.recycledAt;
  const transition = advance(state, config, at, () => ({ id: `merge:${part.browser}`, type: 'merge', path: '' }));
  const scoreAfter = scoreTotals(state.aggregates, config, at).total;
  return { state, transition, merged: { browser: part.browser, linkedBy: joining.linkedBy, verified: part.verified, scoreBefore, scoreAfter } };
}

/**
 * Another person joins this one (a browser of one named an identifier of the other): all its
 * parts, identifiers and conflicts. Exact as a browser's join is (the sum of all parts); the stage
 * only moves forward, and a verdict is taken only by a person without one.
 */
export function absorbPerson(prev: PersonState, other: PersonState, config: SiteConfig, at: number): { state: PersonState; transition: Transition | null; scoreBefore: number; scoreAfter: number } {
  const halfLife = config.scoring.halfLifeDays;
  const mine = new Set(prev.person.parts.map((p) => p.browser));
  const parts = capParts([...prev.person.parts, ...other.person.parts.filter((p) => !mine.has(p.browser))], LIMITS.maxBrowsersPerPerson, halfLife);
  const scoreBefore = scoreTotals(prev.aggregates, config, at).total;
  const state: PersonState = {
    ...prev,
    aggregates: personAggregates(parts, halfLife),
    person: {
      parts,
      identifiers: [...new Set([...prev.person.identifiers, ...other.person.identifiers])],
      conflicts: [...prev.person.conflicts, ...other.person.conflicts].slice(-50),
      absorbedPersons: [...new Set([...(prev.person.absorbedPersons ?? []), ...(other.person.absorbedPersons ?? []), other.anonymousId])],
    },
  };
  if (!state.verdict && other.verdict && (other.stage === 'sal' || other.stage === 'disqualified')) Object.assign(state, { verdict: other.verdict, stage: other.stage, stageSince: other.stageSince });
  const transition = advance(state, config, at, () => ({ id: `merge:${other.anonymousId}`, type: 'merge', path: '' }));
  return { state, transition, scoreBefore, scoreAfter: scoreTotals(state.aggregates, config, at).total };
}

/**
 * A browser leaves its person: it becomes the lone visitor its part is (its own events, its own
 * stage), and the person keeps the sum of the others and its stage (stages only move forward).
 * Null when the browser is not a part (or is the folded part, which cannot be split).
 */
export function splitBrowser(prev: PersonState, browser: string, config: SiteConfig): { person: PersonState; browser: VisitorState } | null {
  const part = partOf(prev, browser);
  if (!part || browser === FOLDED) return null;
  const parts = prev.person.parts.filter((p) => p.browser !== browser);
  const aggregates: Aggregates = parts.length > 0 ? personAggregates(parts, config.scoring.halfLifeDays) : emptyAggregates(prev.aggregates.lastSeen);
  return { person: { ...prev, aggregates, person: { ...prev.person, parts } }, browser: partAsVisitor(prev, part) };
}

/** What a browser is shown: the person when verified, otherwise only what it did itself. */
export function viewOf(state: VisitorState, browser: string): VisitorState {
  if (!isPerson(state)) return state;
  const part = partOf(state, browser);
  if (!part || part.verified) return { ...state, anonymousId: browser };
  return partAsVisitor(state, part);
}
