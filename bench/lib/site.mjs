/** Bench sites: the embedded demo config (scoring, stages, CTAs), with limits lifted for load. */
import { ADMIN_TOKEN } from './runtime.mjs';
import { BENCH_WEBHOOK_SECRET } from './receiver.mjs';

export const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * Creates (or replaces) site `key` from the demo's config, read back through the admin API.
 * The per-visitor beacon limit and the demo alert ceiling are lifted (the benches send far faster than a person) and
 * webhooks point at the bench receiver when `receiverUrl` is given.
 */
export async function createBenchSite(client, key, { receiverUrl, webhookEvents = ['lead.demo_requested', 'lead.mql', 'lead.sql'] } = {}) {
  const { config: demo } = await client.json('GET', '/v1/admin/sites/demo', undefined, ADMIN);
  const config = {
    ...demo,
    name: `bench ${key}`,
    allowedOrigins: ['*'],
    bots: { allowAutomated: true },
    rateLimits: { visitorBurst: 100_000, visitorPerSecond: 10_000 },
    webhooks: receiverUrl
      ? [{ id: 'bench', url: `${receiverUrl}/hooks/${key}`, secret: BENCH_WEBHOOK_SECRET, events: webhookEvents, format: 'standard' }]
      : [],
    // Retries far sooner than the default schedule, so a slow first attempt would show.
    delivery: { retryScheduleSeconds: [1, 5, 30], timeoutMs: 5_000 },
    // The handoff and cost sections send far more demo requests an hour than the default ceiling lets through.
    alerts: { demoRequestsPerHour: 100_000 },
  };
  await client.json('PUT', `/v1/admin/sites/${key}`, config, ADMIN);
  return config;
}
