/** What the marketer view and the admin API show of one visitor. */
import type { SiteConfig, Stage } from '../schema/config';
import type { Traits } from '../schema/events';
import { topTopics } from '../scoring/aggregates';
import { valueAt } from '../scoring/decay';
import { computeScore, type Score } from '../scoring/score';
import type { Verdict } from '../webhooks/payload';
import type { TimelineEntry, Transition, VisitorState } from './apply-batch';

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
  /** Newest first. */
  timeline: TimelineEntry[];
};

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
    timeline,
  };
}
