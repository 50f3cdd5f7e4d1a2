/** A site's keys (create, list, revoke) and its audit log: the owner's side of access (worker/access). */
import { Hono } from 'hono';
import { z } from 'zod';
import { keyHash, newKey } from '../access/keys';
import { allows, ROLES, ROUTE_ACCESS } from '../access/roles';
import { forgetSiteConfig, siteStub } from '../config/config-cache';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { parseWith, readJsonBody } from '../http/read-json';
import { KEYS_PER_SITE } from '../objects/key-store';
import { requireSite } from './collect';
import { pathParams as params, SiteParam } from './params';
import { isoTime as iso } from '../time';

export const adminKeyRoutes = new Hono<AppEnv>();


export const KeyInputSchema = z
  .object({
    role: z.enum(ROLES),
    label: z.string().trim().min(1, 'give the key a label (who or what uses it)').max(100),
    /** Binds a sales key to one rep (lead owners use it). */
    repId: z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/, 'a rep id: 1-128 letters, digits, ".", "_", ":", "@" or "-"').optional(),
  })
  .strict()
  .refine((k) => k.repId === undefined || k.role === 'sales', { message: 'repId binds a sales key to a rep: only for role "sales"', path: ['repId'] });

export const AuditQuerySchema = z
  .object({
    cursor: z.string().regex(/^\d{1,15}$/, 'a cursor from a previous page').optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

adminKeyRoutes.post('/v1/admin/sites/:site/keys', async (c) => {
  const { site } = params(SiteParam, c.req.param());
  const input = parseWith(KeyInputSchema, await readJsonBody(c, 4096), 'invalid_key', 'invalid key');
  await requireSite(c.env, site);
  const { id, key } = newKey(site);
  const createdAt = Date.now();
  const added = await siteStub(c.env, site).addKey({ id, hash: await keyHash(key), role: input.role, label: input.label, repId: input.repId ?? null, createdAt });
  if (!added) throw new ApiError(409, 'too_many_keys', `site "${site}" already holds ${KEYS_PER_SITE} keys; revoke one first`);
  forgetSiteConfig(site);
  c.set('audit', { action: 'key.create', target: id, detail: { role: input.role, label: input.label, ...(input.repId ? { repId: input.repId } : {}) } });
  return c.json({ id, key, role: input.role, label: input.label, ...(input.repId ? { repId: input.repId } : {}), createdAt: iso(createdAt) }, 201);
});

adminKeyRoutes.get('/v1/admin/sites/:site/keys', async (c) => {
  const { site } = params(SiteParam, c.req.param());
  await requireSite(c.env, site);
  const keys = await siteStub(c.env, site).listKeys();
  return c.json({ site, keys: keys.map((k) => ({ id: k.id, role: k.role, label: k.label, ...(k.repId ? { repId: k.repId } : {}), createdAt: iso(k.createdAt), lastUsedAt: iso(k.lastUsedAt) })) });
});

adminKeyRoutes.delete('/v1/admin/sites/:site/keys/:id', async (c) => {
  const { site, id } = params(SiteParam.extend({ id: z.string().regex(/^key_[0-9a-z]{1,40}$/, 'a key id such as key_…') }), c.req.param());
  await requireSite(c.env, site);
  const revoked = await siteStub(c.env, site).revokeKey(id);
  if (!revoked) throw new ApiError(404, 'unknown_key', `site "${site}" has no key "${id}"`);
  // This isolate's beacons stop accepting a revoked server key at once; others within CONFIG_CACHE_TTL_MS.
  forgetSiteConfig(site);
  c.set('audit', { action: 'key.revoke', target: id, detail: { role: revoked.role, label: revoked.label } });
  return c.json({ site, id, revoked: true });
});

adminKeyRoutes.get('/v1/admin/sites/:site/audit', async (c) => {
  const { site } = params(SiteParam, c.req.param());
  const q = parseWith(AuditQuerySchema, c.req.query(), 'invalid_query', 'invalid query');
  await requireSite(c.env, site);
  const page = await siteStub(c.env, site).audit(q.cursor === undefined ? null : Number(q.cursor), q.limit);
  return c.json({ site, entries: page.entries.map((e) => ({ ...e, at: iso(e.at) })), nextCursor: page.next === null ? null : String(page.next) });
});

adminKeyRoutes.get('/v1/admin/sites/:site/me', async (c) => {
  const { site } = params(SiteParam, c.req.param());
  await requireSite(c.env, site);
  const { role, keyId, repId } = c.get('principal');
  const routes = ROUTE_ACCESS.filter((r) => allows(r, role) && r.path.includes(':site')).map((r) => ({ method: r.method, path: r.path }));
  return c.json({ site, role, keyId, ...(repId ? { repId } : {}), routes });
});
