/** What the marketer view and the admin API show of one visitor. */
import type { SiteConfig, Stage } from '../schema/config';
import type { Traits } from '../schema/events';
import { topTopics } from '../scoring/aggregates';
import { valueAt } from '../scoring/decay';
import { computeScore, type Score } from '../scoring/score';
import type { Verdict } from '../webhooks/payload';
import type { TimelineEntry, Transition, VisitorState } from './apply-batch';
import { browserCount, type Conflict, type Part, type PersonInfo } from '../people/parts';

export type VisitorProfile = {
  site: string;
  id: string;
  stage: Stage;
  stageSince: string;
  firstSeen: string;
  lastSeen: string;
  eventCount: number;
  traits: Traits;
  topics: { topic: string; weight: number }[];
  counts: Record<string, number>;
  score: Score;
  stageHistory: (Transition & { atIso: string })[];
  /** Sales' last verdict (its reason included), or null. */
  verdict: Verdict | null;
  /** Newest first (a person's: every browser's, each entry naming its browser). */
  timeline: TimelineEntry[];
  /** A person's profile (one lead across browsers). */
  personId?: string;
  person?: PersonProfile;
  /** A lone browser's identifier conflicts (another lead named its identifier with another userId). */
  conflicts?: Conflict[];
};

export type BrowserProfile = {
  anonymousId: string;
  firstSeen: string;
  lastSeen: string;
  linkedBy: Part['linkedBy'];
  verified: boolean;
  linkedAt: string;
  userAgent?: string;
  /** What this browser alone reached (what it is shown until verified). */
  stage: Stage;
  eventCount: number;
  /** The folded part: browsers past the cap, no longer splittable. */
  foldedCount?: number;
};

export type PersonProfile = { browserCount: number; browsers: BrowserProfile[]; identifiers: string[]; conflicts: Conflict[] };

function personProfile(person: PersonInfo): PersonProfile {
  const iso = (t: number) => new Date(t).toISOString();
  return {
    browserCount: browserCount(person),
    browsers: person.parts.map((p) => ({
      anonymousId: p.browser,
      firstSeen: iso(p.aggregates.firstSeen),
      lastSeen: iso(p.aggregates.lastSeen),
      linkedBy: p.linkedBy,
      verified: p.verified,
      linkedAt: iso(p.linkedAt),
      ...(p.userAgent ? { userAgent: p.userAgent } : {}),
      stage: p.stage,
      eventCount: p.aggregates.eventCount,
      ...(p.foldedCount !== undefined ? { foldedCount: p.foldedCount } : {}),
    })),
    identifiers: person.identifiers,
    conflicts: person.conflicts,
  };
}

export function buildProfile(state: VisitorState, transitions: Transition[], timeline: TimelineEntry[], config: SiteConfig, now: number): VisitorProfile {
  const agg = state.aggregates;
  const halfLife = config.scoring.halfLifeDays;
  return {
    site: state.site,
    id: state.anonymousId,
    stage: state.stage,
    stageSince: new Date(state.stageSince).toISOString(),
    firstSeen: new Date(agg.firstSeen).toISOString(),
    lastSeen: new Date(agg.lastSeen).toISOString(),
    eventCount: agg.eventCount,
    traits: agg.traits,
    topics: topTopics(agg, now, halfLife, 10).map((topic) => ({ topic, weight: Math.round(valueAt(agg.topics[topic]!, now, halfLife) * 100) / 100 })),
    counts: agg.counts,
    score: computeScore(agg, config, now),
    stageHistory: transitions.map((t) => ({ ...t, atIso: new Date(t.at).toISOString() })),
    verdict: state.verdict ?? null,
    // A person's entries were written browser by browser: newest first by time.
    timeline: state.person ? [...timeline].sort((a, b) => b.at - a.at) : timeline,
    ...(state.person ? { personId: state.anonymousId, person: personProfile(state.person) } : {}),
    ...(state.conflicts?.length ? { conflicts: state.conflicts } : {}),
  };
}
