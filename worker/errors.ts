/** One JSON error shape for every failure: `{ error: { code, message, issues? } }`. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export type ErrorIssue = { path: string; message: string };
export type ErrorBody = { error: { code: string; message: string; issues?: ErrorIssue[] } };

/** An error a client caused (or may retry), with a stable machine-readable code. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly issues?: ErrorIssue[],
    readonly headers?: Record<string, string>,
  ) {
    super(status, { message });
  }
}

export function zodIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): ErrorIssue[] {
  return error.issues.slice(0, 50).map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

/** Summarizes issues in one sentence for clients that only show `message`. */
export function issuesMessage(prefix: string, issues: ErrorIssue[]): string {
  const first = issues[0];
  if (!first) return prefix;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${prefix}: ${first.path}: ${first.message}${more}`;
}

export function errorResponse(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) } };
    return c.json(body, err.status as ContentfulStatusCode, err.headers);
  }
  if (err instanceof HTTPException) {
    const body: ErrorBody = { error: { code: 'http_error', message: err.message || 'request failed' } };
    return c.json(body, err.status as ContentfulStatusCode);
  }
  console.error('unhandled error', err instanceof Error ? err.stack : err);
  const body: ErrorBody = { error: { code: 'internal', message: 'internal error' } };
  return c.json(body, 500);
}
