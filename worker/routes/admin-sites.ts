/** The instance owner's routes: which sites exist. */
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { instanceStub } from '../objects/instance-object';

export const adminSiteRoutes = new Hono<AppEnv>();

const iso = (ms: number) => new Date(ms).toISOString();

adminSiteRoutes.get('/v1/admin/sites', async (c) => {
  const sites = await instanceStub(c.env).list();
  return c.json({
    sites: sites.map((s) => ({ site: s.site, status: s.status, createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt), ...(s.deletion ? { deletion: { startedAt: iso(s.deletion.startedAt), remaining: s.deletion.remaining } } : {}) })),
  });
});
