/**
 * Trims what the host page passes in to what the Worker accepts, so one bad prop never costs an
 * event (the Worker refuses invalid events, and refused events are dropped, not retried).
 */
import { LIMITS } from './limits';
import type { Props, PropValue, Traits } from './types';

type Scalar = string | number | boolean | null;
/** Keys that could reach an object's prototype; the Worker refuses them. */
const FORBIDDEN = /^(__proto__|constructor|prototype)$/;
/** Built-in event types: the Worker refuses them as custom event names. */
const BUILT_IN = /^(page_view|download|webinar_signup|demo_request|identify|cta_click|track)$/;
/** The Worker's (zod's) email pattern: an address it would refuse is left out. */
export const EMAIL = /^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$/;

const scalar = (v: unknown): Scalar | undefined =>
  typeof v === 'string' ? v.slice(0, LIMITS.maxPropStringLength)
  : v === null || typeof v === 'boolean' || Number.isFinite(v) ? (v as Scalar)
  : undefined;

/**
 * Keeps scalars (and arrays of scalars unless `arrays` is false) under the Worker's limits; drops the
 * rest, and every key the Worker refuses (empty, over 64 chars, reserved).
 * @example cleanProps({ plan: 'pro', seats: 5, nested: { a: 1 } }) // { plan: 'pro', seats: 5 }
 */
export function cleanProps(input: unknown, arrays = true, maxKeys: number = LIMITS.maxProps): Props | undefined {
  let out: Props | undefined;
  let n = 0;
  for (const [k, raw] of Object.entries(input instanceof Object ? input : {})) {
    const v: PropValue | undefined = Array.isArray(raw)
      ? arrays ? raw.map(scalar).filter((x): x is Scalar => x !== undefined).slice(0, LIMITS.maxPropArrayLength) : undefined
      : scalar(raw);
    if (v !== undefined && n < maxKeys && k && k.length <= LIMITS.maxPropKeyLength && !FORBIDDEN.test(k)) {
      (out ??= {})[k] = v;
      n++;
    }
  }
  return out;
}

/** Longest value the Worker accepts per trait. */
const TRAIT_MAX = { email: 254, name: 200, firstName: 100, lastName: 100, company: 200, title: 200, companySize: 32, industry: 100, country: 64, phone: 40 };

/**
 * Known traits, trimmed to their limits; an email the Worker would refuse is left out.
 * @example cleanTraits({ email: 'not an email', company: ' Acme ' }) // { company: 'Acme' }
 */
export function cleanTraits(input: unknown): Traits {
  const t = (input ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, max] of Object.entries(TRAIT_MAX)) {
    let v = t[k];
    // An email is never cut (a cut address could be someone else's): one too long is left out below.
    if (typeof v === 'string') v = v.trim().slice(0, k === 'email' ? undefined : max);
    // Text traits must be strings; companySize may be a whole number (or a range such as "51-200").
    if (k === 'companySize' && /^\d{1,7}$/.test(String(v))) v = +String(v);
    else if (typeof v !== 'string') continue;
    if (v !== '') out[k] = v;
  }
  const email = String(out.email);
  if (!EMAIL.test(email) || email.length > TRAIT_MAX.email) delete out.email;
  const custom = cleanProps(t.custom, false, LIMITS.maxCustomTraits);
  if (custom) out.custom = custom;
  return out as Traits;
}

/**
 * The site's own account id for `identify`: trimmed, 1-256 chars; a longer one is left out, never cut
 * (a cut id could be someone else's).
 * @example cleanUserId('  u-42 ') // 'u-42'
 */
export function cleanUserId(v: unknown): string | undefined {
  const id = typeof v === 'string' ? v.trim() : '';
  return id && id.length <= LIMITS.maxUserIdLength ? id : undefined;
}

/**
 * Topics: comma-separated lists, trimmed, lower-cased, unique, at most 10 of at most 64 chars.
 * @example cleanTopics(['Analytics, Pipeline', 'analytics']) // ['analytics', 'pipeline']
 */
export function cleanTopics(lists: (string | null | undefined)[]): string[] {
  const out = new Set<string>();
  for (const t of lists.join(',').toLowerCase().split(',')) {
    const topic = t.trim();
    if (topic && topic.length <= LIMITS.maxTopicLength && !FORBIDDEN.test(topic)) out.add(topic);
  }
  return [...out].slice(0, LIMITS.maxTopicsPerEvent);
}

/** A custom event name the Worker accepts (not reserved, not a built-in type), or '' (the event is then dropped). */
export const cleanEventName = (name: unknown): string =>
  typeof name === 'string' && /^[A-Za-z][\w.:-]{0,63}$/.test(name) && !FORBIDDEN.test(name) && !BUILT_IN.test(name) ? name : '';
