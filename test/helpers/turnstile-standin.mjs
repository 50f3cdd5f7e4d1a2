// A local stand-in for Cloudflare Turnstile's siteverify endpoint, answering its documented shape
// (https://developers.cloudflare.com/turnstile/get-started/server-side-validation/): tokens that
// start with "ok-" pass once (a second use is timeout-or-duplicate, as in production), any other
// token is invalid-input-response, and any secret but TURNSTILE_TEST_SECRET is invalid-input-secret.
//   POST /siteverify   form or JSON { secret, response, remoteip? }
//   GET  /calls        what was asked, in order
import { createServer } from 'node:http';

export const TURNSTILE_TEST_SECRET = '0x4AAAAAAAleadedge-test-secret';

export function startTurnstileStandIn() {
  const used = new Set();
  const calls = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const json = (status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method === 'GET' && req.url === '/calls') return json(200, calls);
      if (req.method !== 'POST' || req.url !== '/siteverify') return json(404, { error: 'not found' });
      const raw = Buffer.concat(chunks);
      const type = req.headers['content-type'] ?? '';
      let fields;
      if (type.includes('application/json')) fields = JSON.parse(raw.toString('utf8'));
      else fields = Object.fromEntries((await new Response(raw, { headers: { 'content-type': type } }).formData()).entries());
      calls.push({ response: fields.response, remoteip: fields.remoteip ?? null });
      const fail = (code) => json(200, { success: false, 'error-codes': [code], messages: [] });
      if (fields.secret !== TURNSTILE_TEST_SECRET) return fail('invalid-input-secret');
      if (typeof fields.response !== 'string' || !fields.response.startsWith('ok-')) return fail('invalid-input-response');
      if (used.has(fields.response)) return fail('timeout-or-duplicate');
      used.add(fields.response);
      json(200, { success: true, challenge_ts: new Date().toISOString(), hostname: 'shop.example.com', 'error-codes': [], action: 'demo', cdata: '' });
    });
  });
  // The vitest process that starts it must still be able to exit.
  server.unref();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(() => r())) })),
  );
}
