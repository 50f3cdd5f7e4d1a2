/**
 * Scores a training row with any config through the real scoring code (`computeScore`,
 * `qualifiedStage`), so what calibration measures is what the Worker would compute. Pure.
 */
import type { BehaviorRule, SiteConfig, Stage } from '../schema/config';
import { EVENT_TYPES } from '../schema/events';
import { emptyAggregates, type Aggregates } from '../scoring/aggregates';
import { compileGlob } from '../scoring/glob';
import { computeScore } from '../scoring/score';
import { qualifiedStage } from '../scoring/stages';
import type { TrainingRow } from './training-row';

const TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

/** Can a rule's hits be computed from per-type/name counts or topic interest alone? */
export function derivable(rule: BehaviorRule): boolean {
  const w = rule.when;
  if (w.path !== undefined || w.props !== undefined) return false;
  return w.topic === undefined || (w.type === undefined && w.name === undefined);
}

/**
 * A behaviour rule's hits on a row: as recorded when the row was labelled, or derived from the
 * counts (rules on types / custom names) or topic interest (rules on topics only). Rules that
 * also test paths or props and were not recorded give 0.
 * @example ruleHits({ id: 'x', when: { type: 'track', name: 'calc*' }, points: 5, cooldownMinutes: 0 }, row) // 2
 */
export function ruleHits(rule: BehaviorRule, row: TrainingRow): number {
  if (Object.hasOwn(row.rules, rule.id)) return row.rules[rule.id] ?? 0;
  if (!derivable(rule)) return 0;
  const w = rule.when;
  if (w.topic !== undefined) {
    const topics = (Array.isArray(w.topic) ? w.topic : [w.topic]).map((t) => t.toLowerCase());
    return topics.reduce((sum, t) => sum + (Object.hasOwn(row.topics, t) ? row.topics[t] ?? 0 : 0), 0);
  }
  let hits = 0;
  for (const [key, n] of Object.entries(row.counts)) if (keyMatches(rule, key)) hits += n;
  return hits;
}

/** Does an event counted under `key` (a type, or a custom name) satisfy the rule's type and name? */
export function keyMatches(rule: BehaviorRule, key: string): boolean {
  const type = TYPES.has(key) && key !== 'track' ? key : 'track';
  const w = rule.when;
  if (w.type !== undefined && !(Array.isArray(w.type) ? w.type : [w.type]).includes(type as never)) return false;
  if (w.name !== undefined && (type !== 'track' || !compileGlob(w.name).test(key))) return false;
  return true;
}

/** Aggregates that make `computeScore(agg, config, row.at)` give the row's score under `config`. */
export function rowAggregates(row: TrainingRow, config: SiteConfig): Aggregates {
  const agg = emptyAggregates(row.at);
  agg.traits = row.traits;
  agg.counts = row.counts;
  for (const rule of config.scoring.behavior) {
    const hits = ruleHits(rule, row);
    if (hits !== 0) agg.rules[rule.id] = { value: hits, ref: row.at, count: Math.ceil(hits), last: row.at };
  }
  return agg;
}

export type RowScore = { score: number; fit: number; demo: boolean; stage: Stage };

/** The row's score, fit and the stage it qualifies for under `config` (every labelled lead is known). */
export function rowScore(row: TrainingRow, config: SiteConfig): RowScore {
  const s = computeScore(rowAggregates(row, config), config, row.at);
  const demo = (Object.hasOwn(row.counts, 'demo_request') ? row.counts.demo_request ?? 0 : 0) > 0;
  const stage = qualifiedStage({ score: s.total, fit: s.fit, known: true, demoRequested: demo }, config);
  return { score: s.total, fit: s.fit, demo, stage };
}
