/**
 * A beacon's body is parsed once, by the visitor object that records it. The Worker only needs
 * to know which object that is, and the SDK writes `site` and `anonymousId` first, so the Worker
 * reads them off the body's first bytes. Any other body (another key order, whitespace, escapes,
 * values outside the schema's patterns) is parsed and validated in the Worker as well, which also
 * words every error the same way.
 */
import { ApiError, type ErrorIssue } from '../errors';
import { BatchSchema, type Batch } from '../schema/events';
import { parseBatchFast } from '../schema/fast-batch';
import { LIMITS } from '../schema/limits';
import { parseJson, parseWith } from './read-json';

/** `person`: the person the SDK says this browser belongs to (a hint the person object checks). */
export type BatchRoute = { site: string; anonymousId: string; person?: string };

/**
 * What `{"site":"…","anonymousId":"…",` (then `"person":"…",` for a linked browser) opens with, when
 * the values already match SITE_KEY_PATTERN, ID_PATTERN and PERSON_ID_PATTERN (no quote or backslash
 * can occur in them, so each value ends at the next quote).
 */
const ROUTE_PREFIX = new RegExp(`^\\{"site":"([a-z0-9][a-z0-9_-]{0,62})","anonymousId":"([A-Za-z0-9._:-]{1,${LIMITS.maxIdLength}})"(?:,"person":"(p~[0-9a-f]{32})")?[,}]`);

/** Site and visitor (and person hint) of a body that starts the way the SDK writes it; null for any other body (parse it). */
export function routeOf(text: string): BatchRoute | null {
  const m = ROUTE_PREFIX.exec(text);
  if (!m) return null;
  return m[3] ? { site: m[1]!, anonymousId: m[2]!, person: m[3] } : { site: m[1]!, anonymousId: m[2]! };
}

/** The route of a batch parsed in the Worker. */
export function batchRoute(batch: Batch): BatchRoute {
  return batch.person ? { site: batch.site, anonymousId: batch.anonymousId, person: batch.person } : { site: batch.site, anonymousId: batch.anonymousId };
}

/** The batch in a body: JSON, then the fast parser, else BatchSchema. Throws a 400 ApiError naming the problem. */
export function parseBatchText(text: string): Batch {
  const value = parseJson(text);
  return parseBatchFast(value) ?? parseWith(BatchSchema, value, 'invalid_batch', 'invalid batch');
}

/** An ApiError as plain data: what crosses the RPC from the visitor object (class instances do not). */
export type BatchError = { status: 400; code: string; message: string; issues?: ErrorIssue[] };

/**
 * The batch a routed body holds, checked against the route it was sent by: a body that names
 * `site` or `anonymousId` twice is refused (the Worker read the first, JSON.parse keeps the last).
 */
export function readRoutedBatch(text: string, route: BatchRoute): { batch: Batch } | { error: BatchError } {
  try {
    const batch = parseBatchText(text);
    // A person hint the Worker did not read (not right after anonymousId) only costs a hop: the browser's object forwards.
    if (batch.site !== route.site || batch.anonymousId !== route.anonymousId || (route.person !== undefined && batch.person !== route.person)) {
      return { error: { status: 400, code: 'invalid_batch', message: 'invalid batch: "site", "anonymousId" and "person" must each appear once' } };
    }
    return { batch };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return { error: { status: 400, code: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}) } };
  }
}
