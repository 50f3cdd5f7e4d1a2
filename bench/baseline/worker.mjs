/**
 * The baseline the ingest and handoff benchmarks are measured against: the floor of one
 * Worker -> Durable Object hop with a write. The Worker reads and parses the same JSON body, picks
 * the same object (`site/anonymousId`), and calls one RPC method that increments a counter in the
 * object's SQLite storage. For the handoff floor, the object then POSTs to the receiver.
 */
import { DurableObject } from 'cloudflare:workers';

export class CounterObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS counter (k INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
  }

  /** One row written; returns the new count. */
  increment() {
    return this.ctx.storage.sql
      .exec('INSERT INTO counter (k, n) VALUES (1, 1) ON CONFLICT (k) DO UPDATE SET n = n + 1 RETURNING n')
      .one().n;
  }

  /** Increments, then notifies `url` after answering (the floor of "write, then a webhook"). */
  incrementAndNotify(url, id) {
    const n = this.increment();
    this.ctx.waitUntil(
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': id }, body: JSON.stringify({ id, n }) })
        .then((r) => r.body?.cancel())
        .catch(() => undefined),
    );
    return n;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method !== 'POST' || url.pathname !== '/v1/collect') return new Response('not found', { status: 404 });
    const batch = await request.json();
    const stub = env.COUNTER.get(env.COUNTER.idFromName(`${batch.site}/${batch.anonymousId}`));
    const hook = url.searchParams.get('notify');
    const count = hook ? await stub.incrementAndNotify(hook, batch.events[0].id) : await stub.increment();
    return Response.json({ accepted: batch.events.length, count });
  },
};
