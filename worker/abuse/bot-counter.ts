/**
 * Bot beacons are not scored but are counted, per site and day. Counting in the isolate and
 * flushing at most every BOT_FLUSH_MS keeps the site object off the per-beacon path; counts held
 * in an isolate that is evicted before its next flush are lost, so the figure is a lower bound.
 */
import { siteStub } from '../config/config-cache';
import type { Env } from '../env';

export const BOT_FLUSH_MS = 10_000;

const pending = new Map<string, { count: number; lastFlush: number }>();

/** Counts one bot beacon; returns the flush to wait on (if this call flushes). */
export function countBot(env: Env, site: string, now: number): Promise<unknown> | null {
  const entry = pending.get(site) ?? { count: 0, lastFlush: 0 };
  entry.count += 1;
  pending.set(site, entry);
  if (now - entry.lastFlush < BOT_FLUSH_MS) return null;
  const n = entry.count;
  entry.count = 0;
  entry.lastFlush = now;
  return siteStub(env, site).countBots(n, now).catch(() => {
    entry.count += n;
  });
}
