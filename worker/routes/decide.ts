/** GET /v1/decide?site=&aid=: the current decision without sending an event. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Env } from '../env';
import { parseWith } from '../http/read-json';
import { ipRateLimit } from '../abuse/ip-limit';
import { publicCors } from '../middleware/public-cors';
import { SiteKeySchema, VisitorIdSchema } from '../schema/events';
import { requireSite } from './collect';
import { visitorStub } from './stubs';

export const DecideQuerySchema = z.object({ site: SiteKeySchema, aid: VisitorIdSchema });

export const decideRoutes = new Hono<{ Bindings: Env }>();

decideRoutes.use('/v1/decide', publicCors, ipRateLimit);

decideRoutes.get('/v1/decide', async (c) => {
  const q = parseWith(DecideQuerySchema, c.req.query(), 'invalid_query', 'invalid query');
  const site = await requireSite(c.env, q.site);
  const decision = await visitorStub(c.env, q.site, q.aid).decide(q.site, q.aid, site.version, Date.now());
  return c.json(decision);
});
