/**
 * Peers: LeadEdge's tag beside the browser SDKs of its peers (npm dev-dependencies, loaded the way each one's
 * docs tell a site to), all served by one loopback server that also answers their config and collect endpoints,
 * in one Chromium launch. Per SDK: the bytes it loads before its first event leaves (gzip and brotli of each
 * response, plus its inline tag), main-thread scripting and long tasks on a cold first visit at CPU x1 and x4
 * (minus the page without a tracker, same round, interleaved), the time from navigation to the first beacon,
 * and what its beacons carried of one demo journey (decoded at the server).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { brotli, coldLoad, demoPage, gzip, launchChromium, startPageServer } from '../lib/browser.mjs';
import { createBenchSite } from '../lib/site.mjs';
import { bytes, fmt, median, sleep, table } from '../lib/stats.mjs';

const SITE = 'bench-peers';
const THROTTLES = [1, 4];
const JOURNEY = ['page', 'spa', 'download', 'form', 'identify'];
const version = (pkg) => JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, 'utf8')).version;
const file = (path) => readFileSync(`node_modules/${path}`);
const json = (body) => ({ body: JSON.stringify(body) });
/** A site's own bundle of an npm SDK: esbuild, minified, one IIFE for an async script tag. */
const bundle = async (contents) => (await build({ stdin: { contents, resolveDir: process.cwd() }, bundle: true, minify: true, format: 'iife', target: 'es2020', write: false, logLevel: 'error' })).outputFiles[0].text;
/** An inline stub in the vendors' snippet style: queues `methods` calls on window[name] and loads `src` async. */
const stub = (name, methods, src, extra = '') =>
  `<script>!function(w,d){var a=w.${name}=w.${name}||[];${extra}"${methods}".split(" ").forEach(function(m){a[m]=function(){a.push([m].concat([].slice.call(arguments)));return a}});var s=d.createElement("script");s.async=!0;s.src=location.origin+"${src}";d.head.appendChild(s)}(window,document);`;
const signed = (x) => `${x >= 0 ? '+' : ''}${fmt(x, 0)}`;
const pathOf = (u) => { try { return new URL(u, 'http://x').pathname; } catch { return ''; } };
/**
 * How long after its first beacon's answer each load's main-thread time is read. Long enough for every SDK's
 * start-up work (Segment's first beacon can leave before its own set-up is done): read at 200 ms, Segment's
 * x4 figure swung from 149 to 386 ms between runs.
 */
const SETTLE_MS = 1_000;
/** `GET /ph/static/array.js` -> `array.js`; `GET /rs/sourceConfig/` -> `rs/sourceConfig`. */
const short = (path) => ((segs) => (segs.at(-1).includes('.') ? segs.at(-1) : segs.slice(-2).join('/')))(path.split(' ')[1].split('/').filter(Boolean));
const b64 = (s) => JSON.parse(Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));

/**
 * The SDKs. `head` is what the page carries, `files` what the server serves as is, `answer` its config endpoints,
 * `beacon` the path of its events, `events(json)` their list and `kind(e)` what one is (page, download, form,
 * identify), `identify` the call the journey makes, `keeps` how it queues offline and across an unload.
 */
const SDKS = [
  {
    name: 'leadedge', label: 'LeadEdge', pkgs: [], how: 'script tag (`dist/sdk/leadedge.js`); its form capture marked with `data-le-form`',
    head: `<script async src="/sdk.js" data-site="${SITE}"></script>`,
    files: async () => ({ '/sdk.js': readFileSync('dist/sdk/leadedge.js') }),
    beacon: /^\/v1\/collect$/,
    events: (b) => b.events,
    kind: (e) => ({ page_view: 'page', download: 'download', identify: 'identify', track: 'form' })[e.type],
    identify: `leadedge.identify({ email: 'ana@acme.io' })`,
    keeps: ['IndexedDB queue (idb-keyval), retried across loads', 'sendBeacon on pagehide'],
  },
  {
    name: 'posthog', label: 'PostHog', pkgs: ['posthog-js'], how: "docs snippet -> `static/array.js`, then its remote config (`config.js`, answered with only analytics and autocapture on) and `/flags`; surveys.js is fetched even with surveys off (posthog-js#2844)",
    head: `${stub('posthog', 'capture identify', '/ph/static/array.js', 'a._i=[];a.__SV=1;a.init=function(t,c,n){a._i.push([t,c,n])};')}posthog.init("phc_bench",{api_host:location.origin+"/ph",defaults:"2026-08-30",person_profiles:"identified_only"})</script>`,
    files: async () => ({}),
    mounts: { '/ph/static/': 'posthog-js/dist/' },
    answer: {
      '/ph/array/phc_bench/config.js': () => ({ type: 'application/javascript', body: `(function(){window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};window._POSTHOG_REMOTE_CONFIG.phc_bench={config:${JSON.stringify(POSTHOG_CONFIG)},siteApps:[]}})();` }),
      '/ph/array/phc_bench/config': () => json(POSTHOG_CONFIG),
      '/ph/flags/': () => json({ flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false, requestId: 'bench' }),
    },
    beacon: /^\/ph\/(e|i\/v0\/e)\/$/,
    events: (b) => (Array.isArray(b) ? b : b.batch ?? [b]),
    kind: (e) => (e.event === '$pageview' ? 'page' : e.event === '$identify' ? 'identify' : e.event !== '$autocapture' ? null : e.properties.$event_type === 'submit' ? 'form' : JSON.stringify(e).includes('.pdf') ? 'download' : null),
    identify: `posthog.identify('ana@acme.io', { email: 'ana@acme.io' })`,
    keeps: ['in memory only: retried while the page lives (online event)', 'sendBeacon on unload'],
  },
  {
    name: 'segment', label: 'Segment', pkgs: ['@segment/analytics-next'], how: "docs snippet -> `analytics.min.js` (the package's standalone build), CDN settings; `trackLink` and `trackForm` on the PDF link and the form (they load the auto-track chunk)",
    head: `${stub('analytics', 'page track identify trackLink trackForm', '/seg/analytics.js/v1/bench/analytics.min.js', 'a._writeKey="bench";a._cdn=location.origin+"/seg";')}analytics.page();var d=document;d.addEventListener("DOMContentLoaded",function(){analytics.trackLink(d.querySelector('a[href$=".pdf"]'),"Download");analytics.trackForm(d.getElementById("newsletter"),"Form Submitted")})</script>`,
    files: async () => ({ '/seg/analytics.js/v1/bench/analytics.min.js': file('@segment/analytics-next/dist/umd/standalone.js') }),
    mounts: { '/seg/analytics-next/bundles/': '@segment/analytics-next/dist/umd/' },
    answer: {
      '/seg/v1/projects/bench/settings': (r) => json({ integrations: { 'Segment.io': { apiKey: 'bench', apiHost: `${r.headers.host}/seg/api/v1`, protocol: 'http', unbundledIntegrations: [], addBundledMetadata: true, maybeBundledConfigIds: {} } }, plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } }, edgeFunction: {}, analyticsNextEnabled: true, middlewareSettings: {}, enabledMiddleware: {}, metrics: { sampleRate: 0 }, legacyVideoPluginsEnabled: false, remotePlugins: [] }),
    },
    beacon: /^\/seg\/api\/v1\/(p|t|i|b|batch)$/,
    events: (b) => b.batch ?? [b],
    kind: (e) => (e.type === 'page' ? 'page' : e.type === 'identify' ? 'identify' : e.event === 'Download' ? 'download' : e.event === 'Form Submitted' ? 'form' : null),
    identify: `analytics.identify('ana@acme.io', { email: 'ana@acme.io' })`,
    keeps: ['localStorage queue, retried across loads', 'in-flight events persisted on pagehide'],
  },
  {
    name: 'rudderstack', label: 'RudderStack', pkgs: ['@rudderstack/analytics-js'], how: "npm `/bundled` build in the site's bundle (the default build fetches plugins from RudderStack's CDN, which npm does not ship), source config from the control plane; no click or form capture",
    head: `<script async src="/rs/rsa.js"></script>`,
    files: async () => ({ '/rs/rsa.js': await bundle(`import { RudderAnalytics } from '@rudderstack/analytics-js/bundled';
      const ra = new RudderAnalytics(); ra.load('bench', location.origin + '/rs', { configUrl: location.origin + '/rs' }); ra.page(); window.rudderanalytics = ra;`) }),
    answer: { '/rs/sourceConfig/': () => json({ isHosted: true, source: { id: 'bench', name: 'bench', writeKey: 'bench', workspaceId: 'bench', enabled: true, config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } }, destinations: [] } }) },
    beacon: /^\/rs\/v1\/(page|track|identify|batch)$/,
    events: (b) => b.batch ?? [b],
    kind: (e) => ({ page: 'page', identify: 'identify' })[e.type],
    identify: `rudderanalytics.identify('ana@acme.io', { email: 'ana@acme.io' })`,
    keeps: ['localStorage queue, retried across loads', 'queue persisted (sent on the next load)'],
  },
  {
    name: 'snowplow', label: 'Snowplow', pkgs: ['@snowplow/browser-tracker', '@snowplow/browser-plugin-link-click-tracking', '@snowplow/browser-plugin-form-tracking'], how: "npm tracker with the link-click and form-tracking plugins in the site's bundle (4.6.8: the last release with those plugins on npm); `setUserId` rides on later events",
    head: `<script async src="/sp/sp.js"></script>`,
    files: async () => ({ '/sp/sp.js': await bundle(`import { newTracker, trackPageView, setUserId } from '@snowplow/browser-tracker';
      import { LinkClickTrackingPlugin, enableLinkClickTracking } from '@snowplow/browser-plugin-link-click-tracking';
      import { FormTrackingPlugin, enableFormTracking } from '@snowplow/browser-plugin-form-tracking';
      newTracker('sp', location.origin + '/sp', { appId: 'bench', plugins: [LinkClickTrackingPlugin(), FormTrackingPlugin()] });
      enableLinkClickTracking(); enableFormTracking(); trackPageView(); window.snowplow = { setUserId };`) }),
    beacon: /^\/sp\/com\.snowplowanalytics\.snowplow\/tp2$/,
    events: (b) => b.data.map((e) => ({ ...e, ue: e.ue_px ? b64(e.ue_px) : e.ue_pr && JSON.parse(e.ue_pr) })),
    kind: (e) => (e.e === 'pv' ? 'page' : /link_click/.test(e.ue?.data?.schema) && /\.pdf/.test(e.ue.data.data.targetUrl) ? 'download' : /submit_form/.test(e.ue?.data?.schema) ? 'form' : null),
    extraKinds: (e) => (e.uid ? ['identify'] : []),
    identify: `snowplow.setUserId('ana@acme.io')`,
    keeps: ['localStorage queue, retried across loads', 'queue persisted (sent on the next load)'],
  },
  {
    name: 'amplitude', label: 'Amplitude', pkgs: ['@amplitude/analytics-browser'], how: "the package's snippet (its SRI hash kept) -> `amplitude-min.js` (the CDN script), remote config; default autocapture (page views, forms, downloads) plus element interactions",
    head: `<script>${readFileSync('node_modules/@amplitude/analytics-browser/lib/scripts/amplitude-snippet-min.js', 'utf8').replace(/"https:\/\/cdn\.amplitude\.com\/libs\/[^"]+"/, 'location.origin+"/amp/amplitude-min.js"')}
amplitude.init("bench",{serverUrl:location.origin+"/amp/2/httpapi",remoteConfig:{serverUrl:location.origin+"/amp/config"},autocapture:{elementInteractions:true}})</script>`,
    files: async () => ({ '/amp/amplitude-min.js': file('@amplitude/analytics-browser/lib/scripts/amplitude-min.js') }),
    answer: { '/amp/config/bench': () => json({ configs: {} }) },
    beaconAnswer: (events) => json({ code: 200, events_ingested: events, payload_size_bytes: 0, server_upload_time: Date.now() }),
    beacon: /^\/amp\/2\/httpapi$/,
    events: (b) => b.events,
    kind: (e) => ({ '[Amplitude] Page Viewed': 'page', '[Amplitude] File Downloaded': 'download', '[Amplitude] Form Submitted': 'form', $identify: 'identify' })[e.event_type],
    identify: `amplitude.setUserId('ana@acme.io'); amplitude.identify(new amplitude.Identify().set('email', 'ana@acme.io'))`,
    keeps: ['localStorage queue, retried across loads', 'queue persisted (sent on the next load)'],
  },
  {
    name: 'plausible', label: 'Plausible', pkgs: ['@plausible-analytics/tracker'], how: "npm tracker in the site's bundle, file downloads and form submissions on; no identify",
    head: `<script async src="/pl/plausible.js"></script>`,
    files: async () => ({ '/pl/plausible.js': await bundle(`import { init } from '@plausible-analytics/tracker';
      init({ domain: 'acme.example', endpoint: location.origin + '/pl/api/event', fileDownloads: true, formSubmissions: true, captureOnLocalhost: true, logging: false });`) }),
    beacon: /^\/pl\/api\/event$/,
    events: (b) => [b],
    kind: (e) => ({ pageview: 'page', 'File Download': 'download', 'Form: Submission': 'form' })[e.n],
    identify: null,
    keeps: null,
  },
];
/** A new PostHog project's remote config, with nothing beyond analytics and autocapture turned on. */
const POSTHOG_CONFIG = { token: 'phc_bench', supportedCompression: ['gzip', 'gzip-js'], hasFeatureFlags: false, autocapture_opt_out: false, autocaptureExceptions: false, captureDeadClicks: false, capturePerformance: false, heatmaps: false, sessionRecording: false, surveys: false, defaultIdentifiedOnly: true, elementsChainAsString: true, analytics: { endpoint: '/i/v0/e/' }, siteApps: [] };

/** A beacon's JSON, whatever its encoding: gzip, `data=` base64 form, or plain. */
function decode({ body, url }) {
  let raw = body.length ? body : Buffer.from(url.searchParams.get('data') ?? '', 'base64');
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
  let text = raw.toString('utf8');
  if (text.startsWith('data=')) text = Buffer.from(decodeURIComponent(text.slice(5)), 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const sizes = new Map();
/** gzip and brotli sizes of a response, computed once per distinct body. */
const compressed = (body) => {
  const key = createHash('sha1').update(body).digest('hex');
  if (!sizes.has(key)) sizes.set(key, { gzip: gzip(body), brotli: brotli(body) });
  return sizes.get(key);
};

/** What one load fetched, in order: everything before the SDK's first beacon counts toward its weight. */
function fetched(requests, run, sdk) {
  const mine = requests.filter((r) => r.run === run);
  const first = mine.findIndex((r) => sdk.beacon.test(r.url.pathname));
  const list = mine.map((r, i) => ({ path: `${r.method} ${r.url.pathname}`, size: r.answered.length, ...compressed(r.answered), before: first < 0 || i < first, beacon: sdk.beacon.test(r.url.pathname) }));
  const counted = list.filter((r) => r.before && !r.beacon && r.size > 0);
  return { list, counted, gzip: gzip(sdk.head) + counted.reduce((s, r) => s + r.gzip, 0), brotli: brotli(sdk.head) + counted.reduce((s, r) => s + r.brotli, 0) };
}

/** The journey's beacons: which of page view, SPA page view, download, form and identify they carried. */
function coverage(requests, run, sdk) {
  const seen = new Set();
  for (const r of requests.filter((x) => x.run === run && sdk.beacon.test(x.url.pathname))) {
    const body = decode(r);
    for (const e of (body && sdk.events(body)) ?? []) {
      const kind = sdk.kind(e);
      if (kind) seen.add(kind);
      if (kind === 'page' && JSON.stringify(e).includes('/pricing')) seen.add('spa');
      for (const k of sdk.extraKinds?.(e) ?? []) seen.add(k);
    }
  }
  return JOURNEY.filter((k) => seen.has(k));
}

export default {
  name: 'peers',
  title: 'The tag beside its peers',
  async run({ quick, start, log }) {
    const le = await start('leadedge');
    await createBenchSite(le.client, SITE);
    const files = Object.assign({}, ...(await Promise.all(SDKS.map((s) => s.files()))));
    const answers = Object.assign({}, ...SDKS.map((s) => s.answer ?? {}));
    const mounts = Object.assign({}, ...SDKS.map((s) => s.mounts ?? {}));
    const handle = (r) => {
      const path = r.url.pathname;
      if (answers[path]) return answers[path](r);
      const mount = Object.keys(mounts).find((m) => path.startsWith(m) && !path.includes('..'));
      const name = mount && `node_modules/${mounts[mount]}${path.slice(mount.length).replace(/^[\d.]+\//, '')}`; // PostHog asks for /static/<version>/x.js
      if (name && existsSync(name)) return { type: 'application/javascript', body: readFileSync(name) };
      if (path === '/files/ebook.pdf') return { type: 'application/pdf', headers: { 'content-disposition': 'attachment; filename="ebook.pdf"' }, body: '%PDF-1.4\n%%EOF\n' };
      if (path === '/subscribe') return { type: 'text/html', body: 'Thanks' };
      const sdk = SDKS.find((s) => s.beacon.test(path));
      if (sdk) return sdk.beaconAnswer?.(sdk.events(decode(r) ?? { events: [] })?.length ?? 1) ?? json({ status: 1 });
    };
    const bySdk = Object.fromEntries(SDKS.map((s) => [s.name, s]));
    const server = await startPageServer({ page: (q) => demoPage(bySdk[q.get('v')]?.head ?? ''), files, workerUrl: le.url, handle });
    const browser = await launchChromium();
    const variants = ['none', ...SDKS.map((s) => s.name)];
    const offline = new Set();
    let runs = 0;
    /** One cold load of `variant`: its timings and what it fetched; `journey` then drives the demo journey before the context closes. */
    const load = async (variant, throttle, journey = false) => {
      const run = String(++runs);
      const sdk = bySdk[variant];
      const result = await coldLoad(browser, `${server.url}/page?v=${variant}&run=${run}`, {
        throttle,
        settleMs: SETTLE_MS,
        until: (p) => sdk && p.waitForResponse((r) => sdk.beacon.test(pathOf(r.url())), { timeout: 15_000 }),
        after: async (p) => {
          const firstBeaconMs = sdk && (await p.evaluate((src) => performance.getEntriesByType('resource').find((e) => new RegExp(src).test(new URL(e.name).pathname))?.startTime, sdk.beacon.source));
          const filled = variant === 'leadedge' && (await p.evaluate(() => Boolean(document.querySelector('[data-le-slot="hero"][data-le-cta-id]'))));
          if (journey) await drive(p, sdk, server.requests, run);
          return { firstBeaconMs, filled };
        },
      });
      result.offline.forEach((u) => offline.add(u));
      if (variant === 'leadedge' && !result.filled) throw new Error(`peers: the LeadEdge CTA slot was not filled within ${SETTLE_MS} ms of the answer`);
      if (journey) await sleep(300); // beacons sent as the page closed
      return { ...result, run, ...(sdk && fetched(server.requests, run, sdk)) };
    };

    const loads = Object.fromEntries(variants.map((v) => [v, { 1: [], 4: [] }]));
    const rounds = quick ? 2 : 4;
    for (const v of variants) await load(v, 1); // warms Chromium's own caches
    for (const throttle of THROTTLES) {
      for (let i = 0; i < rounds; i++) {
        // The last round at full CPU also drives the journey, after its timings are read.
        for (const v of variants.map((_, k) => variants[(k + i) % variants.length])) loads[v][throttle].push(await load(v, throttle, v !== 'none' && throttle === 1 && i === rounds - 1));
      }
      log(`peers: x${throttle} done (${rounds} rounds of ${variants.length} cold loads)`);
    }
    const rows = [];
    for (const s of SDKS) {
      const timed = loads[s.name];
      const journey = timed[1].at(-1);
      const over = (throttle, pick) => median(timed[throttle].map((r, k) => pick(r) - pick(loads.none[throttle][k])));
      // Weight: the load with the median gzip (what arrives before the first beacon can race it, as PostHog's surveys.js does).
      const weight = [...timed[1]].sort((a, b) => a.gzip - b.gzip)[Math.floor((timed[1].length - 1) / 2)];
      const before = new Set(weight.counted.map((c) => c.path));
      rows.push({
        name: s.name, label: s.label, how: s.how, keeps: s.keeps, versions: s.pkgs.map((p) => `${p}@${version(p)}`),
        gzip: weight.gzip, brotli: weight.brotli,
        before: weight.counted.map(({ path, gzip: g }) => ({ path, gzip: g })),
        after: journey.list.filter((r) => !r.beacon && r.size > 0 && !before.has(r.path) && !/ \/(files|subscribe)/.test(r.path)).map(({ path, gzip: g }) => ({ path, gzip: g })),
        script: { 1: over(1, (r) => r.scriptMs), 4: over(4, (r) => r.scriptMs) },
        longTasks4: over(4, (r) => r.longTasks.length),
        firstBeacon: { 1: median(timed[1].map((r) => r.firstBeaconMs)), 4: median(timed[4].map((r) => r.firstBeaconMs)) },
        captured: coverage(server.requests, journey.run, s),
      });
      const row = rows.at(-1);
      log(`peers: ${s.name} ${bytes(row.gzip)} gzip before its first event (${row.before.map((c) => `${c.path} ${bytes(c.gzip)}`).join(', ')}), then ${row.after.map((c) => `${c.path} ${bytes(c.gzip)}`).join(', ') || 'nothing'}; +${fmt(row.script[4], 0)} ms at x4; captured ${row.captured.join(', ') || 'nothing'}`);
    }
    await browser.close();
    server.close();
    return { rows, rounds, offline: [...offline] };
  },
  targets: ({ rows }) => {
    const le = rows.find((r) => r.name === 'leadedge');
    const pl = rows.find((r) => r.name === 'plausible');
    const others = rows.filter((r) => r.keeps && r !== le);
    const cell = (pick, show) => {
      const next = others.reduce((a, r) => (pick(r) < pick(a) ? r : a));
      return [`${show(le)}; next ${next.label} ${show(next)}; Plausible ${show(pl)} (LeadEdge ${fmt(pick(le) / pick(pl), 1)}x)`, pick(le) < pick(next)];
    };
    return [
      ['Peers: bytes before the first event, gzip, among SDKs that queue offline and survive unloads', 'LeadEdge lightest', ...cell((r) => r.gzip, (r) => bytes(r.gzip))],
      ['Peers: main-thread scripting, first visit, CPU x4, same SDKs', 'LeadEdge lightest', ...cell((r) => r.script[4], (r) => `${signed(r.script[4])} ms`)],
    ];
  },
  reading: ({ rows, rounds, offline }) => {
    const pl = rows.find((r) => r.name === 'plausible');
    const files = (list) => list.map((c) => `${short(c.path)} ${bytes(c.gzip)}`).join(', ') || '—';
    const mark = (r, k) => (r.captured.includes(k) ? 'yes' : k === 'identify' && r.name === 'plausible' ? 'no API' : 'no');
    return `Each peer is installed from npm (dev-dependencies: nothing reaches the tag) and loaded as its docs tell a site to; one loopback server serves every file and answers every config and collect endpoint, and Chromium resolves no other host (${offline.length ? `requests that tried: ${offline.join(', ')}` : 'no request tried'}). ` +
      `Weight is every response before the SDK's first event leaves, plus its inline tag or snippet, each compressed alone (gzip 9, brotli 11). Scripting is CDP ScriptDuration ${SETTLE_MS / 1000} s after the first beacon's answer, the same window for every SDK (its start-up work done by then; LeadEdge's CTA slot filled), minus the page without a tracker in the same round (${rounds} interleaved rounds of cold loads in fresh contexts, median); long tasks likewise, at x4; first beacon is its start in resource timing, from navigation.\n\n` +
      table(['SDK', 'before its first event (gzip each)', 'gzip', 'brotli', 'vs Plausible', 'then fetches', 'scripting x1', 'scripting x4', 'vs Plausible', 'long tasks x4', 'first beacon x1 / x4'],
        rows.map((r) => [r.label, files(r.before), bytes(r.gzip), bytes(r.brotli), `${fmt(r.gzip / pl.gzip, 1)}x`, files(r.after), `${signed(r.script[1])} ms`, `${signed(r.script[4])} ms`, `${fmt(r.script[4] / pl.script[4], 1)}x`, signed(r.longTasks4), `${fmt(r.firstBeacon[1], 0)} / ${fmt(r.firstBeacon[4], 0)} ms`])) +
      `\n\nWhat the beacons of one journey carried (page view; an SPA route change by pushState; a click on a PDF link; the newsletter form submitted; identify with the SDK's own call; then the page is closed), and how each SDK keeps events:\n\n` +
      table(['SDK', 'version measured', 'loaded as', 'page view', 'SPA view', 'download', 'form', 'identify', 'offline', 'unload'],
        rows.map((r) => [r.label, r.versions.join(', ') || 'this commit', r.how, ...JOURNEY.map((k) => mark(r, k)), r.keeps?.[0] ?? 'no queue: a failed send is lost', r.keeps?.[1] ?? 'fetch keepalive, no retry']));
  },
};

/** The demo journey after the first beacon: identify, an SPA route change, a PDF click, a form submit; then beacons stop, and the page is left. */
async function drive(p, sdk, requests, run) {
  if (sdk.identify) await p.evaluate(sdk.identify);
  await sleep(200);
  await p.evaluate(() => history.pushState({}, '', `/pricing${location.search}`));
  await sleep(200);
  await p.click('a[href$=".pdf"]');
  await sleep(200);
  await p.fill('input[name=email]', 'ana@acme.io');
  await p.click('#newsletter button');
  const count = () => requests.filter((r) => r.run === run && sdk.beacon.test(r.url.pathname)).length;
  for (let last = -1, quiet = 0, t = 0; quiet < 1500 && t < 6000; t += 250) {
    await sleep(250);
    quiet = count() === last ? quiet + 250 : 0;
    last = count();
  }
  await p.close({ runBeforeUnload: true }); // the visitor leaves: what an SDK sends on unload counts too
  await sleep(300);
}
