/**
 * Re-staging after a config change: a lead whose score and fit now pass a stage it has not
 * reached moves forward, as if its next event had come (stages only move forward; verdicts
 * stay). Pure.
 */
import type { SiteConfig } from '../schema/config';
import { scoreTotals } from '../scoring/score';
import { nextStage } from '../scoring/stages';
import { stageFacts, type Transition, type VisitorState } from './apply-batch';

/**
 * The transition the current config makes for this state now, or null.
 * @example restageTransition(knownAt60, configWithMqlAt50, Date.now())?.to // 'mql'
 */
export function restageTransition(state: VisitorState, config: SiteConfig, now: number): Transition | null {
  const score = scoreTotals(state.aggregates, config, now);
  const to = nextStage(state.stage, stageFacts(state, score.total, score.fit), config);
  if (!to) return null;
  return { from: state.stage, to, at: now, score: score.total, fit: score.fit, trigger: { id: `restage-${now}`, type: 'restage', path: '' } };
}
