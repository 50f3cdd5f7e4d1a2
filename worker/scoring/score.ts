/**
 * The score: a pure function of (aggregates, config, now). Behaviour points decay with the
 * configured half-life; fit points do not. The breakdown says which rules gave how many points.
 */
import type { FitRule, SiteConfig } from '../schema/config';
import type { Traits } from '../schema/events';
import type { Aggregates } from './aggregates';
import { valueAt } from './decay';
import { fitRuleMatches } from './fit';

export type ScoreLine = {
  rule: string;
  kind: 'behavior' | 'fit';
  description?: string;
  /** Points after decay and cap, rounded to 0.1. */
  points: number;
  /** Events this rule counted (behaviour rules). */
  count?: number;
  /** When it last counted one (behaviour rules; with a cooldown, the earliest event of the newest cell it counted). */
  lastAt?: number;
};

export type Score = { total: number; behavior: number; fit: number; breakdown: ScoreLine[] };

const round1 = (n: number) => Math.round(n * 10) / 10 || 0;

/**
 * @example computeScore(agg, config, Date.now()) // { total: 62, behavior: 47, fit: 15, breakdown: [...] }
 */
export function computeScore(agg: Aggregates, config: SiteConfig, now: number): Score {
  const breakdown: ScoreLine[] = [];
  const { behavior, fit } = sumPoints(agg, config, now, (line) => breakdown.push(line));
  breakdown.sort((a, b) => Math.abs(b.points) - Math.abs(a.points) || a.rule.localeCompare(b.rule));
  return { total: round1(behavior + fit), behavior: round1(behavior), fit: round1(fit), breakdown };
}

/** The same totals without the breakdown: what a stage check after every event needs. */
export function scoreTotals(agg: Aggregates, config: SiteConfig, now: number): { total: number; fit: number } {
  const { behavior, fit } = sumPoints(agg, config, now);
  return { total: round1(behavior + fit), fit: round1(fit) };
}

function sumPoints(agg: Aggregates, config: SiteConfig, now: number, onLine?: (line: ScoreLine) => void): { behavior: number; fit: number } {
  let behavior = 0;
  for (const rule of config.scoring.behavior) {
    const hist = Object.hasOwn(agg.rules, rule.id) ? agg.rules[rule.id] : undefined;
    if (!hist) continue;
    let points = rule.points * valueAt(hist, now, config.scoring.halfLifeDays);
    if (rule.maxPoints !== undefined) points = Math.max(-rule.maxPoints, Math.min(rule.maxPoints, points));
    behavior += points;
    onLine?.({ rule: rule.id, kind: 'behavior', description: rule.description, points: round1(points), count: hist.count, lastAt: hist.last });
  }
  if (!onLine) return { behavior, fit: fitPoints(agg.traits, config.scoring.fit) };
  let fit = 0;
  for (const rule of config.scoring.fit) {
    if (!fitRuleMatches(rule, agg.traits)) continue;
    fit += rule.points;
    onLine({ rule: rule.id, kind: 'fit', description: rule.description, points: rule.points });
  }
  return { behavior, fit };
}

/**
 * Fit points depend on the traits alone, and a batch's stage checks ask again after every event
 * over the same traits object (traits are replaced, never changed in place): remembered per object.
 */
const fitByTraits = new WeakMap<Traits, { rules: readonly FitRule[]; fit: number }>();

function fitPoints(traits: Traits, rules: readonly FitRule[]): number {
  const known = fitByTraits.get(traits);
  if (known && known.rules === rules) return known.fit;
  let fit = 0;
  for (const rule of rules) if (fitRuleMatches(rule, traits)) fit += rule.points;
  fitByTraits.set(traits, { rules, fit });
  return fit;
}
