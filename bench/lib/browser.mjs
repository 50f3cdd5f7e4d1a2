/**
 * The page benchmarks' browser side: Debian's headless Chromium kept offline, the demo page and the
 * local server that serves it (and whatever else a tracker fetches), and one cold load timed with CDP.
 */
import http from 'node:http';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { BROWSER_UA } from './events.mjs';
import { sleep } from './stats.mjs';

export const gzip = (code) => gzipSync(code, { level: 9 }).length;
export const brotli = (code) => brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

/**
 * Offline: every request not to loopback goes to a proxy on a closed local port and no other host name resolves,
 * so a tracker that fetches from anywhere else fails at once (and the load records it).
 */
export const launchChromium = () =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-blink-features=AutomationControlled', '--proxy-server=http://127.0.0.1:9', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
  });

/**
 * The demo page: a nav with a PDF download, a CTA slot, a newsletter form (posted into a hidden frame, so the
 * page stays) and 20 sections of text with links. `head` is the tracker's tag or snippet.
 */
export const demoPage = (head) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme Analytics</title>
${head}
</head><body><nav><a href="/">Home</a><a href="/pricing">Pricing</a><a href="/files/ebook.pdf">Ebook (PDF)</a></nav>
<h1>Find the buyers in your traffic</h1><div data-le-slot="hero"><a href="/blog/finding-buyers">Read how teams find buyers</a></div>
<form id="newsletter" data-le-form="newsletter" method="post" action="/subscribe" target="sink"><label>Work email <input type="email" name="email"></label><button>Subscribe</button></form><iframe name="sink" hidden></iframe>
${Array.from({ length: 20 }, (_, i) => `<section><h2>Section ${i + 1}</h2><p>Lorem ipsum dolor sit amet. <a href="/blog/post-${i}">Read more</a></p></section>`).join('\n')}
</body></html>`;

/**
 * A loopback server for the demo page: `/page?v=…` is `page(searchParams)`, `files` are served as they are,
 * `/v1/collect` is forwarded (with the page's Origin) to the Worker at `workerUrl`, anything else goes to
 * `handle(request)` (404 when it returns nothing). Every request is kept in `requests`, with the `run`
 * query parameter of the page it came from (its Referer, else the page served last) and the bytes answered.
 */
export async function startPageServer({ page, files = {}, workerUrl, handle = () => undefined }) {
  const requests = [];
  let current = null; // the run of the last page served: requests sent with an origin-only Referer belong to it
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const chunks = [];
    for await (const c of req) chunks.push(c);
    if (url.pathname === '/page') current = url.searchParams.get('run');
    const request = { url, method: req.method, headers: req.headers, body: Buffer.concat(chunks), run: url.pathname === '/page' ? null : (new URL(req.headers.referer ?? 'http://x').searchParams.get('run') ?? current) };
    requests.push(request);
    let answer;
    if (url.pathname === '/page') answer = { type: 'text/html', headers: { 'cache-control': 'no-store' }, body: page(url.searchParams) };
    else if (files[url.pathname] !== undefined) answer = { type: 'application/javascript', body: files[url.pathname] };
    else if (url.pathname === '/v1/collect' && workerUrl) {
      const { 'content-type': type = 'text/plain', 'user-agent': ua = '', origin = '' } = req.headers;
      const upstream = await fetch(`${workerUrl}/v1/collect`, { method: 'POST', headers: { 'content-type': type, 'user-agent': ua, origin }, body: request.body });
      answer = { status: upstream.status, type: 'application/json', body: Buffer.from(await upstream.arrayBuffer()) };
    } else answer = (await handle(request)) ?? { status: 404, body: '' };
    request.answered = Buffer.from(answer.body ?? '');
    res.writeHead(answer.status ?? 200, { 'content-type': answer.type ?? 'application/json', ...answer.headers }).end(request.answered);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/**
 * One cold load of `url` in a fresh context (empty cache and storage) at CPU throttling `throttle`: waits for
 * `until(page)` (registered before navigation) and `settleMs` more, then reads the main thread's scripting and
 * task time (CDP Performance, ms), its long tasks, and whatever `after(page)` returns. Requests to a host other
 * than 127.0.0.1 (which cannot resolve) are listed in `offline`.
 */
export async function coldLoad(browser, url, { throttle = 1, until, settleMs = 200, after } = {}) {
  const context = await browser.newContext({ userAgent: BROWSER_UA }); // a desktop Chrome's, not HeadlessChrome: some SDKs drop bots
  const offline = [];
  try {
    const page = await context.newPage();
    page.on('request', (r) => /^(https?|wss?):/.test(r.url()) && new URL(r.url()).hostname !== '127.0.0.1' && offline.push(r.url()));
    await page.addInitScript(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: true });
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
    // Waiting happens outside the page: polling in the page would count as its scripting.
    const ready = until?.(page);
    await page.goto(url, { waitUntil: 'load' });
    await ready;
    await sleep(settleMs);
    const { metrics } = await cdp.send('Performance.getMetrics');
    const ms = (name) => metrics.find((m) => m.name === name).value * 1000;
    const scriptMs = ms('ScriptDuration');
    const taskMs = ms('TaskDuration');
    const longTasks = await page.evaluate(() => window.__longTasks);
    return { scriptMs, taskMs, longTasks, offline, ...(await after?.(page)) };
  } finally {
    await context.close();
  }
}
