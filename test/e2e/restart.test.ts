/**
 * Faults: the local worker (wrangler dev with persisted state) is killed with SIGKILL in the middle
 * of a stream of beacons and webhook retries, then started again on the same state. Every
 * acknowledged event must still be applied exactly once, and every pending webhook delivered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecordingReceiver, TEST_WEBHOOK_SECRET } from '../helpers/recording-receiver.mjs';
import { ADMIN_TOKEN, startWorker, waitFor } from './harness';

type Worker = Awaited<ReturnType<typeof startWorker>>;
const SITE = 'restart';
const VISITORS = 12;
const BATCHES_PER_VISITOR = 6;

let receiver: { url: string; close: () => Promise<void> };
let stateDir: string;
let worker: Worker | null = null;

beforeAll(async () => {
  receiver = await startRecordingReceiver();
  stateDir = mkdtempSync(join(tmpdir(), 'leadedge-restart-'));
});

afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const now = Date.now();
/** Visitor v's batch b: a page view each time, an identify first, a demo request second (early, so its alert is mid-retry at the crash). */
function batch(v: number, b: number) {
  const aid = `visitor-${v}`;
  const events: Record<string, unknown>[] = [{ id: `${aid}-pv-${b}`, type: 'page_view', ts: now + b, url: `https://shop.example.com/p/${b}` }];
  if (b === 0) events.push({ id: `${aid}-id`, type: 'identify', ts: now, url: 'https://shop.example.com/', traits: { email: `v${v}@acme.io`, name: `Visitor ${v}` } });
  if (b === 1) events.push({ id: `${aid}-demo`, type: 'demo_request', ts: now + b, url: 'https://shop.example.com/demo' });
  return { site: SITE, anonymousId: aid, sessionId: 's', sentAt: now, events };
}
const eventsOf = (v: number) => Array.from({ length: BATCHES_PER_VISITOR }, (_, b) => batch(v, b).events.length).reduce((a, n) => a + n, 0);

async function send(url: string, body: unknown): Promise<{ ok: boolean; accepted?: number }> {
  try {
    const res = await fetch(`${url}/v1/collect`, { method: 'POST', headers: { 'content-type': 'text/plain', authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) return { ok: false };
    return { ok: true, accepted: ((await res.json()) as { accepted: number }).accepted };
  } catch {
    return { ok: false };
  }
}

const admin = (url: string, path: string, init: RequestInit = {}) =>
  fetch(`${url}/v1/admin/sites/${SITE}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });

describe('restart in the middle of beacons and webhook retries', () => {
  it('loses no acknowledged event, applies none twice, and delivers every pending webhook', async () => {
    worker = await startWorker({ stateDir });
    const put = await admin(worker.url, '', {
      method: 'PUT',
      body: JSON.stringify({
        allowedOrigins: ['*'],
        rateLimits: { visitorBurst: 10_000 },
        scoring: { halfLifeDays: 0, behavior: [{ id: 'pv', when: { type: 'page_view' }, points: 1 }] },
        webhooks: [{ id: 'sales', url: `${receiver.url}/hooks/sales`, secret: TEST_WEBHOOK_SECRET, events: ['lead.demo_requested'] }],
        delivery: { retryScheduleSeconds: Array.from({ length: 20 }, () => 1), timeoutMs: 2000 },
      }),
    });
    expect(put.status).toBe(201);
    // The receiver is down until after the restart, so every alert is mid-retry when the crash comes.
    await fetch(`${receiver.url}/control/sales`, { method: 'POST', body: JSON.stringify({ fail: 100_000, status: 503 }) });

    const acknowledged = new Set<string>();
    const pending: [number, number][] = [];
    for (let b = 0; b < BATCHES_PER_VISITOR; b++) for (let v = 0; v < VISITORS; v++) pending.push([v, b]);

    // First half of the stream, then a hard crash while a burst of beacons is in flight.
    const half = pending.length / 2;
    for (const [v, b] of pending.slice(0, half)) if ((await send(worker.url, batch(v, b))).ok) acknowledged.add(`${v}/${b}`);
    const inFlight = pending.slice(half, half + 10).map(([v, b]) => send(worker!.url, batch(v, b)).then((r) => r.ok && acknowledged.add(`${v}/${b}`)));
    const before = (await (await fetch(`${receiver.url}/log/sales`)).json()) as { deliveries: unknown[]; attempts: { answered?: number }[] };
    await worker.crash();
    await Promise.all(inFlight);
    expect(before.attempts.some((a) => a.answered === 503)).toBe(true);
    expect(before.deliveries).toHaveLength(0);

    worker = await startWorker({ stateDir });
    const restartedAt = Date.now();
    await fetch(`${receiver.url}/control/sales`, { method: 'POST', body: JSON.stringify({ fail: 0 }) });
    // Clients retry whatever was not acknowledged; the rest of the stream follows.
    for (const [v, b] of pending) {
      if (acknowledged.has(`${v}/${b}`)) continue;
      const r = await send(worker.url, batch(v, b));
      expect(r.ok).toBe(true);
      acknowledged.add(`${v}/${b}`);
    }

    for (let v = 0; v < VISITORS; v++) {
      const res = await admin(worker.url, `/visitors/visitor-${v}`);
      const p = (await res.json()) as { eventCount: number; timeline: { id: string }[]; stage: string };
      expect(p.eventCount, `visitor ${v}`).toBe(eventsOf(v));
      expect(new Set(p.timeline.map((e) => e.id)).size).toBe(p.timeline.length);
      expect(p.stage).toBe('sql');
    }

    // Every demo request reaches sales exactly once (the receiver dedupes by webhook-id, as receivers should).
    const log = await waitFor('all demo alerts', async () => {
      const l = (await (await fetch(`${receiver.url}/log/sales`)).json()) as { deliveries: { id: string; at: number; payload: any }[]; attempts: unknown[] };
      return new Set(l.deliveries.map((d) => d.payload.data.visitor.id)).size === VISITORS ? l : null;
    }, 60_000, 250);
    const perVisitor = new Map<string, Set<string>>();
    for (const d of log.deliveries) {
      const ids = perVisitor.get(d.payload.data.visitor.id) ?? new Set();
      ids.add(d.id);
      perVisitor.set(d.payload.data.visitor.id, ids);
    }
    expect([...perVisitor.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(log.attempts.length).toBeGreaterThan(VISITORS);
    // Alerts that were mid-retry at the crash were delivered by the restarted worker.
    expect(log.deliveries.every((d) => d.at > restartedAt)).toBe(true);
  }, 180_000);
});
