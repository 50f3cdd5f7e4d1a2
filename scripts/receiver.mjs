// The demo's sales inbox: a local webhook receiver that verifies Standard Webhooks signatures with
// the `standardwebhooks` package (a verifier we did not write) and keeps what it received.
//   POST /hooks/sales      a delivery (401 when the signature does not verify)
//   GET  /alerts           everything received, newest first
//   GET  /alerts/stream    the same, live (server-sent events)
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

export const DEMO_WEBHOOK_SECRET = 'whsec_bGVhZGVkZ2UtZGVtby1zYWxlcy1pbmJveC1zZWNyZXQ=';

/** Starts a receiver; resolves with { url, port, alerts, close }. */
export function startReceiver({ port = 8788, host = '127.0.0.1', secret = DEMO_WEBHOOK_SECRET, log = false } = {}) {
  const verifier = new Webhook(secret);
  const alerts = [];
  const seen = new Set();
  const streams = new Set();
  const cors = { 'access-control-allow-origin': '*' };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (req.method === 'POST' && url.pathname.startsWith('/hooks/')) {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let payload;
        try {
          payload = verifier.verify(body, {
            'webhook-id': req.headers['webhook-id'],
            'webhook-timestamp': req.headers['webhook-timestamp'],
            'webhook-signature': req.headers['webhook-signature'],
          });
        } catch (e) {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(e.message ?? e) }));
          return;
        }
        const id = String(req.headers['webhook-id']);
        if (!seen.has(id)) {
          seen.add(id);
          const alert = { id, receivedAt: Date.now(), hook: url.pathname.slice(7), payload };
          alerts.unshift(alert);
          if (alerts.length > 500) alerts.pop();
          for (const s of streams) s.write(`data: ${JSON.stringify(alert)}\n\n`);
          if (log) console.log(`[inbox] ${payload.type} ${payload.data?.traits?.email ?? payload.data?.visitor?.id}`);
        }
        res.writeHead(204).end();
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/alerts') {
      res.writeHead(200, { 'content-type': 'application/json', ...cors }).end(JSON.stringify({ alerts }));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/alerts/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...cors });
      res.write(': connected\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json', ...cors }).end(JSON.stringify({ error: 'not found' }));
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        port: actual,
        url: `http://${host}:${actual}`,
        alerts,
        close: () => new Promise((r) => { for (const s of streams) s.end(); server.close(() => r()); }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await startReceiver({ port: Number(process.env.RECEIVER_PORT ?? 8788), log: true });
  console.log(`sales inbox receiver on ${r.url}/hooks/sales`);
}
