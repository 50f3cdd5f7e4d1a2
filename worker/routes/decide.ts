/**
 * GET /v1/decide?site=&aid=: the current decision without sending an event. A decision can carry
 * the visitor's first name (personalized CTA text), so only the site's own pages and servers read
 * it: a browser Origin must be in the site's allowedOrigins, and only such an origin is ever named
 * in access-control-allow-origin (errors included: a foreign page cannot even read why it failed);
 * a request without an Origin is a server's and needs `Authorization: Bearer <ADMIN_TOKEN>` (to be
 * replaced by per-site server keys). The SDK never calls this route; it gets decisions from /v1/collect.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { assertIpAllowed } from '../abuse/ip-limit';
import { loadSiteConfig } from '../config/config-cache';
import { isDev, type Env } from '../env';
import { ApiError, errorResponseWith } from '../errors';
import { parseWith } from '../http/read-json';
import { DEV_ADMIN_TOKEN, equalInConstantTime } from '../middleware/admin-auth';
import { assertOriginAllowed, corsJsonHeaders, preflightResponse } from '../middleware/public-cors';
import { SiteKeySchema, VisitorIdSchema } from '../schema/events';
import { requireSite } from './collect';
import { visitorStub } from './stubs';

export const DecideQuerySchema = z.object({ site: SiteKeySchema, aid: VisitorIdSchema });
const DECIDE_PATH = '/v1/decide';

export const decideRoutes = new Hono<{ Bindings: Env }>();

// The preflight names the origin only when the site in the query allows it.
decideRoutes.options(DECIDE_PATH, async (c) => {
  const origin = c.req.header('origin');
  const key = SiteKeySchema.safeParse(c.req.query('site'));
  const site = origin && key.success ? await loadSiteConfig(c.env, key.data) : null;
  const allowed = site && (site.config.allowedOrigins.includes('*') || site.config.allowedOrigins.includes(origin!));
  return preflightResponse(allowed ? origin : undefined);
});

decideRoutes.get(DECIDE_PATH, async (c) => {
  const origin = c.req.header('origin');
  let callerChecked = false;
  try {
    await assertIpAllowed(c.req.raw, c.env);
    const q = parseWith(DecideQuerySchema, c.req.query(), 'invalid_query', 'invalid query');
    const site = await requireSite(c.env, q.site);
    if (origin) assertOriginAllowed(origin, q.site, site.config);
    else await assertServerCaller(c.env, c.req.header('authorization'));
    callerChecked = true;
    const decision = await visitorStub(c.env, q.site, q.aid).decide(q.site, q.aid, site.version, Date.now());
    return new Response(JSON.stringify(decision), { headers: corsJsonHeaders(origin) });
  } catch (e) {
    return errorResponseWith(e, callerChecked ? corsJsonHeaders(origin) : { 'content-type': 'application/json', vary: 'Origin' });
  }
});

/** A request without an Origin must carry the admin token (compared in constant time; the dev token only in local dev). */
async function assertServerCaller(env: Env, authorization: string | undefined) {
  const expected = env.ADMIN_TOKEN;
  const usable = expected && !(expected === DEV_ADMIN_TOKEN && !isDev(env));
  const given = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
  if (usable && given && (await equalInConstantTime(given, expected))) return;
  throw new ApiError(
    401,
    'server_key_required',
    'a request without an Origin reads a decision only with Authorization: Bearer <admin token>; pages send their Origin, which must be in the site\'s allowedOrigins',
    undefined,
    { 'www-authenticate': 'Bearer' },
  );
}
