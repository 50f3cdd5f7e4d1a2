/**
 * SDK: min+gzip of the built IIFE (dist/sdk/leadedge.js) against the budget, and main-thread scripting
 * on a first visit against the page-view floor (bench/floor/pageview.js, minified here with the SDK's
 * terser settings). A page is loaded with no tracker, the floor and the SDK, interleaved, each in a fresh
 * Chromium context (cold cache, empty storage); CDP's ScriptDuration is read 200 ms after the beacon was
 * answered by the real Worker, and each tracker's figure is its load minus the no-tracker load of the same round.
 */
import { readFileSync } from 'node:fs';
import { minify } from 'terser';
import { coldLoad, demoPage, gzip, launchChromium, startPageServer } from '../lib/browser.mjs';
import { createBenchSite } from '../lib/site.mjs';
import { bytes, fmt, median } from '../lib/stats.mjs';

/** Raised from 5,120 B for people, engaged time and CTA impressions; test/unit/sdk/size.test.ts enforces the same. */
const BUDGET_GZIP = 6 * 1024;
const SITE = 'bench-sdk';
const VARIANTS = ['none', 'floor', 'sdk'];
const THROTTLES = [1, 4]; // Chromium's CPU throttling: x4 is a mid-range phone

const page = (query) => demoPage(query.get('v') === 'none' ? '' : `<script async src="/${query.get('v')}.js" data-site="${SITE}"></script>`);

/** One cold load: the page's main-thread scripting in milliseconds. */
async function scriptingMs(browser, url, variant, throttle) {
  const { scriptMs, filled } = await coldLoad(browser, `${url}/page?v=${variant}`, {
    throttle,
    until: (p) => variant !== 'none' && p.waitForResponse((r) => r.url().endsWith('/v1/collect'), { timeout: 5_000 }),
    after: (p) => variant === 'sdk' && p.evaluate(() => ({ filled: Boolean(document.querySelector('[data-le-slot="hero"][data-le-cta-id]')) })),
  });
  if (variant === 'sdk' && !filled) throw new Error('sdk: the CTA slot was not filled within 200 ms of the answer');
  return scriptMs;
}

export default {
  name: 'sdk',
  title: 'SDK weight and main-thread time',
  async run({ quick, start, log }) {
    const sdk = readFileSync('dist/sdk/leadedge.js', 'utf8');
    const { code: floor } = await minify(readFileSync('bench/floor/pageview.js', 'utf8'), { ecma: 2020, compress: { passes: 3, pure_getters: true, unsafe_arrows: true }, format: { comments: false } });
    const weight = { sdk: gzip(sdk), floor: gzip(floor) };
    log(`sdk: ${weight.sdk} B gzip (floor ${weight.floor} B)`);
    const le = await start('leadedge');
    await createBenchSite(le.client, SITE);
    const server = await startPageServer({ page, files: { '/sdk.js': sdk, '/floor.js': floor }, workerUrl: le.url });
    const { url } = server;
    const browser = await launchChromium();
    const added = {};
    try {
      for (const throttle of THROTTLES) {
        for (const v of VARIANTS) await scriptingMs(browser, url, v, throttle); // warms Chromium's own caches
        const loads = Object.fromEntries(VARIANTS.map((v) => [v, []]));
        for (let i = 0; i < (quick ? 3 : 6); i++) {
          for (const v of VARIANTS.map((_, k) => VARIANTS[(k + i) % VARIANTS.length])) loads[v].push(await scriptingMs(browser, url, v, throttle));
        }
        const over = (v) => median(loads[v].map((x, k) => x - loads.none[k]));
        added[throttle] = { sdk: over('sdk'), floor: over('floor'), loads: loads.sdk.length };
        log(`sdk: at CPU x${throttle} the SDK adds ${fmt(added[throttle].sdk)} ms of scripting, the floor ${fmt(added[throttle].floor)} ms`);
      }
    } finally {
      await browser.close();
      server.close();
    }
    return { weight, added };
  },
  targets: ({ weight, added }) => [
    ['SDK weight: min+gzip of the IIFE', `≤ ${bytes(BUDGET_GZIP)}`, `${bytes(weight.sdk)} (floor ${bytes(weight.floor)})`, weight.sdk <= BUDGET_GZIP],
    ['SDK main-thread scripting, first visit, CPU x4', 'reported vs the floor', `+${fmt(added[4].sdk, 0)} ms (floor +${fmt(added[4].floor, 0)} ms)`, null],
  ],
  reading: ({ weight, added }) =>
    `The SDK is ${bytes(weight.sdk)} min+gzip (level 9), ${BUDGET_GZIP - weight.sdk} B under the budget and ${fmt(weight.sdk / weight.floor, 1)}x the page-view floor ` +
    `(\`bench/floor/pageview.js\`: site key, anonymous and session ids, one page-view beacon; no queue, retries, identify, CTAs or privacy controls). ` +
    `On a cold first visit in headless Chromium (${added[1].loads} interleaved loads of each page, fresh contexts), it adds ${fmt(added[1].sdk, 0)} ms of main-thread scripting ` +
    `at full CPU and ${fmt(added[4].sdk, 0)} ms at CPU x4, against ${fmt(added[1].floor, 0)} and ${fmt(added[4].floor, 0)} ms for the floor, by the time it has filled the page's CTA slot ` +
    `(CDP ScriptDuration 200 ms after the beacon's answer, minus the same page without a tracker in the same round).`,
};
