/**
 * SDK main-thread time on load, in headless Chromium: the same page loaded with no tracker, with
 * the floor (bench/floor/pageview.js) and with the SDK (dist/sdk/leadedge.js), interleaved, each in
 * a fresh browser context (a first visit: cold cache, empty storage). Per load, CDP
 * Performance.getMetrics gives ScriptDuration and TaskDuration for the page's main thread, and a
 * PerformanceObserver counts long tasks. A load is settled 200 ms after the beacon was answered
 * (the SDK must have filled the CTA slot by then). Beacons reach the real Worker through the page server.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { minifiedFloor, SDK_PATH } from './sdk-weight.mjs';
import { createBenchSite } from './lib/site.mjs';
import { acrossRuns, median, quantile, sleep } from './lib/stats.mjs';

const SITE = 'bench-sdk';
export const VARIANTS = ['none', 'floor', 'sdk'];
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const page = (variant) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme Analytics: find the buyers in your traffic</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui;margin:0 auto;max-width:60em;padding:1em}nav a{margin-right:1em}</style>
${variant === 'sdk' ? `<script async src="/sdk.js" data-site="${SITE}"></script>` : variant === 'floor' ? `<script async src="/floor.js" data-site="${SITE}"></script>` : ''}
</head><body>
<nav><a href="/">Home</a><a href="/product">Product</a><a href="/pricing">Pricing</a><a href="/blog">Blog</a><a href="/files/ebook.pdf">Ebook (PDF)</a></nav>
<h1>Find the buyers in your traffic</h1>
<div data-le-slot="hero"><a href="/blog/finding-buyers">Read how teams find buyers</a></div>
${'<p>Acme Analytics shows which accounts are in market, what they read, and when to call. '.repeat(3)}</p>
<aside data-le-slot="sidebar"></aside>
<form id="newsletter"><label>Work email <input type="email" name="email"></label><button>Subscribe</button></form>
${Array.from({ length: 20 }, (_, i) => `<section><h2>Section ${i + 1}</h2><p>Lorem ipsum dolor sit amet, consectetur adipiscing elit. <a href="/blog/post-${i}">Read more</a></p></section>`).join('\n')}
</body></html>`;

/** Serves the page, the two scripts, and forwards /v1/collect to the Worker. */
async function startPageServer(workerUrl, floorCode) {
  const sdk = readFileSync(SDK_PATH);
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/page') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page(url.searchParams.get('v')));
    } else if (url.pathname === '/sdk.js' || url.pathname === '/floor.js') {
      res.writeHead(200, { 'content-type': 'application/javascript' }).end(url.pathname === '/sdk.js' ? sdk : floorCode);
    } else if (url.pathname === '/v1/collect' && req.method === 'POST') {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const upstream = await fetch(`${workerUrl}/v1/collect`, {
        method: 'POST',
        // The page's Origin goes along: a beacon without one is a server's and would need a key.
        headers: { 'content-type': req.headers['content-type'] ?? 'text/plain', 'user-agent': req.headers['user-agent'] ?? '', ...(req.headers.origin ? { origin: req.headers.origin } : {}) },
        body: Buffer.concat(chunks),
      });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(Buffer.from(await upstream.arrayBuffer()));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/** One cold load; returns main-thread figures in milliseconds. */
async function load(browser, baseUrl, variant, cpuThrottle) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(() => {
      window.__longTasks = [];
      try {
        new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
      } catch {
        /* not supported */
      }
    });
    const p = await context.newPage();
    const cdp = await context.newCDPSession(p);
    await cdp.send('Performance.enable');
    if (cpuThrottle > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuThrottle });
    // Waiting is done from outside the page (no waitForSelector: Playwright's polling would run in
    // the page and count as its scripting); the slot is checked only after the metrics are read.
    const beacon = variant === 'none' ? null : p.waitForResponse((r) => r.url().endsWith('/v1/collect'), { timeout: 5_000 });
    await p.goto(`${baseUrl}/page?v=${variant}`, { waitUntil: 'load' });
    if (beacon) await beacon;
    await sleep(200);
    const { metrics } = await cdp.send('Performance.getMetrics');
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    const longTasks = await p.evaluate(() => window.__longTasks);
    if (variant === 'sdk' && !(await p.evaluate(() => Boolean(document.querySelector('[data-le-slot="hero"][data-le-cta-id]'))))) {
      throw new Error('sdk main thread: the SDK did not fill the CTA slot within 200 ms of the answer');
    }
    return {
      scriptMs: m.ScriptDuration * 1000,
      taskMs: m.TaskDuration * 1000,
      longTasks: longTasks.length,
      longestTaskMs: longTasks.length ? Math.max(...longTasks) : 0,
    };
  } finally {
    await context.close();
  }
}

export async function benchSdkMainThread({ le, loads, throttles = [1, 4], log }) {
  await createBenchSite(le.client, SITE);
  const server = await startPageServer(le.runtime.url, await minifiedFloor());
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const out = [];
  try {
    for (const throttle of throttles) {
      // One untimed load of each variant warms Chromium's own caches (not the page's: contexts are fresh).
      for (const v of VARIANTS) await load(browser, server.url, v, throttle);
      const samples = Object.fromEntries(VARIANTS.map((v) => [v, []]));
      for (let i = 0; i < loads; i++) {
        const order = VARIANTS.map((_, k) => VARIANTS[(k + i) % VARIANTS.length]);
        for (const v of order) samples[v].push(await load(browser, server.url, v, throttle));
      }
      const stat = (v, key) => ({ p50: median(samples[v].map((s) => s[key])), p99: quantile(samples[v].map((s) => s[key]), 0.99) });
      const row = { throttle, loads, variants: {} };
      for (const v of VARIANTS) {
        row.variants[v] = {
          script: stat(v, 'scriptMs'),
          task: stat(v, 'taskMs'),
          longTasks: Math.max(...samples[v].map((s) => s.longTasks)),
          longestTaskMs: Math.max(...samples[v].map((s) => s.longestTaskMs)),
        };
      }
      // What each tracker adds to the page's scripting time, paired by load index (same round).
      const added = (v) => acrossRuns(samples[v].map((s, k) => s.scriptMs - samples.none[k].scriptMs));
      row.sdkAddedScript = added('sdk');
      row.floorAddedScript = added('floor');
      out.push(row);
      log(
        `sdk main thread (cpu x${throttle}): script ${row.variants.sdk.script.p50.toFixed(1)} ms p50 (none ${row.variants.none.script.p50.toFixed(1)}, floor ${row.variants.floor.script.p50.toFixed(1)}); ` +
          `added: sdk ${row.sdkAddedScript.median.toFixed(1)} ms, floor ${row.floorAddedScript.median.toFixed(1)} ms; long tasks (max per load) sdk ${row.variants.sdk.longTasks}`,
      );
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return out;
}
