/**
 * Webhook retries from the visitor's alarm under `wrangler dev` (what `npm start` runs): a failed
 * alert with later alerts queued behind it is retried on its schedule, and the later ones do not wait.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecordingReceiver, TEST_WEBHOOK_SECRET } from '../helpers/recording-receiver.mjs';
import { ADMIN_TOKEN, startWorker, waitFor } from './harness';

type Log = { attempts: { answered?: number; at: number }[]; deliveries: { at: number; payload: { data: { stage: string } } }[] };

let receiver: { url: string; close: () => Promise<void> };
let worker: Awaited<ReturnType<typeof startWorker>> | null = null;

beforeAll(async () => {
  receiver = await startRecordingReceiver();
  worker = await startWorker();
});

afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
});

const SITE = 'alarm-retry';
const log = async (): Promise<Log> => (await fetch(`${receiver.url}/log/crm`)).json() as Promise<Log>;

async function collect(url: string, n: number, events: Record<string, unknown>[]) {
  const now = Date.now();
  const body = { site: SITE, anonymousId: 'ana', sessionId: 's', sentAt: now, events: events.map((e, i) => ({ id: `e${n}-${i}`, ts: now, url: 'https://shop.example.com/', ...e })) };
  // A server-side beacon (no Origin): the instance token stands in for a server key.
  const res = await fetch(`${url}/v1/collect`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

describe('alarm retries under wrangler dev', () => {
  it('a failed alert with later alerts queued behind it is retried on schedule; the later ones go out at once', async () => {
    const url = worker!.url;
    const put = await fetch(`${url}/v1/admin/sites/${SITE}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        allowedOrigins: ['*'],
        stages: { mql: { score: 20 }, sql: { score: 40 } },
        scoring: { halfLifeDays: 0, behavior: [{ id: 'dl', when: { type: 'download' }, points: 20 }] },
        webhooks: [{ id: 'crm', url: `${receiver.url}/hooks/crm`, secret: TEST_WEBHOOK_SECRET, events: ['lead.stage_changed'] }],
        delivery: { retryScheduleSeconds: [2, 2, 2], timeoutMs: 2000 },
      }),
    });
    expect(put.status).toBe(201);
    await fetch(`${receiver.url}/control/crm`, { method: 'POST', body: JSON.stringify({ fail: 1, status: 500 }) });

    await collect(url, 1, [{ type: 'identify', traits: { email: 'ana@acme.io' } }]);
    const failed = await waitFor('the first attempt', async () => (await log()).attempts[0]);
    await collect(url, 2, [{ type: 'download', topics: ['analytics'] }]);
    await collect(url, 3, [{ type: 'download', topics: ['pricing'] }]);
    await waitFor('the MQL and SQL alerts', async () => (await log()).deliveries.length === 2);
    // Retried by the alarm 2 s after it failed (20-340 s went by before this was fixed).
    const l = await waitFor('the retry', async () => ((await log()).deliveries.length === 3 ? log() : null), 15_000);
    expect(l.deliveries.map((d) => d.payload.data.stage)).toEqual(['mql', 'sql', 'known']);
    expect(l.deliveries[2]!.at - failed.at).toBeGreaterThanOrEqual(2000);
  }, 60_000);
});
