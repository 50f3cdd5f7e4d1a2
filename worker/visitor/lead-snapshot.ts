/** The row a visitor keeps in its site's leads index (known visitors and beyond). Pure. */
import type { LeadSnapshot } from '../objects/leads-store';
import type { SiteConfig } from '../schema/config';
import { scoreTotals, type Score } from '../scoring/score';
import type { VisitorState } from './apply-batch';
import { browserCount } from '../people/parts';
import { DAY_MS } from '../time';

/** A known visitor's index row is refreshed at most this often between transitions. */
export const INDEX_REFRESH_MS = 5 * 60_000;

export function leadSnapshot(state: VisitorState, score: Score, topics: string[], now: number): LeadSnapshot | null {
  if (state.stage === 'anonymous') return null;
  const t = state.aggregates.traits;
  return {
    id: state.anonymousId,
    stage: state.stage,
    score: score.total,
    fit: score.fit,
    traits: {
      ...(t.name ? { name: t.name } : {}),
      ...(t.email ? { email: t.email } : {}),
      ...(t.company ? { company: t.company } : {}),
      ...(t.title ? { title: t.title } : {}),
    },
    topics,
    lastSeen: state.aggregates.lastSeen,
    stageSince: state.stageSince,
    verdict: state.verdict ?? null,
    updatedAt: now,
    ...(state.person ? { personId: state.anonymousId, browsers: browserCount(state.person) } : {}),
  };
}

/** Does this change need to reach the index even without a transition? */
export function indexIsStale(state: VisitorState, now: number): boolean {
  return state.stage !== 'anonymous' && now - (state.indexedAt ?? 0) >= INDEX_REFRESH_MS;
}

/** While a lead's score decays, its index row is refreshed at least this often (by the visitor's own alarm). */
export const INDEX_MAX_AGE_MS = DAY_MS;

/**
 * When this lead's index row must be refreshed next (`now` when it is due), or null when its score
 * no longer moves (anonymous, no decay, or behaviour points decayed to nothing visible).
 * @example nextIndexRefresh(leadIndexedTwoDaysAgo, config, now) // now
 */
export function nextIndexRefresh(state: VisitorState, config: SiteConfig, now: number): number | null {
  if (state.stage === 'anonymous' || config.scoring.halfLifeDays === 0) return null;
  const { total, fit } = scoreTotals(state.aggregates, config, now);
  // Scores show one decimal: below 0.05 the row no longer changes.
  if (Math.abs(total - fit) < 0.05) return null;
  return Math.max(now, (state.indexedAt ?? 0) + INDEX_MAX_AGE_MS);
}
