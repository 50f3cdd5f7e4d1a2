/**
 * End-to-end harness: the real Worker (`wrangler dev`, fresh state), a customer's site on another
 * origin (a tiny static server for test/e2e/fixtures), a site created through the admin API, and
 * headless Chromium. Observations go through the admin API, i.e. what really reached the server.
 *
 * @example
 *   const h = await startHarness({ site: 'e2e-spa' });
 *   const page = await h.newPage('spa.html');
 *   await h.waitForVisitor(await h.anonymousId(page), (v) => v.counts.page_view === 1);
 *   await h.close();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/e2e/fixtures');
export const ADMIN_TOKEN = 'leadedge-local-dev-admin-token-0000';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** What GET /v1/admin/sites/:site/visitors/:aid answers (the parts the tests read). */
export type VisitorView = {
  id: string;
  stage: string;
  eventCount: number;
  counts: Record<string, number>;
  traits: Record<string, unknown>;
  topics: { topic: string; weight: number }[];
  /** Newest first. */
  timeline: { id: string; type: string; name?: string; path: string; url?: string; ctaId?: string; topics?: string[]; traitKeys?: string[]; props?: Record<string, unknown>; at: number }[];
};

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createNetServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

/** Builds the SDK (and the Worker's embedded copy) unless `npm run build` already did. */
export function ensureSdkBuilt(): void {
  if (existsSync(join(ROOT, 'dist/sdk/leadedge.js')) && existsSync(join(ROOT, 'worker/generated/sdk-bundle.ts'))) return;
  const r = spawnSync(process.execPath, ['scripts/build-sdk.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('scripts/build-sdk.mjs failed');
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `wrangler dev` in its own process group, with state in a fresh temporary directory. */
export async function startWorker(opts: { stateDir?: string } = {}): Promise<{ url: string; logs: () => string; stop: () => Promise<void>; crash: () => Promise<void> }> {
  const port = await freePort();
  // A given state directory outlives this process (restart tests); a fresh one is removed on stop.
  const state = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'leadedge-e2e-'));
  let output = '';
  const child: ChildProcess = spawn(join(ROOT, 'node_modules/.bin/wrangler'), ['dev', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', state], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
  });
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
      if (!killed) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        await exited;
      }
    }
    if (!opts.stateDir) rmSync(state, { recursive: true, force: true });
  };
  /** A hard crash: SIGKILL to wrangler and workerd, no chance to flush anything. */
  const crash = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await exited;
    }
  };
  try {
    await waitFor('wrangler dev /v1/health', async () => {
      if (child.exitCode !== null) throw new Error(`wrangler exited (${child.exitCode}):\n${output}`);
      return (await fetch(`${url}/v1/health`)).ok;
    }, 60_000, 200);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, logs: () => output, stop, crash };
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript' };

/**
 * The customer's site: fixtures with `{{WORKER}}` and `{{SITE}}` filled in, the ESM build under
 * /dist/, idb-keyval for the import map, and any /files/* as a small attachment.
 */
export async function startSite(vars: Record<string, string>): Promise<{ url: string; server: Server }> {
  const port = await freePort();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path.startsWith('/files/')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment' });
      return res.end('%PDF-1.4 test file');
    }
    const file =
      path.startsWith('/dist/') ? join(ROOT, 'dist/sdk', normalize(path.slice(6)))
      : path === '/idb-keyval.js' ? join(ROOT, 'node_modules/idb-keyval/dist/index.js')
      : join(FIXTURES, normalize(path === '/' ? 'index.html' : path));
    if (!file.startsWith(ROOT) || !existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    }
    let body = readFileSync(file, 'utf8');
    if (file.startsWith(FIXTURES)) body = body.replace(/\{\{(\w+)\}\}/g, (m, k: string) => vars[k] ?? m);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'text/plain', 'cache-control': 'no-store' });
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${port}`, server };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

/**
 * Everything an SDK test needs. `config` is merged into the site's config document (the site
 * allows the fixture origin and scores automation, since Chromium reports navigator.webdriver).
 */
export async function startHarness(opts: { site: string; config?: Record<string, unknown> }) {
  ensureSdkBuilt();
  const worker = await startWorker();
  const site = await startSite({ WORKER: worker.url, SITE: opts.site });
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${worker.url}/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const putSite = async (config: Record<string, unknown> = {}) => {
    const res = await admin('PUT', `/sites/${opts.site}`, { allowedOrigins: [site.url], bots: { allowAutomated: true }, ...config });
    if (res.status >= 300) throw new Error(`PUT site: ${res.status} ${JSON.stringify(res.body)}`);
  };

  try {
    await putSite(opts.config);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  } catch (e) {
    await browser?.close();
    site.server.close();
    await worker.stop();
    throw e;
  }

  const h = {
    workerUrl: worker.url,
    siteUrl: site.url,
    site: opts.site,
    browser,
    workerLogs: worker.logs,
    admin,
    /** Replaces the site's config document (the fixture origin and automation stay allowed). */
    putSite,
    async newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
      const context = await browser!.newContext(options);
      contexts.push(context);
      return context;
    },
    /** A fresh visitor (own context) on a fixture page, once the SDK is installed. */
    async newPage(fixture: string, options: BrowserContextOptions = {}): Promise<Page> {
      const page = await (await h.newContext(options)).newPage();
      await page.goto(`${site.url}/${fixture}`);
      return page;
    },
    async anonymousId(page: Page): Promise<string> {
      await page.waitForFunction(() => typeof (window as { leadedge?: { anonymousId?: unknown } }).leadedge?.anonymousId === 'function');
      return page.evaluate(() => (window as unknown as { leadedge: { anonymousId(): string } }).leadedge.anonymousId());
    },
    /** The visitor as the Worker stored it, or null when it has never heard of them. */
    async visitor(aid: string): Promise<VisitorView | null> {
      const res = await admin('GET', `/sites/${opts.site}/visitors/${encodeURIComponent(aid)}`);
      if (res.status === 404) return null;
      if (res.status !== 200) throw new Error(`GET visitor: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as unknown as VisitorView;
    },
    /** Polls the admin API until `ok(visitor)` holds. */
    waitForVisitor(aid: string, ok: (v: VisitorView) => boolean, timeoutMs = 15_000): Promise<VisitorView> {
      return waitFor(`visitor ${aid}`, async () => {
        const v = await h.visitor(aid);
        return v && ok(v) ? v : null;
      }, timeoutMs);
    },
    async close(): Promise<void> {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser?.close().catch(() => undefined);
      const closed = new Promise<void>((ok) => site.server.close(() => ok()));
      site.server.closeAllConnections();
      await closed;
      await worker.stop();
    },
  };
  return h;
}

/**
 * Makes a context's pages record every body the SDK hands to fetch or sendBeacon, in sessionStorage
 * (the DevTools request events may miss the body of a keepalive request); `sentBodies` reads them.
 */
export async function recordSentBodies(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const keep = (body: unknown) => {
      const all = JSON.parse(sessionStorage.getItem('__sent') ?? '[]') as unknown[];
      sessionStorage.setItem('__sent', JSON.stringify([...all, String(body)]));
    };
    const { fetch: f } = window;
    window.fetch = (input, init) => (keep(init?.body), f(input, init));
    const beacon = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = (url, data) => (keep(data), beacon(url, data));
  });
}

export const sentBodies = (page: Page) => page.evaluate(() => JSON.parse(sessionStorage.getItem('__sent') ?? '[]') as string[]);

/** Page views of a visitor, oldest first. */
export const pageViews = (v: VisitorView) => v.timeline.filter((e) => e.type === 'page_view').reverse();
