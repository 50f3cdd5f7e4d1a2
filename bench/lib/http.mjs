/**
 * A keep-alive HTTP client over loopback, and a closed-loop load generator (N lanes, each sends its
 * next request when the last one answered), bounded by a request count and a time limit.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { BROWSER_UA } from './events.mjs';

/** The page the bench's beacons come from (bench sites allow any origin). */
const BEACON_ORIGIN = 'https://www.example.com';

export function createClient(baseUrl) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 });
  const { hostname, port } = new URL(baseUrl);

  /** One request: { status, body, ms }. */
  const once = (method, path, body, headers, via) =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const type = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
      const req = http.request({ agent: via, hostname, port, method, path, headers: { 'user-agent': BROWSER_UA, ...type, ...headers } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        res.on('error', reject);
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', (e) => reject(Object.assign(e, { reusedSocket: req.reusedSocket })));
      req.end(body);
    });

  /**
   * A request that failed on a keep-alive socket the server had just closed (Node's documented race)
   * is sent once more on a new connection: every request the sections send is idempotent.
   */
  async function request(method, path, body, headers = {}) {
    try {
      return await once(method, path, body, headers, agent);
    } catch (e) {
      if (!(e.reusedSocket && (e.code === 'ECONNRESET' || e.message === 'socket hang up'))) throw e;
      return once(method, path, body, headers, false);
    }
  }

  const text = (json) => (json === undefined || typeof json === 'string' ? json : JSON.stringify(json));
  return {
    post: (path, json, headers) => request('POST', path, text(json), headers),
    /** A beacon as the SDK sends it from a page: with its Origin, so the origin and bot checks run. */
    beacon: (json) => request('POST', '/v1/collect', text(json), { origin: BEACON_ORIGIN }),
    /** JSON in and out; throws on a non-2xx answer. */
    async json(method, path, json, headers) {
      const res = await request(method, path, text(json), headers);
      if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 300)}`);
      return JSON.parse(res.body);
    },
    close: () => agent.destroy(),
  };
}

/**
 * Runs `count` requests over `concurrency` lanes (closed loop), stopping early after `maxMs`;
 * `send(i)` performs request i and resolves with `{ status, ms }`. Throws on any failed request.
 * @example await closedLoop({ concurrency: 16, count: 1000, send: (i) => client.beacon(body(i)) })
 */
export async function closedLoop({ concurrency, count, maxMs = 60_000, send }) {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < count && performance.now() < started + maxMs) {
      const res = await send(next++);
      if (res.status < 200 || res.status > 299) throw new Error(`${res.status} ${String(res.body).slice(0, 200)}`);
      latencies.push(res.ms);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { latencies, elapsedMs: performance.now() - started, completed: latencies.length };
}
