/**
 * Turns queued events into request bodies: one anonymous/session id pair and one attempt count per
 * batch, at most 50 events and about 56 KB of events each (the keepalive / sendBeacon quota is
 * 64 KiB for all in-flight requests), each event once. The person hint comes right after the
 * anonymous id: the Worker routes a beacon by reading `{"site":…,"anonymousId":…,"person":…,` off
 * its first bytes (worker/http/batch-body.ts).
 */
import type { BatchInput, EventInput } from '../../worker/schema/events';
import { LIMITS } from './limits';

/**
 * A queued event with the ids it was captured under (they may change later, with reset()), `n`,
 * how many sends of it failed (kept in IndexedDB with it; absent is 0), and `t`, the email link
 * token (`le_t`) of the landing it was captured on: it goes as its batch's `linkToken`, and leaves
 * with the event once delivered.
 */
export type Item = { a: string; s: string; e: EventInput; n?: number; t?: string };
export type Context = NonNullable<BatchInput['context']>;
export type Body = { items: Item[]; body: string };

/**
 * Splits queued events into request bodies of at most 50 events and about `maxBytes` (events are
 * at most 16,000 chars, so each fits). Events that failed fewer times come first and never share a
 * batch with ones that failed more, so a batch that keeps failing never holds back new events. An
 * event queued twice (same id) goes once: the Worker refuses a batch naming an id twice. `person`
 * gives an anonymous id's person hint; an event carrying a link token starts its own batch (one
 * token per batch).
 * @example toBatches(items, 'demo', {}, Date.now())[0].body // '{"site":"demo",...}'
 */
export function toBatches(
  items: Item[],
  site: string,
  context: Context,
  sentAt: number,
  person: (anonymousId: string) => string | undefined = () => undefined,
  maxBytes = 56_000,
): Body[] {
  const batches: Body[] = [];
  const seen = new Set<string>();
  let group: Item[] = [];
  let size = 0;
  const close = () => {
    const first = group[0];
    if (first) {
      const events = group.map((i) => i.e);
      // Key order matters: site, anonymousId, then person (left out when undefined) open the body.
      batches.push({ items: group, body: JSON.stringify({ site, anonymousId: first.a, person: person(first.a), sessionId: first.s, linkToken: first.t, sentAt, events, context } satisfies BatchInput) });
    }
    group = [];
    size = 0;
  };
  // A stable sort: in capture order within each attempt count.
  for (const item of [...items].sort((x, y) => (x.n || 0) - (y.n || 0))) {
    if (seen.has(item.e.id)) continue;
    seen.add(item.e.id);
    const own = new Blob([JSON.stringify(item.e)]).size + 1;
    const first = group[0];
    if (first && (item.t || first.a !== item.a || first.s !== item.s || (first.n || 0) !== (item.n || 0) || group.length >= LIMITS.maxEventsPerBatch || size + own > maxBytes)) close();
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
