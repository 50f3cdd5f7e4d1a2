/**
 * Delivery: one batch at a time with `fetch` (keepalive, text/plain so no CORS preflight), retried
 * with jittered backoff and Retry-After, each failure counted on the batch's events (given up after
 * MAX_ATTEMPTS; events that failed less go first); on page hide, what is left goes out with `sendBeacon`.
 */
import type { CollectResponse } from '../../worker/schema/responses';
import { backoff, classify, retryAfterMs } from './backoff';
import { toBatches, type Context, type Item } from './batch';
import { DEBUG, log, warn } from './debug';
import type { Queue } from './queue';

export type Transport = ReturnType<typeof createTransport>;

export function createTransport(
  url: string,
  site: string,
  queue: Queue,
  context: Context,
  canSend: () => boolean,
  onResponse: (res: CollectResponse | null, anonymousId: string) => void,
  person: (anonymousId: string) => string | undefined,
) {
  let inflight: Item[] = [];
  let sending = false;
  let attempt = 0;
  let retryAt = 0;
  let timer: ReturnType<typeof setTimeout> | 0 = 0;

  const online = () => canSend() && navigator.onLine !== false;
  /** Batches of what is queued and not in flight. */
  const batches = () => toBatches(queue.items.filter((i) => !inflight.includes(i)), site, context, Date.now(), person);

  /** Sends the next batch now (or when a pending retry is due). */
  async function send(): Promise<void> {
    if (sending || !online()) return;
    if (Date.now() < retryAt) return schedule(0);
    const batch = batches()[0];
    if (!batch) return;
    sending = true;
    inflight = batch.items;
    let status = 0;
    let wait = 0;
    let body: unknown;
    try {
      const res = await fetch(url, { method: 'POST', body: batch.body, keepalive: true, credentials: 'omit' });
      status = res.status;
      wait = retryAfterMs(res.headers.get('retry-after'), Date.now());
      body = await res.json().catch(() => null);
    } catch (e) {
      DEBUG && log('network error', e);
    }
    sending = false;
    inflight = [];
    const outcome = classify(status);
    if (outcome === 'retry') {
      // A network error while the browser says it is offline is not the batch's fault: not counted.
      if (status || navigator.onLine !== false) queue.fail(batch.items);
      retryAt = Date.now() + Math.max(backoff(attempt++), wait);
      DEBUG && log(`send failed (${status || 'network'}): retry #${attempt} in ${retryAt - Date.now()} ms`);
      return schedule(0);
    }
    attempt = 0;
    // Delivered, or refused for good (resending a 4xx cannot help): either way it leaves the queue.
    queue.remove(batch.items);
    if (outcome === 'ok') onResponse(body as CollectResponse | null, batch.items[0]!.a), DEBUG && log('sent', batch.items.length, body);
    else DEBUG && warn(`the Worker refused ${batch.items.length} event(s) with ${status}; dropped`, body);
    return send();
  }

  /** Sends within `ms` at the latest, but never before a pending retry is due. */
  function schedule(ms: number): void {
    timer ||= setTimeout(() => {
      timer = 0;
      void send();
    }, Math.max(ms, retryAt - Date.now()));
  }

  /** The page is going away (or hidden): hand everything not in flight to sendBeacon. */
  function beacon(): void {
    if (!online()) return;
    for (const b of batches()) {
      if (!navigator.sendBeacon(url, b.body)) break;
      DEBUG && log(`beaconed ${b.items.length} event(s)`);
      queue.remove(b.items, true);
    }
  }

  addEventListener('online', () => void send());
  return { send, schedule, beacon };
}
