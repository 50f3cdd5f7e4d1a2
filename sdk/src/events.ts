/** Event shapes: page fields from a URL, and what `track(name)` turns into. Pure. */
import type { EventInput } from '../../worker/schema/events';
import { LIMITS } from './limits';
import { cleanEventName } from './sanitize';
import type { Props, Traits } from './types';

export type PageFields = Pick<EventInput, 'url' | 'path' | 'title' | 'referrer'>;

/** http(s) URLs only, cut to the Worker's limit (a cut URL still parses). */
const httpUrl = (u: string) => (/^https?:\/\//i.test(u) ? u.slice(0, LIMITS.maxUrlLength) : undefined);

/**
 * The page part of an event. Non-http(s) pages (file:, about:) send only the path.
 * @example pageFields('https://a.io/p?q=1', 'Pricing', '').path // '/p'
 */
export function pageFields(href: string, title: string, referrer: string): PageFields {
  const u = new URL(href);
  return {
    url: httpUrl(href),
    path: u.pathname.slice(0, LIMITS.maxPathLength),
    title: title.slice(0, LIMITS.maxTitleLength) || undefined,
    referrer: httpUrl(referrer),
  };
}

/** What distinguishes one event type from another on the wire. */
export type EventKind =
  | { type: 'page_view' | 'download' | 'webinar_signup' | 'demo_request' }
  | { type: 'cta_click'; ctaId: string }
  | { type: 'track'; name: string }
  | { type: 'identify'; traits: Traits };

const KNOWN = ['page_view', 'download', 'webinar_signup', 'demo_request'] as const;

/**
 * `track(name)`: a known type name sends that type (cta_click needs `props.ctaId`); any other valid
 * name sends `{ type: 'track', name }`; an invalid one gives null.
 * @example trackKind('pricing_calculator') // { type: 'track', name: 'pricing_calculator' }
 */
export function trackKind(name: unknown, props?: Props): EventKind | null {
  if (name === 'cta_click') {
    const id = props?.ctaId;
    return typeof id === 'string' && id ? { type: 'cta_click', ctaId: id.slice(0, 128) } : null;
  }
  const known = KNOWN.find((k) => k === name);
  if (known) return { type: known };
  const n = cleanEventName(name);
  return n ? { type: 'track', name: n } : null;
}

/** Sales is waiting for these: they are sent at once instead of with the next batch. */
export const isUrgent = (k: EventKind) => k.type === 'demo_request' || k.type === 'webinar_signup' || k.type === 'download';
