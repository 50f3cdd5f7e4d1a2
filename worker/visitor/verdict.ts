/**
 * Sales' verdict on a lead (seed 004: the sales-accepted stage and the marketing/sales
 * agreement): accept -> `sal`; reject -> `disqualified`, or recycled to nurture at `mql`. Pure.
 */
import { z } from 'zod';
import type { Stage } from '../schema/config';
import type { FunnelStage } from '../objects/funnel-store';
import type { Verdict } from '../webhooks/payload';
import type { Transition, VisitorState } from './apply-batch';

export const VerdictInputSchema = z.discriminatedUnion('verdict', [
  z.object({ verdict: z.literal('accepted'), reason: z.string().max(500).optional() }),
  z.object({
    verdict: z.literal('rejected'),
    reason: z.string().min(1, 'say why the lead is rejected').max(500),
    /** Disqualify for good, or send back to marketing's nurture (MQL). */
    action: z.enum(['disqualify', 'recycle']),
  }),
]);
export type VerdictInput = z.infer<typeof VerdictInputSchema>;

export type VerdictOutcome =
  | { ok: true; state: VisitorState; verdict: Verdict; transition: Transition | null; funnelStage: FunnelStage }
  /** The lead already has this verdict: nothing to record, send or count. */
  | { ok: true; unchanged: true; state: VisitorState; verdict: Verdict }
  | { ok: false; message: string };

const TARGET: Record<'accepted' | 'disqualify' | 'recycle', { stage: Stage; funnel: FunnelStage }> = {
  accepted: { stage: 'sal', funnel: 'sal' },
  disqualify: { stage: 'disqualified', funnel: 'disqualified' },
  recycle: { stage: 'mql', funnel: 'recycled' },
};

/**
 * @example applyVerdict(state, { verdict: 'accepted' }, 95, 20, Date.now()) // { ok: true, state: { stage: 'sal', ... } }
 */
export function applyVerdict(prev: VisitorState, input: VerdictInput, score: number, fit: number, now: number): VerdictOutcome {
  if (prev.stage === 'anonymous') return { ok: false, message: 'an anonymous visitor is not a lead yet: a verdict needs a known visitor' };
  const key = input.verdict === 'accepted' ? 'accepted' : input.action;
  const target = TARGET[key];
  const current = prev.verdict;
  if (current && current.verdict === input.verdict && current.action === (input.verdict === 'rejected' ? input.action : undefined) && (current.reason ?? '') === (input.reason ?? '') && prev.stage === target.stage) {
    return { ok: true, unchanged: true, state: prev, verdict: current };
  }
  const verdict: Verdict = {
    verdict: input.verdict,
    ...(input.verdict === 'rejected' ? { action: input.action } : {}),
    ...(input.reason ? { reason: input.reason } : {}),
    at: now,
  };
  const state: VisitorState = { ...prev, verdict };
  if (key === 'recycle') state.recycledAt = now;
  let transition: Transition | null = null;
  if (prev.stage !== target.stage) {
    transition = { from: prev.stage, to: target.stage, at: now, score, fit, trigger: { id: `verdict-${now}`, type: 'verdict', path: '' } };
    state.stage = target.stage;
    state.stageSince = now;
  }
  return { ok: true, state, verdict, transition, funnelStage: target.funnel };
}
