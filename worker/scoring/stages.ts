/**
 * Lifecycle stages. Scoring moves a visitor forward only: anonymous -> known -> mql -> sql.
 * `sal` and `disqualified` are sales' verdicts, which scoring never overrides.
 */
import type { SiteConfig, Stage } from '../schema/config';

const RANK: Record<Stage, number> = { anonymous: 0, known: 1, mql: 2, sql: 3, sal: 4, disqualified: 4 };

export type StageFacts = {
  score: number;
  fit: number;
  known: boolean;
  /** A demo request (since the last recycle, if any). */
  demoRequested: boolean;
  /** Sales sent the lead back to nurture: the score alone no longer makes it SQL. */
  recycled?: boolean;
};

/** The stage the facts qualify for, by scoring alone. */
export function qualifiedStage(facts: StageFacts, config: SiteConfig): Stage {
  if (!facts.known) return 'anonymous';
  const { mql, sql } = config.stages;
  if (facts.demoRequested || (!facts.recycled && facts.score >= sql.score && facts.fit >= sql.fit)) return 'sql';
  if (facts.score >= mql.score && facts.fit >= mql.fit) return 'mql';
  return 'known';
}

/**
 * The stage to move to, or null to stay. Never moves backwards, never leaves a verdict stage.
 * @example nextStage('known', { score: 70, fit: 15, known: true, demoRequested: false }, config) // 'mql'
 */
export function nextStage(current: Stage, facts: StageFacts, config: SiteConfig): Stage | null {
  if (current === 'sal' || current === 'disqualified') return null;
  const target = qualifiedStage(facts, config);
  return RANK[target] > RANK[current] ? target : null;
}

/**
 * Whether any facts could move this visitor: only known visitors below SQL advance by scoring
 * (for the others `nextStage` is null whatever the score), so their events skip the score sums.
 */
export function mayAdvance(current: Stage, known: boolean): boolean {
  return known && RANK[current] < RANK.sql;
}

/** Stages a transition passes through (for funnel counts): known -> sql passes mql and sql. */
export function stagesReached(from: Stage, to: Stage): Stage[] {
  const order: Stage[] = ['known', 'mql', 'sql', 'sal'];
  if (to === 'disqualified') return ['disqualified'];
  return order.filter((s) => RANK[s] > RANK[from] && RANK[s] <= RANK[to]);
}
