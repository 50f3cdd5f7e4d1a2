/**
 * A keep-alive HTTP client over loopback and a closed-loop load generator (N lanes, each sends its
 * next request when the last one answered), bounded by a request count and a time limit.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { BROWSER_UA } from './events.mjs';

/** The page the bench's beacons come from (bench sites allow any origin). */
export const BEACON_ORIGIN = 'https://www.example.com';

export function createClient(baseUrl, { connections = 64 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const { hostname, port } = new URL(baseUrl);

  const stats = { retriedStaleSockets: 0 };

  /**
   * One request; resolves with status, body text and round-trip milliseconds. A request that
   * failed on a reused keep-alive socket the server had just closed is sent again once on a
   * new connection (Node's documented keep-alive race; every request the benches send is
   * idempotent) and counted.
   */
  async function request(method, path, body, headers = {}) {
    try {
      return await once(method, path, body, headers, agent);
    } catch (e) {
      const stale = e.reusedSocket && (e.code === 'ECONNRESET' || e.message === 'socket hang up');
      if (!stale) throw e;
      stats.retriedStaleSockets++;
      // Again on a new connection, so it cannot meet another closed one.
      return once(method, path, body, headers, false);
    }
  }

  function once(method, path, body, headers, via) {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        {
          agent: via,
          hostname,
          port,
          method,
          path,
          headers: {
            'user-agent': BROWSER_UA,
            ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
            ...headers,
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
          res.on('error', reject);
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', (e) => reject(Object.assign(e, { reusedSocket: req.reusedSocket })));
      req.end(body);
    });
  }

  return {
    baseUrl,
    stats,
    request,
    post: (path, json, headers) => request('POST', path, typeof json === 'string' ? json : JSON.stringify(json), headers),
    get: (path, headers) => request('GET', path, undefined, headers),
    /**
     * A beacon as the SDK sends it from a page: with the page's Origin, so the Worker runs its
     * origin and bot checks (a request without Origin is a server-side integration's).
     */
    beacon: (json) => request('POST', '/v1/collect', typeof json === 'string' ? json : JSON.stringify(json), { origin: BEACON_ORIGIN }),
    /** JSON helper that throws on a non-2xx answer. */
    async json(method, path, json, headers) {
      const res = await request(method, path, json === undefined ? undefined : JSON.stringify(json), headers);
      if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 300)}`);
      return JSON.parse(res.body);
    },
    close: () => agent.destroy(),
  };
}

/**
 * Runs `count` requests over `concurrency` lanes (closed loop), stopping early after `maxMs`.
 * `send(i, lane)` performs request i and resolves with `{ status, ms }`.
 * @returns {{ latencies: number[], elapsedMs: number, completed: number, errors: number, firstError?: string }}
 */
export async function closedLoop({ concurrency, count, maxMs, send }) {
  const latencies = [];
  let next = 0;
  let errors = 0;
  let firstError;
  const started = performance.now();
  const deadline = started + maxMs;
  const lane = async (id) => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      try {
        const res = await send(i, id);
        if (res.status >= 200 && res.status < 300) latencies.push(res.ms);
        else {
          errors++;
          firstError ??= `${res.status} ${String(res.body).slice(0, 200)}`;
        }
      } catch (e) {
        errors++;
        firstError ??= `${e.message}${e.reusedSocket ? ' (reused socket)' : ''}`;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, id) => lane(id)));
  return { latencies, elapsedMs: performance.now() - started, completed: latencies.length, errors, firstError };
}
