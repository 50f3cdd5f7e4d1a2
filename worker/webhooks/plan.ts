/**
 * Which outbox rows a batch outcome causes: a webhook per interested endpoint for each demo
 * request and each transition, and a notice to the site object for the funnel. Pure.
 */
import type { SiteConfig, WebhookEventType } from '../schema/config';
import { stagesReached } from '../scoring/stages';
import type { FunnelStage } from '../objects/site-store';
import type { OutboxRow } from '../objects/outbox-store';
import { buildPayload, type PayloadInput } from './payload';

export type PlannedRow = Pick<OutboxRow, 'id' | 'kind' | 'target' | 'eventType' | 'payload' | 'createdAt' | 'nextAt'>;
export type SiteNotice = { stages: FunnelStage[]; at: number };

type Base = Omit<PayloadInput, 'type' | 'previousStage' | 'stage' | 'trigger'>;

export type PlanInput = {
  base: Base;
  isNewVisitor: boolean;
  demoRequests: PayloadInput['trigger'][];
  transitions: { from: PayloadInput['stage']; to: PayloadInput['stage']; trigger: PayloadInput['trigger'] }[];
  /** Stage after the batch. */
  stage: PayloadInput['stage'];
};

export function planOutbox(input: PlanInput, config: SiteConfig, newId: () => string): PlannedRow[] {
  const rows: PlannedRow[] = [];
  const at = input.base.at;
  const webhook = (type: WebhookEventType, fields: Pick<PayloadInput, 'stage' | 'previousStage' | 'trigger'>) => {
    for (const endpoint of config.webhooks) {
      if (!endpoint.enabled || !endpoint.events.includes(type)) continue;
      const payload = buildPayload({ ...input.base, type, ...fields });
      rows.push({ id: `msg_${newId()}`, kind: 'webhook', target: endpoint.id, eventType: type, payload: JSON.stringify(payload), createdAt: at, nextAt: at });
    }
  };
  const notice = (n: SiteNotice) =>
    rows.push({ id: `ntc_${newId()}`, kind: 'site', target: 'site', eventType: 'stages', payload: JSON.stringify(n), createdAt: at, nextAt: at });

  if (input.isNewVisitor) notice({ stages: ['visitors'], at });
  // Transitions first, so a receiver sees "became SQL" before "requested a demo" for the same click.
  for (const t of input.transitions) {
    const fields = { stage: t.to, previousStage: t.from, trigger: t.trigger };
    webhook('lead.stage_changed', fields);
    if (t.to === 'mql') webhook('lead.mql', fields);
    if (t.to === 'sql') webhook('lead.sql', fields);
    notice({ stages: stagesReached(t.from, t.to), at });
  }
  for (const trigger of input.demoRequests) {
    webhook('lead.demo_requested', { stage: input.stage, previousStage: null, trigger });
  }
  return rows;
}
