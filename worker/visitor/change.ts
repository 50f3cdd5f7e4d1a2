/**
 * What one change to a visitor writes besides its state: the outbox rows (webhooks, the site
 * notice) and the refreshed index time. Pure, so the Durable Object only persists the result.
 */
import type { TrainingUpdate } from '../calibration/training-row';
import type { SiteConfig } from '../schema/config';
import { topTopics } from '../scoring/aggregates';
import { computeScore } from '../scoring/score';
import { TIMELINE_IN_PAYLOAD } from '../webhooks/payload';
import { planOutbox, type PlanInput, type PlannedRow } from '../webhooks/plan';
import type { TimelineEntry, Transition, VisitorState } from './apply-batch';
import type { MergeFacts } from '../webhooks/payload';
import { browserCount } from '../people/parts';
import { indexIsStale, leadSnapshot } from './lead-snapshot';

export type VisitorChange = {
  isNewVisitor: boolean;
  /** New events, oldest first (their ids are remembered for de-duplication). */
  timeline: TimelineEntry[];
  transitions: Transition[];
  demoRequests: TimelineEntry[];
  verdict?: PlanInput['verdict'];
  training?: TrainingUpdate;
  /** Record and count the change, but send no webhook (a re-staging pass the marketer ran quietly). */
  quiet?: boolean;
  /** A person's change: the browser that caused it (payloads' `visitor.id`). */
  browser?: string;
  /** A browser joined this person (lead.merged). */
  merge?: MergeFacts;
  /** Browsers whose own leads-index rows the site drops (they joined this person). */
  absorbed?: string[];
  /** This change creates a person's object. */
  isNewPerson?: boolean;
  /** Event ids of a joining browser's history beyond its timeline: remembered for de-duplication. */
  seenIds?: string[];
  /** A new person takes its first browser's stage history. */
  history?: Transition[];
  /** Send the index row now (a split changed the person's score). */
  refreshIndex?: boolean;
};

/** A change that records no events (verdicts, outcomes). */
export const NO_EVENTS: Pick<VisitorChange, 'isNewVisitor' | 'timeline' | 'demoRequests'> = {
  isNewVisitor: false,
  timeline: [],
  demoRequests: [],
};

export type ChangeContext = {
  now: number;
  /** Origin of the marketer view, for links in webhook payloads. */
  adminBaseUrl: string;
  /** The stored timeline, newest first (for payloads). */
  recentTimeline: (limit: number) => TimelineEntry[];
  newId: () => string;
};

export function planChange(next: VisitorState, change: VisitorChange, config: SiteConfig, ctx: ChangeContext): { state: VisitorState; rows: PlannedRow[] } {
  const { now } = ctx;
  // Most beacons (a visitor reading, nothing new to tell anyone) plan no row: say so before building anything.
  if (!change.isNewVisitor && !change.isNewPerson && !change.merge && !change.absorbed && !change.refreshIndex && change.transitions.length === 0 && change.demoRequests.length === 0 && !change.verdict && !change.training && !indexIsStale(next, now)) {
    return { state: next, rows: [] };
  }
  // The score breakdown, top topics, index row and recent timeline are only for outbox rows,
  // and most beacons (an anonymous visitor reading) plan none: each is computed on first use.
  const score = once(() => computeScore(next.aggregates, config, now));
  const topics = once(() => topTopics(next.aggregates, now, config.scoring.halfLifeDays, 5));
  const lead = once(() => leadSnapshot(next, score(), topics(), now));
  const timeline = once(() => [...change.timeline].reverse().concat(ctx.recentTimeline(TIMELINE_IN_PAYLOAD)));
  const refreshIndex = change.transitions.length > 0 || indexIsStale(next, now) || Boolean(change.absorbed || change.refreshIndex);
  const state = refreshIndex && lead() ? { ...next, indexedAt: now } : next;
  const rows = planOutbox(
    {
      base: {
        at: now,
        site: next.site,
        anonymousId: change.browser ?? next.anonymousId,
        adminUrl: visitorAdminUrl(config.adminBaseUrl ?? ctx.adminBaseUrl, next.site, next.anonymousId),
        ...(next.person ? { person: { id: next.anonymousId, browserCount: browserCount(next.person) } } : {}),
        traits: next.aggregates.traits,
        get score() {
          return score();
        },
        get topics() {
          return topics();
        },
        get timeline() {
          return timeline();
        },
      },
      isNewVisitor: change.isNewVisitor,
      demoRequests: change.demoRequests,
      transitions: change.transitions,
      stage: next.stage,
      verdict: change.verdict,
      get lead() {
        return lead();
      },
      refreshIndex,
      training: change.training,
      quiet: change.quiet,
      merge: change.merge,
      absorbed: change.absorbed,
      isNewPerson: change.isNewPerson,
    },
    config,
    ctx.newId,
  );
  return { state, rows };
}

export function visitorAdminUrl(base: string, site: string, anonymousId: string): string {
  return `${base.replace(/\/$/, '')}/admin/visitor?site=${encodeURIComponent(site)}&aid=${encodeURIComponent(anonymousId)}`;
}

/** A value computed on first use, then remembered. */
function once<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value;
  };
}
