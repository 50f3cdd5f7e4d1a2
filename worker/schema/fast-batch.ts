/**
 * A fast path for the beacons the SDK sends. zod cannot compile its validators in Workers (no
 * eval), and its interpreted checks cost ~25 µs per event, a third of a 20-event beacon's CPU.
 * This checks the common shapes by hand and returns exactly what `BatchSchema` would return (the
 * very value it was given when nothing needed normalizing), or null for anything else: an unusual field, an `identify` (rare, and its email check is zod's),
 * or any invalid value. Null means "ask BatchSchema", which accepts or explains by path, so the
 * contract and its error messages stay in one place. test/unit/fast-batch.test.ts checks with
 * generated batches that whatever this accepts, BatchSchema accepts with an equal result.
 */
import { FORBIDDEN_KEYS, LIMITS, isAbsoluteUrl } from './limits';
import { EVENT_TYPES, ID_PATTERN, MAX_TIMESTAMP, PERSON_ID_PATTERN, SITE_KEY_PATTERN, TRACK_NAME_PATTERN, type Batch, type LeadEvent } from './events';

const BATCH_KEYS = new Set(['site', 'anonymousId', 'person', 'sessionId', 'sentAt', 'events', 'context']);
const CONTEXT_KEYS = new Set(['userAgent', 'locale', 'automated', 'library']);
const EVENT_KEYS = new Set(['id', 'type', 'ts', 'url', 'path', 'title', 'referrer', 'topics', 'props']);
/** Types with no field of their own, and the one field of the others (identify is left to zod). */
const TYPE_FIELD = new Map<string, string | null>([
  ['page_view', null],
  ['download', null],
  ['webinar_signup', null],
  ['demo_request', null],
  ['cta_click', 'ctaId'],
  ['track', 'name'],
]);

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown, max: number, min = 0): v is string => typeof v === 'string' && v.length >= min && v.length <= max;
const isId = (v: unknown) => isString(v, LIMITS.maxIdLength, 1) && ID_PATTERN.test(v);
const isTimestamp = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_TIMESTAMP;
const isScalar = (v: unknown) =>
  v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || isString(v, LIMITS.maxPropStringLength);

/** Only these keys, none of them undefined (JSON never has undefined; zod would keep the key). */
function hasOnlyKeys(o: Obj, allowed: Set<string>): boolean {
  for (const key in o) if (!allowed.has(key) || o[key] === undefined) return false;
  return true;
}

/** The batch as BatchSchema would return it, or null to let BatchSchema decide. */
export function parseBatchFast(value: unknown): Batch | null {
  if (!isObject(value) || !hasOnlyKeys(value, BATCH_KEYS)) return null;
  const { site, anonymousId, person, sessionId, sentAt, events, context } = value;
  if (typeof site !== 'string' || !SITE_KEY_PATTERN.test(site) || !isId(anonymousId) || !isId(sessionId) || !isTimestamp(sentAt)) return null;
  if (person !== undefined && !(typeof person === 'string' && PERSON_ID_PATTERN.test(person))) return null;
  if (context !== undefined && !isContext(context)) return null;
  if (!Array.isArray(events) || events.length < 1 || events.length > LIMITS.maxEventsPerBatch) return null;
  const ids = new Set<string>();
  const parsed: LeadEvent[] = [];
  let normalized = false;
  // Events of one beacon mostly share their referrer and often their URL: parse each URL once.
  const urls = new Set<string>();
  const isHttpUrl = (v: unknown) => {
    if (typeof v === 'string' && urls.has(v)) return true;
    const ok = isString(v, LIMITS.maxUrlLength) && /^https?:\/\//i.test(v) && isAbsoluteUrl(v);
    if (ok) urls.add(v as string);
    return ok;
  };
  for (const raw of events) {
    const event = parseEvent(raw, isHttpUrl);
    if (!event || ids.has(event.id)) return null;
    ids.add(event.id);
    parsed.push(event);
    if (event !== raw) normalized = true;
  }
  // Unchanged, the value itself comes back: its JSON text is then the batch's (the route forwards it as is).
  return normalized ? ({ ...value, events: parsed } as Batch) : (value as Batch);
}

function isContext(c: unknown): boolean {
  if (!isObject(c) || !hasOnlyKeys(c, CONTEXT_KEYS)) return false;
  const { userAgent, locale, automated, library } = c;
  if (userAgent !== undefined && !isString(userAgent, 512)) return false;
  if (locale !== undefined && !isString(locale, 35)) return false;
  if (automated !== undefined && typeof automated !== 'boolean') return false;
  if (library === undefined) return true;
  return isObject(library) && hasOnlyKeys(library, LIBRARY_KEYS) && isString(library.name, 40) && isString(library.version, 20);
}
const LIBRARY_KEYS = new Set(['name', 'version']);

function parseEvent(e: unknown, isHttpUrl: (v: unknown) => boolean): LeadEvent | null {
  if (!isObject(e) || typeof e.type !== 'string' || !TYPE_FIELD.has(e.type)) return null;
  const own = TYPE_FIELD.get(e.type);
  for (const key in e) if ((!EVENT_KEYS.has(key) && key !== own) || e[key] === undefined) return null;
  if (!isId(e.id) || !isTimestamp(e.ts)) return null;
  if (e.url === undefined && e.path === undefined) return null;
  if (e.url !== undefined && !isHttpUrl(e.url)) return null;
  if (e.path !== undefined && !(isString(e.path, LIMITS.maxPathLength) && e.path.startsWith('/'))) return null;
  if (e.title !== undefined && !isString(e.title, LIMITS.maxTitleLength)) return null;
  if (e.referrer !== undefined && e.referrer !== '' && !isHttpUrl(e.referrer)) return null;
  if (e.props !== undefined && !isProps(e.props)) return null;
  if (own === 'ctaId' && !isString(e.ctaId, 128, 1)) return null;
  if (own === 'name' && !isTrackName(e.name)) return null;
  if (e.topics === undefined) return e as LeadEvent;
  const topics = normalizeTopics(e.topics);
  if (!topics) return null;
  // Topics the SDK sent already trimmed and lower-cased leave the event as it came (no copy).
  return topics === e.topics ? (e as LeadEvent) : ({ ...e, topics } as LeadEvent);
}

/** As the schema does it: trim, lower-case, then check length and reserved names. The array itself when nothing changed. */
function normalizeTopics(topics: unknown): string[] | null {
  if (!Array.isArray(topics) || topics.length > LIMITS.maxTopicsPerEvent) return null;
  const out: string[] = [];
  let changed = false;
  for (const t of topics) {
    if (typeof t !== 'string') return null;
    const topic = t.trim().toLowerCase();
    if (topic.length < 1 || topic.length > LIMITS.maxTopicLength || FORBIDDEN_KEYS.has(topic)) return null;
    if (topic !== t) changed = true;
    out.push(topic);
  }
  return changed ? out : (topics as string[]);
}

function isProps(p: unknown): boolean {
  if (!isObject(p)) return false;
  let count = 0;
  for (const key in p) {
    if (++count > LIMITS.maxProps || key.length < 1 || key.length > LIMITS.maxPropKeyLength || FORBIDDEN_KEYS.has(key)) return false;
    const v = p[key];
    if (Array.isArray(v) ? v.length > LIMITS.maxPropArrayLength || !v.every(isScalar) : !isScalar(v)) return false;
  }
  return true;
}

function isTrackName(n: unknown): boolean {
  return isString(n, LIMITS.maxTrackNameLength) && TRACK_NAME_PATTERN.test(n) && !FORBIDDEN_KEYS.has(n) && !(EVENT_TYPES as readonly string[]).includes(n);
}
