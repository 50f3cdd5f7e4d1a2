/** The instance owner's routes: which sites exist, and deleting one with everything it holds. */
import { Hono } from 'hono';
import { forgetSiteConfig, siteStub } from '../config/config-cache';
import { isDev, type AppEnv } from '../env';
import { ApiError } from '../errors';
import { DIRECTORY_SHARDS, directoryStub } from '../objects/directory-object';
import { instanceStub, type SiteEntry } from '../objects/instance-object';
import { pathParams, SiteParam } from './params';
import { isoTime as iso } from '../time';

export const adminSiteRoutes = new Hono<AppEnv>();


function entryJson(s: SiteEntry) {
  const d = s.deletion;
  return {
    site: s.site,
    status: s.status,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
    ...(d
      ? { deletion: { startedAt: iso(d.startedAt), shardsDone: d.done.length, shards: DIRECTORY_SHARDS, visitorsLeft: Object.values(d.remaining).reduce((a, b) => a + b, 0) } }
      : {}),
  };
}

adminSiteRoutes.get('/v1/admin/sites', async (c) => {
  const sites = await instanceStub(c.env).list();
  // Local dev's embedded demo site exists without a save: listed too (production lists saved sites only).
  if (isDev(c.env) && !sites.some((s) => s.site === 'demo')) {
    const demo = await siteStub(c.env, 'demo').getConfig('demo');
    if (demo) sites.unshift({ site: 'demo', createdAt: demo.savedAt, updatedAt: demo.savedAt, status: 'active', deletion: null });
  }
  return c.json({ sites: sites.map(entryJson) });
});

/**
 * Deletes a site and everything it holds: the site object at once (config, keys, leads, funnel,
 * training, audit), then every visitor object, swept by the site's directory shards in the
 * background (GET /v1/admin/sites shows the progress; the site is listed until the sweep ends).
 */
adminSiteRoutes.delete('/v1/admin/sites/:site', async (c) => {
  const { site } = pathParams(SiteParam, c.req.param());
  const known = (await siteStub(c.env, site).getConfig(site)) !== null;
  const instance = instanceStub(c.env);
  if (!known && !(await instance.get(site))) throw new ApiError(404, 'unknown_site', `no site with key "${site}"`);
  const at = Date.now();
  await instance.markDeleting(site, at);
  await siteStub(c.env, site).deleteSite();
  forgetSiteConfig(site);
  await Promise.all(Array.from({ length: DIRECTORY_SHARDS }, (_, shard) => directoryStub(c.env, site, shard).startSweep(site, shard, at)));
  return c.json({ site, status: 'deleting', startedAt: iso(at) }, 202);
});
