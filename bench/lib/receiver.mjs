/**
 * A local webhook receiver for the handoff benchmark: verifies Standard Webhooks signatures with
 * the `standardwebhooks` package and notes when each message arrived (performance.now(), the same
 * clock the sender uses, since both run in this process).
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';

/** A fixed bench-only secret (base64 of "leadedge-bench-webhook-secret-00"). */
export const BENCH_WEBHOOK_SECRET = `whsec_${Buffer.from('leadedge-bench-webhook-secret-00').toString('base64')}`;

export async function startReceiver() {
  const verifier = new Webhook(BENCH_WEBHOOK_SECRET);
  /** Resolvers waiting for a predicate over (payload, headers). */
  const waiters = new Set();
  const stats = { received: 0, verified: 0, rejected: 0 };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      stats.received++;
      let payload = null;
      let verified = false;
      if (req.url.startsWith('/unsigned')) {
        payload = JSON.parse(body);
      } else {
        try {
          payload = verifier.verify(body, req.headers);
          verified = true;
          stats.verified++;
        } catch {
          stats.rejected++;
        }
      }
      res.writeHead(verified || req.url.startsWith('/unsigned') ? 204 : 401).end();
      for (const w of waiters) {
        if (payload && w.match(payload, req.headers)) {
          waiters.delete(w);
          w.resolve({ at, payload, verified });
        }
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;

  return {
    url,
    stats,
    /** Resolves with the first message matching `match`, or rejects after `timeoutMs`. Register before sending. */
    waitFor(match, timeoutMs = 10_000) {
      let w;
      const p = new Promise((resolve, reject) => {
        w = { match, resolve };
        waiters.add(w);
        setTimeout(() => {
          if (waiters.delete(w)) reject(new Error(`no matching webhook within ${timeoutMs} ms`));
        }, timeoutMs).unref();
      });
      return p;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
