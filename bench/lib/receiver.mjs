/**
 * A local webhook receiver: verifies Standard Webhooks signatures with the `standardwebhooks` package
 * and notes when each message arrived (performance.now(), the clock the sender uses in this process).
 * Paths under /unsigned take the baseline's plain JSON.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';

/** A fixed bench-only secret (base64 of "leadedge-bench-webhook-secret-00"). */
export const BENCH_WEBHOOK_SECRET = `whsec_${Buffer.from('leadedge-bench-webhook-secret-00').toString('base64')}`;

export async function startReceiver() {
  const verifier = new Webhook(BENCH_WEBHOOK_SECRET);
  const waiters = new Set();
  const stats = { verified: 0, rejected: 0 };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      const unsigned = req.url.startsWith('/unsigned');
      let payload = null;
      try {
        payload = unsigned ? JSON.parse(body) : verifier.verify(body, req.headers);
        if (!unsigned) stats.verified++;
      } catch {
        stats.rejected++;
      }
      res.writeHead(payload ? 204 : 401).end();
      for (const w of waiters) {
        if (payload && w.match(payload)) {
          waiters.delete(w);
          w.resolve({ at, payload, verified: !unsigned });
        }
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats,
    /** Resolves with the first message matching `match`, or rejects after `timeoutMs`. Register before sending. */
    waitFor: (match, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const w = { match, resolve };
        waiters.add(w);
        setTimeout(() => waiters.delete(w) && reject(new Error(`no matching webhook within ${timeoutMs} ms`)), timeoutMs).unref();
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
