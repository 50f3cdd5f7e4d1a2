/**
 * Turns queued events into request bodies: one anonymous/session id pair per batch, at most 50
 * events and about 56 KB of events each (the keepalive / sendBeacon quota is 64 KiB for all in-flight requests).
 */
import type { BatchInput, EventInput } from '../../worker/schema/events';
import { LIMITS } from './limits';

/** A queued event with the ids it was captured under (they may change later, with reset()). */
export type Item = { a: string; s: string; e: EventInput };
export type Context = NonNullable<BatchInput['context']>;
export type Body = { items: Item[]; body: string };

/**
 * Splits queued events into request bodies of at most 50 events and about `maxBytes` (events are
 * at most 16,000 chars, so each fits).
 * @example toBatches(items, 'demo', {}, Date.now())[0].body // '{"site":"demo",...}'
 */
export function toBatches(items: Item[], site: string, context: Context, sentAt: number, maxBytes = 56_000): Body[] {
  const batches: Body[] = [];
  let group: Item[] = [];
  let size = 0;
  const close = () => {
    const first = group[0];
    if (first) {
      const events = group.map((i) => i.e);
      batches.push({ items: group, body: JSON.stringify({ site, anonymousId: first.a, sessionId: first.s, sentAt, events, context } satisfies BatchInput) });
    }
    group = [];
    size = 0;
  };
  for (const item of items) {
    const own = new Blob([JSON.stringify(item.e)]).size + 1;
    const first = group[0];
    if (first && (first.a !== item.a || first.s !== item.s || group.length >= LIMITS.maxEventsPerBatch || size + own > maxBytes)) close();
    group.push(item);
    size += own;
  }
  close();
  return batches;
}

/**
 * Keeps the newest `max` items.
 * @example bounded([1, 2, 3], 2) // [2, 3]
 */
export const bounded = <T>(list: T[], max: number): T[] => list.slice(Math.max(0, list.length - max));
