/**
 * Handoff payloads: who the lead is, why they scored, what they read. `{ type, timestamp, data }`
 * (Standard Webhooks), always under MAX_PAYLOAD_BYTES.
 */
import type { Stage, WebhookEventType } from '../schema/config';
import type { Props, Traits } from '../schema/events';
import type { Score } from '../scoring/score';
import type { TimelineEntry, Transition } from '../visitor/apply-batch';

export const MAX_PAYLOAD_BYTES = 20_000;
export const TIMELINE_IN_PAYLOAD = 20;
const REASONS_IN_PAYLOAD = 10;

export type Verdict = { verdict: 'accepted' | 'rejected'; action?: 'disqualify' | 'recycle'; reason?: string; at: number };

export type LeadPayload = {
  type: WebhookEventType;
  timestamp: string;
  data: {
    site: string;
    visitor: { id: string; url: string };
    traits: Pick<Traits, 'name' | 'email' | 'company' | 'title' | 'companySize' | 'industry' | 'country'>;
    stage: Stage;
    previousStage: Stage | null;
    score: { total: number; behavior: number; fit: number; reasons: { rule: string; description?: string; points: number }[] };
    topics: string[];
    trigger: { id: string; type: string; path: string; title?: string; at: number } | null;
    timeline: { id: string; type: string; name?: string; path: string; title?: string; topics?: string[]; at: number; url?: string; props?: Props; browser?: string }[];
    verdict?: Verdict;
    /** The person the browser (`visitor.id`, the one that triggered this) belongs to. */
    person?: PersonRef;
    /** lead.merged: which browser joined, how, and the person's score before and after. */
    merge?: MergeFacts;
  };
};

export type PersonRef = { id: string; browserCount: number };
export type MergeFacts = { browser: string; linkedBy: 'claimed' | 'verified' | 'userId'; verified: boolean; scoreBefore: number; scoreAfter: number };

export type PayloadInput = {
  type: WebhookEventType;
  at: number;
  site: string;
  anonymousId: string;
  adminUrl: string;
  traits: Traits;
  stage: Stage;
  previousStage: Stage | null;
  score: Score;
  topics: string[];
  trigger: TimelineEntry | Transition['trigger'] | null;
  /** Newest first. */
  timeline: TimelineEntry[];
  verdict?: Verdict;
  person?: PersonRef;
  merge?: MergeFacts;
};

/**
 * @example buildPayload({ type: 'lead.sql', ... }).data.score.reasons[0] // { rule: 'demo-request', points: 50 }
 */
export function buildPayload(input: PayloadInput): LeadPayload {
  const t = input.traits;
  const trigger = input.trigger && {
    id: input.trigger.id,
    type: input.trigger.type,
    path: input.trigger.path,
    ...('title' in input.trigger && input.trigger.title ? { title: input.trigger.title } : {}),
    at: 'at' in input.trigger ? input.trigger.at : input.at,
  };
  const payload: LeadPayload = {
    type: input.type,
    timestamp: new Date(input.at).toISOString(),
    data: {
      site: input.site,
      visitor: { id: input.anonymousId, url: input.adminUrl },
      traits: pick(t, ['name', 'email', 'company', 'title', 'companySize', 'industry', 'country']),
      stage: input.stage,
      previousStage: input.previousStage,
      score: {
        total: input.score.total,
        behavior: input.score.behavior,
        fit: input.score.fit,
        reasons: input.score.breakdown
          .filter((l) => l.points !== 0)
          .slice(0, REASONS_IN_PAYLOAD)
          .map((l) => ({ rule: l.rule, ...(l.description ? { description: l.description } : {}), points: l.points })),
      },
      topics: input.topics,
      trigger,
      timeline: input.timeline.slice(0, TIMELINE_IN_PAYLOAD).map((e) => ({
        id: e.id,
        type: e.type,
        ...(e.name ? { name: e.name } : {}),
        path: e.path,
        ...(e.title ? { title: e.title } : {}),
        ...(e.topics ? { topics: e.topics } : {}),
        at: e.at,
        ...(e.url ? { url: e.url } : {}),
        ...(e.props ? { props: e.props } : {}),
        ...(e.browser ? { browser: e.browser } : {}),
      })),
      ...(input.verdict ? { verdict: input.verdict } : {}),
      ...(input.person ? { person: input.person } : {}),
      ...(input.merge ? { merge: input.merge } : {}),
    },
  };
  return fitWithinLimit(payload);
}

const byteLength = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).byteLength;

/** Drops the bulkiest optional parts (props, urls, then older timeline entries) until it fits. */
function fitWithinLimit(payload: LeadPayload): LeadPayload {
  if (byteLength(payload) <= MAX_PAYLOAD_BYTES) return payload;
  payload.data.timeline = payload.data.timeline.map(({ props: _p, url: _u, ...rest }) => rest);
  while (byteLength(payload) > MAX_PAYLOAD_BYTES && payload.data.timeline.length > 0) payload.data.timeline.pop();
  return payload;
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
