// A webhook receiver for tests: verifies every delivery with the `standardwebhooks` package (a
// verifier we did not write), records attempts and deliveries per hook, and can be told to fail.
//   POST /hooks/<name>            a delivery
//   POST /control/<name>          { fail: N, status: 500, retryAfter?: "1", type?: "lead.mql", delayMs?: 0 }: answer the
//                                 next N (of that payload type, if given) with that status; every answer after delayMs (a slow endpoint)
//   GET  /log/<name>              { attempts: [...], deliveries: [...] } (deliveries: verified, 2xx answered)
//   POST /reset                   forget everything
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

export const TEST_WEBHOOK_SECRET = 'whsec_dGVzdC1zZWNyZXQtZm9yLWxlYWRlZGdlLXdlYmhvb2tzIQ==';

export function startRecordingReceiver({ secret = TEST_WEBHOOK_SECRET } = {}) {
  const verifier = new Webhook(secret);
  let hooks = new Map();
  const hook = (name) => {
    if (!hooks.has(name)) hooks.set(name, { attempts: [], deliveries: [], script: { fail: 0, status: 500 } });
    return hooks.get(name);
  };
  const json = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const [, kind, name = ''] = (req.url ?? '/').split('?')[0].split('/');
      if (req.method === 'POST' && kind === 'hooks') {
        const h = hook(name);
        const headers = {
          'webhook-id': req.headers['webhook-id'],
          'webhook-timestamp': req.headers['webhook-timestamp'],
          'webhook-signature': req.headers['webhook-signature'],
        };
        let verified = true;
        let payload = null;
        try {
          payload = verifier.verify(body, headers);
        } catch {
          verified = false;
        }
        const attempt = { id: headers['webhook-id'], type: payload?.type, at: Date.now(), verified, contentType: req.headers['content-type'] };
        h.attempts.push(attempt);
        if (!verified) return json(res, 401, { error: 'bad signature' });
        const answer = () => {
          if (h.script.fail > 0 && (!h.script.type || payload?.type === h.script.type)) {
            h.script.fail -= 1;
            attempt.answered = h.script.status;
            const extra = h.script.retryAfter ? { 'retry-after': h.script.retryAfter } : {};
            return res.writeHead(h.script.status, extra).end();
          }
          attempt.answered = 200;
          h.deliveries.push({ id: headers['webhook-id'], at: Date.now(), payload });
          return json(res, 200, { ok: true });
        };
        if (h.script.delayMs) return void setTimeout(answer, h.script.delayMs);
        return answer();
      }
      if (req.method === 'POST' && kind === 'control') {
        hook(name).script = { status: 500, ...JSON.parse(body || '{}') };
        return json(res, 200, { ok: true });
      }
      if (req.method === 'GET' && kind === 'log') {
        const h = hook(name);
        return json(res, 200, { attempts: h.attempts, deliveries: h.deliveries });
      }
      if (req.method === 'POST' && kind === 'reset') {
        hooks = new Map();
        return json(res, 200, { ok: true });
      }
      json(res, 404, { error: 'not found' });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(() => r())) }),
    ),
  );
}
