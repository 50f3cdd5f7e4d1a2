/** Talking to the real Worker the way clients do. */
import { createExecutionContext, env } from 'cloudflare:test';
import { expect } from 'vitest';
import worker from '../../worker/index';
import type { BatchInput } from '../../worker/schema/events';

export const ADMIN_TOKEN = 'leadedge-local-dev-admin-token-0000';
export const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * Calls the Worker's own fetch handler in this workerd isolate, with the real bindings and
 * Durable Objects. (`SELF.fetch` of vitest-pool-workers 0.15 slows down with every request a test
 * file makes: 200 requests took 2.4 s, the next 200 13 s, the next 200 49 s; this path stays flat.)
 */
export function fetchWorker(input: string, init?: RequestInit): Promise<Response> {
  return Promise.resolve(worker.fetch(new Request(input, init) as never, env as never, createExecutionContext()));
}
const BASE = 'http://localhost:8787';

/**
 * A beacon. Without an `origin` header it is a server-side call, which needs a key: the instance
 * owner's token is sent unless the test gives its own `authorization` (or `authorization: ''`, none).
 */
export async function collect(batch: BatchInput | unknown, headers: Record<string, string> = {}) {
  const auth = headers.origin === undefined && headers.authorization === undefined ? ADMIN : {};
  const sent = Object.fromEntries(Object.entries({ 'content-type': 'application/json', ...auth, ...headers }).filter(([, v]) => v !== ''));
  const res = await fetchWorker(`${BASE}/v1/collect`, {
    method: 'POST',
    headers: sent,
    body: typeof batch === 'string' ? batch : JSON.stringify(batch),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

export async function api(path: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  const res = await fetchWorker(`${BASE}${path}`, {
    ...rest,
    headers: { ...ADMIN, ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...(rest.headers as Record<string, string>) },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : null };
}

export const profile = (site: string, aid: string) => api(`/v1/admin/sites/${site}/visitors/${aid}`);

/** Polls until `check` stops throwing (for work the Worker finishes after answering). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
}
