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
  const { status, body, headers } = errorParts(err);
  return c.json(body, status, headers);
}

/** errorResponse for a route that runs without hono: `headers` (CORS) are added to the error's own. */
export function errorResponseWith(err: unknown, headers: Record<string, string>): Response {
  const parts = errorParts(err);
  return new Response(JSON.stringify(parts.body), { status: parts.status, headers: { ...headers, ...parts.headers } });
}

function errorParts(err: unknown): { status: ContentfulStatusCode; body: ErrorBody; headers?: Record<string, string> } {
  if (err instanceof ApiError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) } };
    return { status: err.status as ContentfulStatusCode, body, headers: err.headers };
  }
  if (err instanceof HTTPException) {
    return { status: err.status as ContentfulStatusCode, body: { error: { code: 'http_error', message: err.message || 'request failed' } } };
  }
  console.error('unhandled error', err instanceof Error ? err.stack : err);
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
}
