/**
 * CORS for the beacon route. Responses (errors included) name the caller's origin so the SDK can
 * read status codes and Retry-After; whether an origin may write is checked per site. The decision
 * route, which reads, names only origins its site allows (routes/decide.ts).
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';
import type { SiteConfig } from '../schema/config';

export const publicCors: MiddlewareHandler = async (c, next) => {
  const origin = c.req.header('origin');
  if (c.req.method === 'OPTIONS') return preflightResponse(origin ?? '*');
  await next();
  // A handler that built its response with corsJsonHeaders has them already (the beacon's answer: fewer header writes).
  if (origin && !c.res.headers.has('access-control-allow-origin')) {
    for (const [name, value] of Object.entries(corsHeaders(origin))) {
      if (name === 'vary') c.res.headers.append(name, value);
      else c.res.headers.set(name, value);
    }
  }
};

/** The answer to a CORS preflight; with no `origin` it allows nothing, so the browser does not send the request. */
export function preflightResponse(origin: string | undefined): Response {
  const allow: Record<string, string> = origin
    ? { 'access-control-allow-origin': origin, 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '86400' }
    : {};
  return new Response(null, { status: 204, headers: { ...allow, vary: 'Origin' } });
}

/** What a response to a page at `origin` carries so the SDK can read its status and Retry-After. */
function corsHeaders(origin: string): Record<string, string> {
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'retry-after', vary: 'Origin' };
}

/** Headers of a JSON answer to a browser-facing route, CORS included (what publicCors would add). */
export function corsJsonHeaders(origin: string | undefined): Record<string, string> {
  return { 'content-type': 'application/json', ...(origin ? corsHeaders(origin) : {}) };
}

/** Browsers must come from one of the site's allowed origins; servers (no Origin header) may always send. */
export function assertOriginAllowed(origin: string | undefined, site: string, config: SiteConfig) {
  if (!origin) return;
  if (config.allowedOrigins.includes('*') || config.allowedOrigins.includes(origin)) return;
  throw new ApiError(403, 'origin_not_allowed', `origin ${origin} is not in the allowedOrigins of site "${site}"`);
}
