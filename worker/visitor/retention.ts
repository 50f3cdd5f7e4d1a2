/**
 * Retention without scans: each visitor's alarm purges its own events older than the site's
 * window, and erases the visitor entirely once it has been unseen for the whole window. Pure.
 */
import type { VisitorState } from './apply-batch';
import { DAY_MS } from '../time';


/**
 * What retention requires now: erase the visitor (unseen for the whole window), or purge the
 * timeline events before `purgeBefore`.
 * @example retentionNow(state, 30, now) // { eraseVisitor: false, purgeBefore: now - 30 days }
 */
export function retentionNow(state: VisitorState, retentionDays: number, now: number): { eraseVisitor: boolean; purgeBefore: number } {
  const purgeBefore = now - retentionDays * DAY_MS;
  return { eraseVisitor: state.aggregates.lastSeen <= purgeBefore, purgeBefore };
}

/** When retention next has work to do: the oldest kept event, or the visitor itself, leaving the window. */
export function nextRetentionCheck(state: VisitorState | null, oldestTimelineAt: number | null, retentionDays: number): number | null {
  if (!state) return null;
  const windowMs = retentionDays * DAY_MS;
  const due = [state.aggregates.lastSeen + windowMs];
  if (oldestTimelineAt !== null) due.push(oldestTimelineAt + windowMs);
  return Math.min(...due);
}
