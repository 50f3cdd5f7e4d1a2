/** Sites whose webhooks point at the recording receiver (test/helpers/recording-receiver.mjs), and that receiver's log. */
import { expect, inject } from 'vitest';
import { uid } from '../helpers/factories';
import { api } from './helpers';

// @ts-expect-error plain ESM helper without types
import { TEST_WEBHOOK_SECRET } from '../helpers/recording-receiver.mjs';

const rx = inject('receiverUrl');
export type ReceiverLog = {
  attempts: { id: string; type?: string; verified: boolean; answered?: number; at: number }[];
  deliveries: { id: string; at: number; payload: any }[];
};
export const receiverLog = async (hook: string): Promise<ReceiverLog> => (await fetch(`${rx}/log/${hook}`)).json() as Promise<ReceiverLog>;
/** How the receiver answers `hook` from now on (see recording-receiver.mjs). */
export const script = (hook: string, s: { fail?: number; status?: number; retryAfter?: string; type?: string; delayMs?: number }) =>
  fetch(`${rx}/control/${hook}`, { method: 'POST', body: JSON.stringify(s) });

export type HookSpec = { id: string; events: string[]; format?: string };
export type SiteOptions = { retryScheduleSeconds?: number[]; timeoutMs?: number; demoRequestsPerHour?: number };

/** A fresh site whose endpoints point at the recording receiver, each under its own hook name. */
export async function siteWithHooks(hooks: HookSpec[], options: SiteOptions | number[] = {}) {
  const o = Array.isArray(options) ? { retryScheduleSeconds: options } : options;
  const site = uid('wh').toLowerCase();
  const names = Object.fromEntries(hooks.map((h) => [h.id, `${site}-${h.id}`]));
  const res = await api(`/v1/admin/sites/${site}`, {
    method: 'PUT',
    json: {
      allowedOrigins: ['*'],
      stages: { mql: { score: 40 }, sql: { score: 500 } },
      scoring: { halfLifeDays: 0, behavior: [{ id: 'content', when: { type: ['download', 'webinar_signup'] }, points: 20 }, { id: 'demo', when: { type: 'demo_request' }, points: 50 }] },
      webhooks: hooks.map((h) => ({ id: h.id, url: `${rx}/hooks/${names[h.id]}`, secret: TEST_WEBHOOK_SECRET, events: h.events, format: h.format ?? 'standard' })),
      delivery: { retryScheduleSeconds: o.retryScheduleSeconds ?? [0.05, 0.05, 0.05, 0.05, 0.05], timeoutMs: o.timeoutMs ?? 2000 },
      ...(o.demoRequestsPerHour ? { alerts: { demoRequestsPerHour: o.demoRequestsPerHour } } : {}),
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { site, hook: (id: string) => names[id]! };
}

export const deliveries = async (site: string, aid: string) => (await api(`/v1/admin/sites/${site}/visitors/${aid}/deliveries`)).body.deliveries as any[];

export const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));
