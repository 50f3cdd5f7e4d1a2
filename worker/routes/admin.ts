/** The admin API: site configs (versioned), visitor profiles, erasure, webhook deliveries. */
import { Hono } from 'hono';
import { z } from 'zod';
import { primeSiteConfig, siteStub } from '../config/config-cache';
import { maskDocument, unmaskDocument } from '../config/secrets';
import { isDev, type Env } from '../env';
import { ApiError, issuesMessage } from '../errors';
import { parseWith, readJsonBody } from '../http/read-json';
import { resolveConfig, type SiteConfigInput } from '../schema/config';
import { SiteKeySchema, VisitorIdSchema } from '../schema/events';
import { LIMITS } from '../schema/limits';
import { webhookUrlProblem } from '../webhooks/url-safety';
import { requireSite } from './collect';
import { visitorStub } from './stubs';

export const adminRoutes = new Hono<{ Bindings: Env }>();

const SiteParam = z.object({ site: SiteKeySchema });
const VisitorParam = z.object({ site: SiteKeySchema, aid: VisitorIdSchema });
const params = <T extends z.ZodType>(schema: T, value: unknown) => parseWith(schema, value, 'invalid_path', 'invalid path');

adminRoutes.get('/v1/admin/sites/:site', async (c) => {
  const { site } = params(SiteParam, c.req.param());
  const stub = siteStub(c.env, site);
  const stored = await stub.getConfig(site);
  if (!stored) throw new ApiError(404, 'unknown_site', `no site with key "${site}"`);
  const demoAlerts = await stub.demoAlertStats();
  return c.json({ site, version: stored.version, savedAt: new Date(stored.savedAt).toISOString(), note: stored.note, config: maskDocument(stored.document), demoAlerts });
});

adminRoutes.put('/v1/admin/sites/:site', async (c) => {
  const { site } = params(SiteParam, c.req.param());
  const stub = siteStub(c.env, site);
  const body = await readJsonBody(c, LIMITS.maxConfigBytes);
  const previous = await stub.getConfig(site);
  const document = validateDocument(unmaskDocument(body, previous?.document ?? null), isDev(c.env));
  const saved = await stub.putConfig(document, c.req.query('note')?.slice(0, 200) ?? null);
  primeSiteConfig(site, saved.version, saved.document);
  return c.json({ site, version: saved.version, savedAt: new Date(saved.savedAt).toISOString(), config: maskDocument(saved.document) }, previous ? 200 : 201);
});

adminRoutes.get('/v1/admin/sites/:site/config/versions', async (c) => {
  const { site } = params(SiteParam, c.req.param());
  await requireSite(c.env, site);
  const versions = await siteStub(c.env, site).versions();
  return c.json({ site, versions: versions.map((v) => ({ ...v, savedAt: new Date(v.savedAt).toISOString() })) });
});

adminRoutes.post('/v1/admin/sites/:site/config/versions/:version/restore', async (c) => {
  const { site, version } = params(SiteParam.extend({ version: z.coerce.number().int().positive() }), c.req.param());
  const stub = siteStub(c.env, site);
  const old = await stub.version(version);
  if (!old) throw new ApiError(404, 'unknown_version', `site "${site}" has no config version ${version} (the last ${LIMITS.configVersionsKept} are kept)`);
  const saved = await stub.putConfig(validateDocument(old.document, isDev(c.env)), `restored version ${version}`);
  primeSiteConfig(site, saved.version, saved.document);
  return c.json({ site, version: saved.version, restoredFrom: version, config: maskDocument(saved.document) });
});

adminRoutes.get('/v1/admin/sites/:site/visitors/:aid', async (c) => {
  const { site, aid } = params(VisitorParam, c.req.param());
  const loaded = await requireSite(c.env, site);
  const profile = await visitorStub(c.env, site, aid).profile(loaded.config, Date.now());
  if (!profile) throw new ApiError(404, 'unknown_visitor', `site "${site}" has no visitor "${aid}"`);
  return c.json(profile);
});

adminRoutes.get('/v1/admin/sites/:site/visitors/:aid/export', async (c) => {
  const { site, aid } = params(VisitorParam, c.req.param());
  const loaded = await requireSite(c.env, site);
  const data = await visitorStub(c.env, site, aid).exportData(loaded.config, Date.now());
  if (!data) throw new ApiError(404, 'unknown_visitor', `site "${site}" has no visitor "${aid}"`);
  c.header('content-disposition', `attachment; filename="leadedge-${site}-${aid}.json"`);
  return c.json({ site, id: aid, ...data });
});

adminRoutes.delete('/v1/admin/sites/:site/visitors/:aid', async (c) => {
  const { site, aid } = params(VisitorParam, c.req.param());
  await requireSite(c.env, site);
  const existed = await visitorStub(c.env, site, aid).erase();
  const indexed = await siteStub(c.env, site).forgetLead(aid);
  if (!existed && !indexed) throw new ApiError(404, 'unknown_visitor', `site "${site}" has no visitor "${aid}"`);
  return c.json({ site, id: aid, erased: true });
});

adminRoutes.get('/v1/admin/sites/:site/visitors/:aid/deliveries', async (c) => {
  const { site, aid } = params(VisitorParam, c.req.param());
  await requireSite(c.env, site);
  return c.json({ site, id: aid, deliveries: await visitorStub(c.env, site, aid).deliveries() });
});

adminRoutes.post('/v1/admin/sites/:site/visitors/:aid/deliveries/:id/redeliver', async (c) => {
  const { site, aid, id } = params(VisitorParam.extend({ id: z.string().regex(/^msg_[0-9a-f-]{36}$/, 'a webhook id such as msg_…') }), c.req.param());
  await requireSite(c.env, site);
  const ok = await visitorStub(c.env, site, aid).redeliver(id, Date.now());
  if (!ok) throw new ApiError(409, 'not_redeliverable', `delivery ${id} does not exist or is still pending`);
  return c.json({ id, status: 'pending' }, 202);
});

/** Full validation of a config document: the schema, then what only the server knows (webhook URLs). */
function validateDocument(document: unknown, dev: boolean): SiteConfigInput {
  const resolved = resolveConfig(document);
  if (!resolved.ok) throw new ApiError(400, 'invalid_config', issuesMessage('invalid config', resolved.issues), resolved.issues);
  const urlIssues = resolved.config.webhooks.flatMap((w, i) => {
    const problem = webhookUrlProblem(w.url, dev);
    return problem ? [{ path: `webhooks.${i}.url`, message: problem }] : [];
  });
  if (urlIssues.length) throw new ApiError(400, 'invalid_config', issuesMessage('invalid config', urlIssues), urlIssues);
  return document as SiteConfigInput;
}
