import { describe, expect, it } from 'vitest';
import type { OutboxRow } from '../../worker/objects/outbox-store';
import { afterAttempt, faultBackoffMs, NON_RETRYABLE_ATTEMPTS, SITE_NOTICE_SCHEDULE } from '../../worker/webhooks/backoff';
import { classifyResponse } from '../../worker/webhooks/classify';
import { needsAlertSlot, nextDeliveryWake } from '../../worker/webhooks/dispatch';

const AT = Date.UTC(2026, 5, 1, 12);
const SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];
const noJitter = () => 0;
const webhook = (attempt: number, verdict = classifyResponse(500, null)) =>
  afterAttempt(verdict, { kind: 'webhook', attempt, at: AT, scheduleSeconds: SCHEDULE, random: noJitter });

describe('which answers are worth another attempt', () => {
  it('a 4xx refuses the message, except 408, 409, 425 and 429 (not now rather than not this)', () => {
    for (const status of [400, 401, 403, 404, 413, 422]) expect(classifyResponse(status, null), String(status)).toEqual({ kind: 'reject', error: `HTTP ${status}` });
    for (const status of [408, 409, 425, 429]) expect(classifyResponse(status, null).kind, String(status)).toBe('retry');
    expect(classifyResponse(410, null).kind).toBe('disable');
  });

  it('a refused message fails after 3 attempts, whatever the schedule has left', () => {
    const refused = classifyResponse(400, null);
    expect(NON_RETRYABLE_ATTEMPTS).toBe(3);
    expect(webhook(1, refused)).toEqual({ status: 'pending', nextAt: AT + 5_000 });
    expect(webhook(2, refused)).toEqual({ status: 'pending', nextAt: AT + 300_000 });
    expect(webhook(3, refused)).toEqual({ status: 'failed', nextAt: AT });
    expect(webhook(3)).toEqual({ status: 'pending', nextAt: AT + 1_800_000 });
  });

  it('a retryable failure follows the schedule, or Retry-After, until the schedule is used up', () => {
    expect(webhook(1)).toEqual({ status: 'pending', nextAt: AT + 5_000 });
    expect(webhook(2, classifyResponse(503, 42_000))).toEqual({ status: 'pending', nextAt: AT + 42_000 });
    expect(webhook(SCHEDULE.length + 1)).toEqual({ status: 'failed', nextAt: AT });
    expect(webhook(1, { kind: 'delivered' })).toEqual({ status: 'delivered', nextAt: AT });
    expect(webhook(1, classifyResponse(410, null))).toEqual({ status: 'failed', nextAt: AT });
  });

  it('site notices retry forever on their short schedule', () => {
    const notice = (attempt: number) => afterAttempt({ kind: 'retry', retryAfterMs: null, error: 'x' }, { kind: 'site', attempt, at: AT, scheduleSeconds: [], random: noJitter });
    expect(notice(1)).toEqual({ status: 'pending', nextAt: AT + SITE_NOTICE_SCHEDULE[0]! * 1000 });
    expect(notice(1000)).toEqual({ status: 'pending', nextAt: AT + SITE_NOTICE_SCHEDULE.at(-1)! * 1000 });
  });
});

describe('when the alarm fires next', () => {
  it('at the earliest row due, never earlier', () => {
    expect(nextDeliveryWake([{ target: 'crm', nextAt: AT + 5_000 }, { target: 'slack', nextAt: AT + 300 }], new Map())).toBe(AT + 300);
    expect(nextDeliveryWake([], new Map())).toBeNull();
  });

  it("a busy target's rows wait for its attempt in flight: a row queued behind it does not make the alarm fire for nothing", () => {
    const busy = new Map([['crm', AT + 16_000]]);
    expect(nextDeliveryWake([{ target: 'crm', nextAt: AT - 1_000 }], busy)).toBe(AT + 16_000);
    expect(nextDeliveryWake([{ target: 'crm', nextAt: AT - 1_000 }, { target: 'slack', nextAt: AT + 2_000 }], busy)).toBe(AT + 2_000);
  });

  it('after faults in a row, backs off from 1 s, doubling, to 5 minutes', () => {
    expect([0, 1, 2, 3, 10, 100].map(faultBackoffMs)).toEqual([0, 1_000, 2_000, 4_000, 300_000, 300_000]);
  });
});

describe('the demo alert ceiling', () => {
  const row = (over: Partial<OutboxRow>) => ({ kind: 'webhook', eventType: 'lead.demo_requested', attempts: 0, lastError: null, ...over }) as OutboxRow;

  it('a demo alert claims a slot before its first attempt only; a redelivery (suppressed or failed) does not', () => {
    expect(needsAlertSlot(row({}))).toBe(true);
    expect(needsAlertSlot(row({ attempts: 1, lastError: 'HTTP 500' }))).toBe(false);
    expect(needsAlertSlot(row({ lastError: "suppressed: the site's ceiling of 2 demo alerts per hour was reached" }))).toBe(false);
    expect(needsAlertSlot(row({ eventType: 'lead.sql' }))).toBe(false);
    expect(needsAlertSlot(row({ kind: 'site' }))).toBe(false);
  });
});
