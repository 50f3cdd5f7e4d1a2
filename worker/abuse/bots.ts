/**
 * Who is sending a browser beacon: people, crawlers (the `isbot` pattern list, maintained by its
 * community, beats a hand-written list), or browser automation the SDK flagged
 * (navigator.webdriver). Only requests with an Origin header come from a page; the rest are the
 * site's own server-side integrations (curl, a backend), which isbot would flag by user agent.
 */
import { isbot } from 'isbot';

export type TrafficKind = 'human' | 'server' | 'crawler' | 'automation';

const HEADLESS = /HeadlessChrome|Headless/;

/** The headers that say who sent a beacon. */
export type TrafficRequest = { origin: string | undefined; userAgent: string | undefined };

export function classifyTraffic(
  request: TrafficRequest,
  automatedFlag: boolean | undefined,
  allowAutomated: boolean,
): TrafficKind {
  if (!request.origin) return 'server';
  const ua = request.userAgent ?? '';
  const headless = HEADLESS.test(ua);
  if (automatedFlag || headless) {
    if (!allowAutomated) return 'automation';
    // A site that allows automation (e.g. for its own end-to-end tests) still refuses real crawlers.
    return isCrawler(ua.replace(HEADLESS, 'Chrome')) ? 'crawler' : 'human';
  }
  return isCrawler(ua) ? 'crawler' : 'human';
}

/**
 * isbot's pattern is one long regular expression, and a visitor's beacons repeat its user agent:
 * the last answers are kept per isolate (at most 512 user agents of up to 512 characters; cleared
 * when full).
 */
const crawlerByUa = new Map<string, boolean>();
const UA_MEMO_SIZE = 512;
const UA_MEMO_MAX_LENGTH = 512;

function isCrawler(ua: string): boolean {
  let crawler = crawlerByUa.get(ua);
  if (crawler === undefined) {
    crawler = isbot(ua);
    if (ua.length > UA_MEMO_MAX_LENGTH) return crawler;
    if (crawlerByUa.size >= UA_MEMO_SIZE) crawlerByUa.clear();
    crawlerByUa.set(ua, crawler);
  }
  return crawler;
}
