/**
 * Who is sending: people, crawlers (the `isbot` pattern list, maintained by its community, beats
 * a hand-written list), or browser automation the SDK flagged (navigator.webdriver).
 */
import { isbot } from 'isbot';

export type TrafficKind = 'human' | 'crawler' | 'automation';

const HEADLESS = /HeadlessChrome|Headless/;

export function classifyTraffic(userAgent: string | undefined, automatedFlag: boolean | undefined, allowAutomated: boolean): TrafficKind {
  const ua = userAgent ?? '';
  const headless = HEADLESS.test(ua);
  if (automatedFlag || headless) {
    if (!allowAutomated) return 'automation';
    // A site that allows automation (e.g. for its own end-to-end tests) still refuses real crawlers.
    return isbot(ua.replace(HEADLESS, 'Chrome')) ? 'crawler' : 'human';
  }
  return isbot(ua) ? 'crawler' : 'human';
}
