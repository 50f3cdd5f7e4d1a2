/**
 * Delivers a visitor's outbox. One lane per target (a webhook endpoint, or the site object), so a
 * slow or failing endpoint never holds up another's rows. A lane attempts its rows that are due,
 * oldest first, one at a time, and goes round again until none is due; a row waiting for its retry
 * does not hold up the rows behind it. In memory only: the alarm starts lanes again after a restart.
 */
import type { OutboxRow, OutboxStore } from '../objects/outbox-store';
import type { SiteConfig } from '../schema/config';
import { afterAttempt } from './backoff';
import { sendWebhook, type AttemptResult } from './send';

/** Storage steps of the delivery path where tests inject faults (the object adds its awaits'). */
export type DeliveryStep = 'read' | 'lease' | 'record';

export type DispatchDeps = {
  outbox: OutboxStore;
  config: SiteConfig;
  now: () => number;
  dev: boolean;
  /** False once the outbox was replaced (the visitor was erased): from then on nothing is written. */
  live: () => boolean;
  /** Delivers a funnel notice to the site object. */
  notifySite: (row: OutboxRow) => Promise<void>;
  /** A receiver answered 410 Gone: turn its endpoint off in the site config. */
  disableEndpoint: (endpointId: string) => Promise<void>;
  /** Claims one of the site's demo alerts for this hour (idempotent per row id); false over the ceiling. */
  claimDemoAlert: (row: OutboxRow) => Promise<boolean>;
  /** Test seam: throws to simulate a storage failure at that step. */
  fault?: (step: DeliveryStep) => void;
  fetch?: typeof fetch;
  random?: () => number;
};

/** A webhook in flight is leased for its timeout and this much more (a lane's own clock, not the receiver's, ends it). */
const LEASE_MARGIN_MS = 1_000;

type Lane = { until: number; done: Promise<boolean>; disabled: boolean };

export class DeliveryLanes {
  private readonly lanes = new Map<string, Lane>();

  /**
   * Starts a lane for each target with rows due and none running. Resolves when those lanes and
   * any already running have ended: true if none of them met a fault. `onLaneEnd` runs as each ends.
   */
  run(deps: DispatchDeps, onLaneEnd: (clean: boolean) => Promise<void>): Promise<boolean> {
    deps.fault?.('read');
    const targets = deps.live() ? deps.outbox.dueTargets(deps.now()) : [];
    for (const target of targets) {
      if (this.lanes.has(target)) continue;
      const lane: Lane = { until: deps.now(), done: Promise.resolve(true), disabled: false };
      this.lanes.set(target, lane);
      lane.done = this.drain(target, lane, deps).then(async (clean) => {
        await onLaneEnd(clean).catch((e: Error) => console.warn('delivery: could not set the next alarm:', e.message));
        return clean;
      });
    }
    return Promise.all([...this.lanes.values()].map((l) => l.done)).then((all) => all.every(Boolean));
  }

  /** Targets with a lane running, and until when its current attempt may keep it busy. */
  busy(): Map<string, number> {
    return new Map([...this.lanes].map(([target, lane]) => [target, lane.until]));
  }

  private async drain(target: string, lane: Lane, deps: DispatchDeps): Promise<boolean> {
    try {
      for (;;) {
        // Read and leave the map without an await between: a row added meanwhile either is read here or starts a new lane.
        deps.fault?.('read');
        const due = deps.live() ? deps.outbox.due(target, deps.now()) : [];
        if (due.length === 0) {
          this.lanes.delete(target);
          return true;
        }
        for (const row of due) {
          if (!deps.live()) break;
          lane.until = deps.now() + deps.config.delivery.timeoutMs + LEASE_MARGIN_MS;
          await attemptRow(row, deps, lane);
        }
      }
    } catch (e) {
      this.lanes.delete(target);
      console.warn(`delivery to "${target}" interrupted; the alarm retries:`, (e as Error).message);
      return false;
    }
  }
}

/** When delivery next needs the alarm: the earliest pending row, where a busy target's rows wait for its current attempt. */
export function nextDeliveryWake(next: { target: string; nextAt: number }[], busy: Map<string, number>): number | null {
  let wake: number | null = null;
  for (const { target, nextAt } of next) {
    const at = Math.max(nextAt, busy.get(target) ?? nextAt);
    if (wake === null || at < wake) wake = at;
  }
  return wake;
}

/** A demo-request alert claims a slot under the site's hourly ceiling before its first attempt ever (not on a redelivery). */
export const needsAlertSlot = (row: OutboxRow) =>
  row.kind === 'webhook' && row.eventType === 'lead.demo_requested' && row.attempts === 0 && row.lastError === null;

async function attemptRow(row: OutboxRow, deps: DispatchDeps, lane: Lane) {
  const { outbox, config } = deps;
  const started = deps.now();

  let result: AttemptResult;
  if (row.kind === 'site') {
    // A site notice is idempotent (the site object keeps notice ids), so it skips the row a lease writes.
    result = await deps.notifySite(row).then(
      () => ({ status: 200, latencyMs: deps.now() - started, verdict: { kind: 'delivered' } as const }),
      (e: Error) => ({ status: null, latencyMs: deps.now() - started, verdict: { kind: 'retry', retryAfterMs: null, error: e.message } as const }),
    );
  } else {
    const endpoint = config.webhooks.find((w) => w.id === row.target);
    if (!endpoint || !endpoint.enabled || lane.disabled) {
      deps.fault?.('record');
      outbox.cancel(row.id, endpoint ? 'endpoint disabled' : 'endpoint removed from the config');
      return;
    }
    if (needsAlertSlot(row)) {
      // Fail open: if the site object cannot be reached, the alert goes out. The ceiling guards
      // sales against floods; our own outage must not cost them a real demo request.
      const allowed = await deps.claimDemoAlert(row).catch((e: Error) => {
        console.warn('demo alert ceiling unavailable; sending anyway:', e.message);
        return true;
      });
      if (!deps.live()) return;
      if (!allowed) {
        deps.fault?.('record');
        outbox.cancel(row.id, `suppressed: the site's ceiling of ${config.alerts.demoRequestsPerHour} demo alerts per hour was reached`);
        return;
      }
    }
    deps.fault?.('lease');
    outbox.lease(row.id, started + config.delivery.timeoutMs + LEASE_MARGIN_MS);
    result = await sendWebhook(endpoint, row.id, row.payload, { timeoutMs: config.delivery.timeoutMs, dev: deps.dev, now: deps.now, fetch: deps.fetch });
  }
  // Erased while the attempt was in flight: write nothing (no table comes back).
  if (!deps.live()) return;

  const at = deps.now();
  const attempt = row.attempts + 1;
  const v = result.verdict;
  const next = afterAttempt(v, { kind: row.kind, attempt: attempt - row.scheduleFrom, at, scheduleSeconds: config.delivery.retryScheduleSeconds, random: deps.random });
  deps.fault?.('record');
  outbox.recordAttempt(row, { attempt, at, status: result.status, latencyMs: result.latencyMs, error: v.kind === 'delivered' ? null : v.error }, next);
  if (v.kind === 'disable' && result.status === 410) {
    // The rest of this target's queue is cancelled, not sent, while the config catches up.
    lane.disabled = true;
    await deps.disableEndpoint(row.target).catch(() => undefined);
  }
}
