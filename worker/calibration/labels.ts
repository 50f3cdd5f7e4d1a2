/**
 * Which verdicts and outcomes label a lead for calibration, and how. Pure.
 *
 * - outcome `won` → positive, `lost` → negative: the truth, and never replaced by a verdict.
 * - verdict `accepted` (sal) → a weaker positive (weight `acceptedWeight`, default 0.5, set per
 *   calibration): sales judged it worth pursuing, which is not a sale, but it arrives weeks before
 *   the outcome.
 * - verdict `rejected` + `disqualify` → negative: sales says this lead will not buy.
 * - verdict `rejected` + `recycle` → no label (and an earlier verdict's label is dropped): "not
 *   now" is about timing, not about who the lead is or what it did.
 */
import { z } from 'zod';
import type { SiteConfig } from '../schema/config';
import type { VisitorState } from '../visitor/apply-batch';
import type { VerdictInput } from '../visitor/verdict';
import { trainingRow, type TrainingUpdate } from './training-row';

export const OutcomeInputSchema = z
  .object({
    outcome: z.enum(['won', 'lost']),
    /** Free text for the team (not used by calibration). */
    reason: z.string().max(500).optional(),
  })
  .strict();
export type OutcomeInput = z.infer<typeof OutcomeInputSchema>;

/** The label an outcome gives, or why the visitor cannot have one. */
export function outcomeLabel(state: VisitorState, input: OutcomeInput, config: SiteConfig, at: number): { ok: true; update: TrainingUpdate } | { ok: false; message: string } {
  if (state.stage === 'anonymous') return { ok: false, message: 'an anonymous visitor is not a lead yet: an outcome needs a known visitor' };
  return { ok: true, update: { kind: 'label', row: trainingRow(state.anonymousId, state.aggregates, config, input.outcome, at) } };
}

/** The label a verdict gives (see the module comment). */
export function verdictLabel(state: VisitorState, input: VerdictInput, config: SiteConfig, at: number): TrainingUpdate {
  if (input.verdict === 'rejected' && input.action === 'recycle') return { kind: 'unlabel', id: state.anonymousId, at };
  const source = input.verdict === 'accepted' ? 'accepted' : 'disqualified';
  return { kind: 'label', row: trainingRow(state.anonymousId, state.aggregates, config, source, at) };
}
