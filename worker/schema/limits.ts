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
  /** Config versions kept per site. */
  configVersionsKept: 50,
} as const;

/** Keys that could reach an object's prototype if copied naively; refused anywhere a client names a key. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** True when `value` parses as an absolute URL (URL.canParse is missing from some runtimes' types). */
export function isAbsoluteUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}
