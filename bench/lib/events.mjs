/** Beacon bodies the benchmarks send: the same shapes the SDK sends (see worker/schema/events.ts). */

/** What a desktop browser sends; Node's default user agent is (rightly) classified as a bot. */
export const BROWSER_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

const PAGES = ['/', '/product', '/blog/finding-buyers', '/blog/attribution-101', '/pricing', '/docs/setup'];
const TOPICS = [['analytics'], ['attribution'], ['pipeline'], []];

/** A page view like the SDK's (url, path, title, referrer, topics): about 250 bytes of JSON. */
export function pageView(id, i = 0, ts = Date.now()) {
  const path = PAGES[i % PAGES.length];
  const topics = TOPICS[i % TOPICS.length];
  return {
    id,
    type: 'page_view',
    ts,
    url: `https://www.example.com${path}`,
    path,
    title: `Acme Analytics: ${path}`,
    referrer: 'https://www.google.com/',
    ...(topics.length ? { topics } : {}),
  };
}

export function batch(site, anonymousId, events, sentAt = Date.now()) {
  return {
    site,
    anonymousId,
    sessionId: `${anonymousId}-s1`,
    sentAt,
    events,
    context: { userAgent: BROWSER_UA, locale: 'en-US', library: { name: 'leadedge-bench', version: '1' } },
  };
}

/** `n` page views with ids `${prefix}-0..n-1`. */
export function pageViews(prefix, n, ts = Date.now()) {
  return Array.from({ length: n }, (_, k) => pageView(`${prefix}-${k}`, k, ts));
}
