/** Event shapes: page fields from a URL, and what `track(name)` turns into. Pure. */
import type { EventInput } from '../../worker/schema/events';
import { LIMITS } from './limits';
import { cleanEventName } from './sanitize';
import type { Props, Traits } from './types';
import { keepParams } from './urls';

export type PageFields = Pick<EventInput, 'url' | 'path' | 'title' | 'referrer'>;

/** http(s) URLs only, query parameters filtered (keepParams), cut to the Worker's limit (a cut URL still parses). */
const httpUrl = (u: string, keep: string[]) => (/^https?:\/\//i.test(u) ? keepParams(u, keep).slice(0, LIMITS.maxUrlLength) : undefined);

/**
 * The page part of an event. URLs keep only `utm_*` and the `keep` query parameters. Non-http(s)
 * pages (file:) send only the path, and none when it is not one ("about:srcdoc").
 * @example pageFields('https://a.io/p?q=1&utm_source=x', 'Pricing', '').url // 'https://a.io/p?utm_source=x'
 */
export function pageFields(href: string, title: string, referrer: string, keep: string[] = []): PageFields {
  const path = new URL(href).pathname;
  return {
    url: httpUrl(href, keep),
    path: path[0] === '/' ? path.slice(0, LIMITS.maxPathLength) : undefined,
    title: title.slice(0, LIMITS.maxTitleLength) || undefined,
    referrer: httpUrl(referrer, keep),
  };
}

/** What distinguishes one event type from another on the wire. */
export type EventKind =
  | { type: 'page_view' | 'download' | 'webinar_signup' }
  /** `turnstile`: the Cloudflare Turnstile token the Worker may verify (never sent as a prop). */
  | { type: 'demo_request'; turnstile?: string }
  | { type: 'cta_click'; ctaId: string }
  | { type: 'track'; name: string }
  /** `userId`: the site's own account id for this person (identify(traits, userId); never from a form). */
  | { type: 'identify'; traits: Traits; userId?: string };

const KNOWN = ['page_view', 'download', 'webinar_signup', 'demo_request'] as const;

/**
 * `track(name)`: a known type name sends that type (cta_click needs `props.ctaId`; demo_request
 * takes `props.turnstile`, a string of 1-2048 chars, as its Turnstile token); any other valid name
 * sends `{ type: 'track', name }`; an invalid one gives null.
 * @example trackKind('pricing_calculator') // { type: 'track', name: 'pricing_calculator' }
 * @example trackKind('demo_request', { turnstile: 'tok' }) // { type: 'demo_request', turnstile: 'tok' }
 */
export function trackKind(name: unknown, props?: Props | null): EventKind | null {
  if (name === 'cta_click') {
    const id = props?.ctaId;
    return typeof id === 'string' && id ? { type: 'cta_click', ctaId: id.slice(0, 128) } : null;
  }
  const known = KNOWN.find((k) => k === name);
  if (known === 'demo_request') {
    const token = props?.turnstile;
    return { type: known, turnstile: typeof token === 'string' && token.length <= 2048 ? token || undefined : undefined };
  }
  if (known) return { type: known };
  const n = cleanEventName(name);
  return n ? { type: 'track', name: n } : null;
}

/** Sales is waiting for these: they are sent at once instead of with the next batch. */
export const isUrgent = (k: EventKind) => k.type === 'demo_request' || k.type === 'webinar_signup' || k.type === 'download';
