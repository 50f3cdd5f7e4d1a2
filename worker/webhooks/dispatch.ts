/**
 * Drains a visitor's outbox: per target, the oldest pending row first (so a receiver sees one
 * visitor's alerts in order), retrying on the configured schedule. Safe to run from the beacon
 * path and the alarm at once: rows are leased while in flight.
 */
import type { SiteConfig } from '../schema/config';
import type { OutboxRow, OutboxStore } from '../objects/outbox-store';
import { retryDelayMs } from './backoff';
import type { AttemptResult } from './send';
import { sendWebhook } from './send';

export type DispatchDeps = {
  outbox: OutboxStore;
  config: SiteConfig;
  now: () => number;
  dev: boolean;
  /** Delivers a funnel notice to the site object. */
  notifySite: (row: OutboxRow) => Promise<void>;
  /** A receiver answered 410 Gone: turn its endpoint off in the site config. */
  disableEndpoint: (endpointId: string) => Promise<void>;
  fetch?: typeof fetch;
  random?: () => number;
};

/** Site notices only ever target our own site object, so they retry on a short schedule, forever. */
const SITE_NOTICE_SCHEDULE = [1, 5, 30, 60, 300];

/** Runs until nothing more is due now. Returns when the next pending row is due (or null). */
export async function dispatchDue(deps: DispatchDeps): Promise<number | null> {
  // Endpoints turned off during this run (410 Gone): their queued rows are cancelled, not sent.
  const disabled = new Set<string>();
  for (;;) {
    const heads = dueHeads(deps.outbox.pending(), deps.now());
    if (heads.length === 0) return deps.outbox.nextDue();
    await Promise.all(heads.map((row) => attemptRow(row, deps, disabled)));
  }
}

/** The oldest pending row of each target, if it is due. */
export function dueHeads(pending: OutboxRow[], now: number): OutboxRow[] {
  const firstByTarget = new Map<string, OutboxRow>();
  for (const row of pending) if (!firstByTarget.has(row.target)) firstByTarget.set(row.target, row);
  return [...firstByTarget.values()].filter((row) => row.nextAt <= now);
}

async function attemptRow(row: OutboxRow, deps: DispatchDeps, disabled: Set<string>) {
  const { outbox, config } = deps;
  const attempt = row.attempts + 1;
  const started = deps.now();
  // A webhook is held while in flight, so a restart does not resend it at once; a site notice is
  // idempotent (the site object keeps notice ids), so it skips the two rows a lease writes.
  if (row.kind === 'webhook') outbox.lease(row.id, started + config.delivery.timeoutMs + 5_000);

  let result: AttemptResult;
  if (row.kind === 'site') {
    result = await deps.notifySite(row).then(
      () => ({ status: 200, latencyMs: deps.now() - started, verdict: { kind: 'delivered' } as const }),
      (e: Error) => ({ status: null, latencyMs: deps.now() - started, verdict: { kind: 'retry', retryAfterMs: null, error: e.message } as const }),
    );
  } else {
    const endpoint = config.webhooks.find((w) => w.id === row.target);
    if (!endpoint || !endpoint.enabled || disabled.has(endpoint.id)) {
      outbox.cancel(row.id, endpoint ? 'endpoint disabled' : 'endpoint removed from the config');
      return;
    }
    result = await sendWebhook(endpoint, row.id, row.payload, { timeoutMs: config.delivery.timeoutMs, dev: deps.dev, now: deps.now, fetch: deps.fetch });
  }

  const at = deps.now();
  const log = { attempt, at, status: result.status, latencyMs: result.latencyMs, error: result.verdict.kind === 'delivered' ? null : result.verdict.error };
  const v = result.verdict;
  if (v.kind === 'delivered') {
    outbox.recordAttempt(row, log, { status: 'delivered', nextAt: at });
  } else if (v.kind === 'disable') {
    outbox.recordAttempt(row, log, { status: 'failed', nextAt: at });
    if (result.status === 410) {
      disabled.add(row.target);
      await deps.disableEndpoint(row.target).catch(() => undefined);
    }
  } else {
    // Site notices retry forever on a short schedule: they only ever target our own object.
    const scheduled =
      row.kind === 'site'
        ? retryDelayMs(Math.min(attempt, SITE_NOTICE_SCHEDULE.length), SITE_NOTICE_SCHEDULE, deps.random)
        : retryDelayMs(attempt, config.delivery.retryScheduleSeconds, deps.random);
    const delay = scheduled === null ? null : (v.retryAfterMs ?? scheduled);
    outbox.recordAttempt(row, log, delay === null ? { status: 'failed', nextAt: at } : { status: 'pending', nextAt: at + delay });
  }
}
