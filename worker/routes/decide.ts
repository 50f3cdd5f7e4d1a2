/**
 * GET /v1/decide?site=&aid=: the current decision without sending an event. A decision can carry
 * the visitor's first name (personalized CTA text), so only the site's own pages and servers read
 * it: a browser Origin must be in the site's allowedOrigins, and only such an origin is ever named
 * in access-control-allow-origin (errors included: a foreign page cannot even read why it failed);
 * a request without an Origin is a server's and needs a server key of the site (worker/access/
 * server-keys.ts, as /v1/collect). The SDK never calls this route; it gets decisions from /v1/collect.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { assertIpAllowed } from '../abuse/ip-limit';
import { loadSiteConfig } from '../config/config-cache';
import { bearer } from '../access/keys';
import { assertServerKey, serverKeyRequired } from '../access/server-keys';
import type { Env } from '../env';
import { errorResponseWith } from '../errors';
import { parseWith } from '../http/read-json';
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
    else {
      const key = bearer(c.req.header('authorization'));
      if (!key) throw serverKeyRequired('a request without an Origin reads a decision only with a server key; pages send their Origin, which must be in the site\'s allowedOrigins');
      await assertServerKey(c.env, q.site, site, key, c.req.header('cf-connecting-ip') ?? null);
    }
    callerChecked = true;
    const decision = await visitorStub(c.env, q.site, q.aid).decide(q.site, q.aid, site.version, Date.now());
    return new Response(JSON.stringify(decision), { headers: corsJsonHeaders(origin) });
  } catch (e) {
    return errorResponseWith(e, callerChecked ? corsJsonHeaders(origin) : { 'content-type': 'application/json', vary: 'Origin' });
  }
});
