/**
 * Which outbox rows a change to a visitor causes: a webhook per interested endpoint for each demo
 * request, transition and verdict, and one notice to the site object (funnel counts and the leads
 * index). Pure.
 */
import type { SiteConfig, WebhookEventType } from '../schema/config';
import { stagesReached } from '../scoring/stages';
import type { FunnelStage } from '../objects/funnel-store';
import type { LeadSnapshot } from '../objects/leads-store';
import type { OutboxRow } from '../objects/outbox-store';
import type { TrainingUpdate } from '../calibration/training-row';
import { buildPayload, type MergeFacts, type PayloadInput, type Verdict } from './payload';

export type PlannedRow = Pick<OutboxRow, 'id' | 'kind' | 'target' | 'eventType' | 'payload' | 'createdAt' | 'nextAt'>;
/** Outbox target of a visitor's first-visit notice to its directory shard (objects/directory-object.ts). */
export const DIRECTORY_TARGET = 'directory';

/** What the site object learns: stages reached (funnel), the lead's current index row, and a training label (verdicts, outcomes). */
export type SiteNotice = { stages: FunnelStage[]; at: number; lead: LeadSnapshot | null; training?: TrainingUpdate; absorbed?: string[] };

type Base = Omit<PayloadInput, 'type' | 'previousStage' | 'stage' | 'trigger' | 'verdict' | 'merge'>;

export type PlanInput = {
  base: Base;
  isNewVisitor: boolean;
  demoRequests: PayloadInput['trigger'][];
  transitions: { from: PayloadInput['stage']; to: PayloadInput['stage']; trigger: PayloadInput['trigger'] }[];
  /** Stage after the change. */
  stage: PayloadInput['stage'];
  /** Set when the change is a sales verdict. */
  verdict?: Verdict & { funnelStage: FunnelStage };
  /** The lead's index row (null while anonymous: not indexed). */
  lead: LeadSnapshot | null;
  /** Send the index row even without a transition (periodic refresh of score and last seen). */
  refreshIndex: boolean;
  /** A verdict or an outcome labels the lead for calibration (worker/calibration). */
  training?: TrainingUpdate;
  /** No webhooks: the change is recorded and counted only. */
  quiet?: boolean;
  /** A browser joined this person (lead.merged). */
  merge?: MergeFacts;
  /** Browsers whose own index rows the site drops: they are this person now. */
  absorbed?: string[];
  /** A person's object: registered with its directory shard for site deletion, not counted as a visitor. */
  isNewPerson?: boolean;
};

export function planOutbox(input: PlanInput, config: SiteConfig, newId: () => string): PlannedRow[] {
  const rows: PlannedRow[] = [];
  const at = input.base.at;
  const webhook = (type: WebhookEventType, fields: Pick<PayloadInput, 'stage' | 'previousStage' | 'trigger' | 'verdict' | 'merge'>) => {
    if (input.quiet) return;
    for (const endpoint of config.webhooks) {
      if (!endpoint.enabled || !endpoint.events.includes(type)) continue;
      const payload = buildPayload({ ...input.base, type, ...fields });
      rows.push({ id: `msg_${newId()}`, kind: 'webhook', target: endpoint.id, eventType: type, payload: JSON.stringify(payload), createdAt: at, nextAt: at });
    }
  };

  const stages: FunnelStage[] = [];
  // A first visit is counted by the visitor's directory shard, never by the site object (one per visitor would make it hot).
  if (input.isNewVisitor || input.isNewPerson) {
    const seen = input.isNewPerson ? { at, person: true } : { at };
    rows.push({ id: `dir_${newId()}`, kind: 'site', target: DIRECTORY_TARGET, eventType: 'visitor.seen', payload: JSON.stringify(seen), createdAt: at, nextAt: at });
  }
  if (input.merge) webhook('lead.merged', { stage: input.stage, previousStage: null, trigger: null, merge: input.merge });
  // Transitions first, so a receiver sees "became SQL" before "requested a demo" for the same click.
  for (const t of input.transitions) {
    const fields = { stage: t.to, previousStage: t.from, trigger: t.trigger };
    webhook('lead.stage_changed', fields);
    if (input.verdict) continue;
    if (t.to === 'mql') webhook('lead.mql', fields);
    if (t.to === 'sql') webhook('lead.sql', fields);
    stages.push(...stagesReached(t.from, t.to));
  }
  if (input.verdict) {
    const { funnelStage, ...verdict } = input.verdict;
    webhook('lead.verdict', { stage: input.stage, previousStage: input.transitions[0]?.from ?? null, trigger: null, verdict });
    stages.push(funnelStage);
  }
  for (const trigger of input.demoRequests) {
    webhook('lead.demo_requested', { stage: input.stage, previousStage: null, trigger });
  }
  if (stages.length > 0 || (input.refreshIndex && input.lead) || input.training || input.absorbed) {
    const notice: SiteNotice = { stages, at, lead: input.lead, ...(input.training ? { training: input.training } : {}), ...(input.absorbed ? { absorbed: input.absorbed } : {}) };
    rows.push({ id: `ntc_${newId()}`, kind: 'site', target: 'site', eventType: 'notice', payload: JSON.stringify(notice), createdAt: at, nextAt: at });
  }
  return rows;
}
