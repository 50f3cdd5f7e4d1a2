/** Every limit LeadEdge enforces, in one place, so README's limits table and the code cannot drift. */
export const LIMITS = {
  /** Largest accepted request body (the browser keepalive / sendBeacon quota is 64 KiB). */
  maxBodyBytes: 64 * 1024,
  /** Events in one batch. */
  maxEventsPerBatch: 50,
  /** Length of event ids, anonymous ids and session ids. */
  maxIdLength: 128,
  /** URLs and referrers. */
  maxUrlLength: 2048,
  /** Paths. */
  maxPathLength: 1024,
  /** Page titles. */
  maxTitleLength: 300,
  /** Topics on one event, and the length of one topic. */
  maxTopicsPerEvent: 10,
  maxTopicLength: 64,
  /** Props on one event: key count, key length, string value length, array length. Depth is at most 2 (a prop may be an array of scalars). */
  maxProps: 25,
  maxPropKeyLength: 64,
  maxPropStringLength: 500,
  maxPropArrayLength: 20,
  /** Custom traits on identify. */
  maxCustomTraits: 25,
  /** Name of a custom `track` event. */
  maxTrackNameLength: 64,
  /** Client timestamps are corrected for clock skew with `sentAt`, then clamped to this window before the server receive time. */
  maxEventAgeMs: 7 * 24 * 3600 * 1000,
  /** Per visitor: event ids remembered for de-duplication (oldest forgotten first). */
  dedupeWindow: 10_000,
  /** Per visitor: timeline entries kept for display and webhooks. */
  timelineCap: 100,
  /** Per visitor: stage history entries kept. */
  stageHistoryCap: 50,
  /** Per visitor: distinct topics and custom event names kept in the aggregates (weakest dropped first). */
  maxTrackedTopics: 20,
  maxTrackedEventNames: 50,
  /** Site config document size and rule counts. */
  maxConfigBytes: 128 * 1024,
  maxRules: 200,
  maxCtaRulesPerSlot: 50,
  maxSlots: 20,
  /** An identify's userId (the site's own account id). */
  maxUserIdLength: 256,
  /** An email link's token (`le_t`). */
  maxLinkTokenLength: 1024,
  /** Per person: browsers kept apart (each can be split off again); past this the oldest are folded into one part. */
  maxBrowsersPerPerson: 50,
  /** Per identifier: browsers it may link in one UTC day (a shared kiosk or a script cannot pull hundreds into one person). */
  linksPerIdentifierPerDay: 10,
  /** Config versions kept per site. */
  configVersionsKept: 50,
} as const;

/** Keys that could reach an object's prototype if copied naively; refused anywhere a client names a key. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * http(s) URLs whose host is a plain domain: labels of ASCII letters, digits and hyphens, none
 * starting with "xn--" (punycode has its own checks), the last starting with a letter (so it is
 * never read as an IPv4 address), then an optional port. The URL parser accepts every such URL,
 * whatever follows the host: path, query and fragment characters are escaped, never refused
 * (test/unit/limits.test.ts checks it against the parser).
 */
const PLAIN_HTTP_URL = /^https?:\/\/(?:(?!xn--)[a-z0-9-]+\.)*(?!xn--)[a-z][a-z0-9-]*(?::(\d{1,5}))?(?:[/?#]|$)/i;

/**
 * True when `value` parses as an absolute URL. Most URLs a beacon carries are plain http(s) ones,
 * checked by a regular expression: a URL object costs more, mostly in garbage collection (it is
 * backed by a native object), and a beacon carries two URLs per page view.
 */
export function isAbsoluteUrl(value: string): boolean {
  const plain = PLAIN_HTTP_URL.exec(value);
  if (plain && (plain[1] === undefined || Number(plain[1]) <= 65_535)) return true;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}
