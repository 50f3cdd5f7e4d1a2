/** The admin API: site configs (versioned), visitor profiles, erasure, webhook deliveries. */
import { Hono } from 'hono';
import { z } from 'zod';
import { primeSiteConfig, siteStub } from '../config/config-cache';
import { maskDocument, unmaskDocument } from '../config/secrets';
import { PERSON_ID_PATTERN } from '../schema/events';
import { isDev, type AppEnv } from '../env';
import { ApiError, issuesMessage } from '../errors';
import { parseWith, readJsonBody } from '../http/read-json';
import { resolveConfig, type SiteConfigInput } from '../schema/config';
import { LIMITS } from '../schema/limits';
import { webhookUrlProblem } from '../webhooks/url-safety';
import { directoryOf } from '../objects/directory-object';
import type { SiteConfigRecord } from '../objects/site-object';
import { instanceStub } from '../objects/instance-object';
import type { Context } from 'hono';
import { requireSite } from './collect';
import { restageAfterSave, RestageOptionSchema } from './admin-restage';
import { leadStub, visitorStub } from './stubs';
import { erasePerson } from '../objects/person-erasure';
import { exportLead } from './lead-export';
import { pathParams as params, SiteParam, VisitorParam } from './params';

export const adminRoutes = new Hono<AppEnv>();


adminRoutes.get('/v1/admin/sites/:site', async (c) => {
  const { site } = params(SiteParam, c.req.param());
  const stub = siteStub(c.env, site);
  const stored = await stub.getConfig(site);
  if (!stored) throw new ApiError(404, 'unknown_site', `no site with key "${site}"`);
  c.header('etag', `"${stored.version}"`);
  const [demoAlerts, identity] = await Promise.all([stub.demoAlertStats(), stub.identityStats()]);
  // `identity`: links refused (blocked values, an identifier's daily limit, bad or expired link tokens, identifiers owned by another person).
  return c.json({ site, version: stored.version, savedAt: new Date(stored.savedAt).toISOString(), note: stored.note, config: maskDocument(stored.document), demoAlerts, identity });
});

adminRoutes.put('/v1/admin/sites/:site', async (c) => {
  const { site } = params(SiteParam, c.req.param());
  const stub = siteStub(c.env, site);
  const body = await readJsonBody(c, LIMITS.maxConfigBytes);
  const previous = await stub.getConfig(site);
  if (!previous && (await instanceStub(c.env).get(site))?.status === 'deleting') {
    throw new ApiError(409, 'site_deleting', `site "${site}" is being deleted; create it again once GET /v1/admin/sites no longer lists it`);
  }
  const document = validateDocument(unmaskDocument(body, previous?.document ?? null), isDev(c.env));
  assertMayChange(c, previous?.document ?? null, document);
  parseWith(RestageOptionSchema, c.req.query('restage'), 'invalid_query', 'invalid query: restage is alert, quiet or none');
  const saved = savedOrConflict(await stub.putConfig(document, c.req.query('note')?.slice(0, 200) ?? null, ifMatch(c.req.header('if-match'))));
  primeSiteConfig(site, saved.version, saved.document, saved.serverKeys);
  c.header('etag', `"${saved.version}"`);
  await instanceStub(c.env).register(site, saved.savedAt);
  const restage = await restageAfterSave(c, site, previous?.document ?? null, saved);
  c.set('audit', { action: previous ? 'config.save' : 'site.create', target: `v${saved.version}`, detail: { version: saved.version, previousVersion: previous?.version ?? null, changed: changedSections(previous?.document ?? null, document), restage: restage ? (restage.alert ? 'alert' : 'quiet') : 'none' } });
  return c.json({ site, version: saved.version, savedAt: new Date(saved.savedAt).toISOString(), config: maskDocument(saved.document), restage }, previous ? 200 : 201);
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
  const document = validateDocument(old.document, isDev(c.env));
  const previous = (await stub.getConfig(site))?.document ?? null;
  assertMayChange(c, previous, document);
  const saved = savedOrConflict(await stub.putConfig(document, `restored version ${version}`, ifMatch(c.req.header('if-match'))));
  primeSiteConfig(site, saved.version, saved.document, saved.serverKeys);
  c.header('etag', `"${saved.version}"`);
  await instanceStub(c.env).register(site, saved.savedAt);
  const restage = await restageAfterSave(c, site, previous, saved);
  c.set('audit', { action: 'config.restore', target: `v${saved.version}`, detail: { version: saved.version, restoredFrom: version, restage: restage ? (restage.alert ? 'alert' : 'quiet') : 'none' } });
  return c.json({ site, version: saved.version, restoredFrom: version, config: maskDocument(saved.document), restage });
});

adminRoutes.get('/v1/admin/sites/:site/visitors/:aid', async (c) => {
  const { site, aid } = params(VisitorParam, c.req.param());
  const loaded = await requireSite(c.env, site);
  // A browser that joined a person answers with the person (the lead sales works with).
  const shown = await (await leadStub(c.env, site, aid)).profile(loaded.config, Date.now());
  if (!shown) throw new ApiError(404, 'unknown_visitor', `site "${site}" has no visitor "${aid}"`);
  return c.json(shown);
});

adminRoutes.get('/v1/admin/sites/:site/visitors/:aid/export', async (c) => {
  const { site, aid } = params(VisitorParam, c.req.param());
  const loaded = await requireSite(c.env, site);
  // A browser that joined a person: the person's export (as its profile is the person's), every browser included.
  const person = await (await leadStub(c.env, site, aid)).personId();
  const data = await exportLead(c.env, site, person ?? aid, loaded.config);
  if (!data) throw new ApiError(404, 'unknown_visitor', `site "${site}" has no visitor "${aid}"`);
  c.set('audit', { action: 'visitor.export', target: aid });
  c.header('content-disposition', `attachment; filename="leadedge-${site}-${aid}.json"`);
  return c.json(data);
});

adminRoutes.delete('/v1/admin/sites/:site/visitors/:aid', async (c) => {
  const { site, aid } = params(VisitorParam, c.req.param());
  await requireSite(c.env, site);
  // A person's id: the person and every browser of it, as DELETE …/people/:id.
  if (PERSON_ID_PATTERN.test(aid)) {
    if (!(await erasePerson(c.env, site, aid))) throw new ApiError(404, 'unknown_visitor', `site "${site}" has no visitor "${aid}"`);
    c.set('audit', { action: 'person.erase', target: aid });
    return c.json({ site, id: aid, erased: true });
  }
  // The site's copy first (it holds the email and name): if erasing the visitor then fails, a retry finds it still there.
  const indexed = await siteStub(c.env, site).forgetLead(aid);
  // A browser that joined a person: its part and its events leave the person first.
  const person = PERSON_ID_PATTERN.test(aid) ? null : await visitorStub(c.env, site, aid).linkedTo();
  if (person) await visitorStub(c.env, site, person).split(aid, 0, { receivedAt: Date.now(), adminBaseUrl: new URL(c.req.url).origin });
  const existed = await visitorStub(c.env, site, aid).erase();
  await directoryOf(c.env, site, aid).forget(aid);
  if (!existed && !indexed) throw new ApiError(404, 'unknown_visitor', `site "${site}" has no visitor "${aid}"`);
  c.set('audit', { action: 'visitor.erase', target: aid });
  return c.json({ site, id: aid, erased: true });
});

adminRoutes.get('/v1/admin/sites/:site/visitors/:aid/deliveries', async (c) => {
  const { site, aid } = params(VisitorParam, c.req.param());
  await requireSite(c.env, site);
  // A linked browser's: what it sent before it joined, then its person's.
  const stub = visitorStub(c.env, site, aid);
  const person = PERSON_ID_PATTERN.test(aid) ? null : await stub.linkedTo();
  const own = await stub.deliveries();
  return c.json({ site, id: aid, deliveries: person ? [...own, ...(await visitorStub(c.env, site, person).deliveries())] : own });
});

adminRoutes.post('/v1/admin/sites/:site/visitors/:aid/deliveries/:id/redeliver', async (c) => {
  const { site, aid, id } = params(VisitorParam.extend({ id: z.string().regex(/^msg_[0-9a-f-]{36}$/, 'a webhook id such as msg_…') }), c.req.param());
  await requireSite(c.env, site);
  // A linked browser's list shows its person's deliveries too: one not found here is looked for there.
  const ok = (await visitorStub(c.env, site, aid).redeliver(id, Date.now())) || (!PERSON_ID_PATTERN.test(aid) && (await (await leadStub(c.env, site, aid)).redeliver(id, Date.now())));
  if (!ok) throw new ApiError(409, 'not_redeliverable', `delivery ${id} does not exist or is still pending`);
  c.set('audit', { action: 'delivery.redeliver', target: aid, detail: { delivery: id } });
  return c.json({ id, status: 'pending' }, 202);
});

/**
 * The versions an If-Match header accepts: a list of entity tags as GET sends them (`"7"`), also
 * weak (`W/"7"`) or bare (`7`), or `*` (any existing version). No header: no condition.
 */
function ifMatch(header: string | undefined): number[] | '*' | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return '*';
  const versions = header.split(',').map((tag) => /^\s*(?:W\/)?("?)([1-9][0-9]{0,14})\1\s*$/.exec(tag)?.[2]);
  if (versions.some((v) => v === undefined)) {
    throw new ApiError(400, 'invalid_if_match', `If-Match takes the config version as GET's ETag gives it (such as "7"), or *; got ${JSON.stringify(header.slice(0, 100))}`);
  }
  return versions.map(Number);
}

/** A save, or the 409 that names the version it would have overwritten. */
function savedOrConflict(result: SiteConfigRecord | { conflict: number | null }): SiteConfigRecord {
  if (!('conflict' in result)) return result;
  if (result.conflict === null) throw new ApiError(409, 'version_conflict', 'If-Match names a version, but this site has no config yet: send the first one without If-Match');
  throw new ApiError(
    409,
    'version_conflict',
    `the config is now at version ${result.conflict}, not the version If-Match names: it changed since you loaded it (another save, a restore, or a webhook turned off after a 410); load version ${result.conflict}, apply your change to it and save again`,
    undefined,
    { etag: `"${result.conflict}"` },
  );
}

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

/**
 * Roles that may save a config may not do everything with it: creating a site is the instance
 * owner's, and where webhooks go (and their secrets) is the site owner's (a marketer key must not
 * re-point sales alerts).
 */
function assertMayChange(c: Context<AppEnv>, previous: SiteConfigInput | null, next: SiteConfigInput) {
  const { role } = c.get('principal');
  if (role === 'admin') return;
  if (!previous) throw new ApiError(403, 'forbidden', 'creating a site needs the instance owner (ADMIN_TOKEN)');
  if (role !== 'owner' && JSON.stringify(previous.webhooks ?? []) !== JSON.stringify(next.webhooks ?? [])) {
    throw new ApiError(403, 'forbidden', `the "${role}" role may not change webhooks: it needs a key with role "owner"`);
  }
}

/** Top-level sections a save changed, for the audit log (values are not copied: secrets live there). */
function changedSections(previous: SiteConfigInput | null, next: SiteConfigInput): string[] {
  const keys = new Set([...Object.keys(previous ?? {}), ...Object.keys(next)]);
  const before = (previous ?? {}) as Record<string, unknown>;
  const after = next as Record<string, unknown>;
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}
