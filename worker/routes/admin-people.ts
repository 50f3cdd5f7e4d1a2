/**
 * People: one lead across browsers (worker/people). Find a person by email, read and export it,
 * split a browser off, erase it with every browser (GDPR requests arrive by email address), and
 * issue email link tokens (`?le_t=`) that link the browser landing through them as verified.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { siteStub } from '../config/config-cache';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { parseWith, readJsonBody } from '../http/read-json';
import { identityShard } from '../objects/directory-object';
import { identifierKey, normalizeEmail } from '../people/identifiers';
import { sealLinkToken } from '../people/link-token';
import { VisitorIdSchema } from '../schema/events';
import { requireSite } from './collect';
import { pathParams, PersonParam, SiteParam } from './params';
import { leadStub, visitorStub } from './stubs';
import { exportLead } from './lead-export';
import { erasePerson } from '../objects/person-erasure';
import type { Env } from '../env';

export const adminPeopleRoutes = new Hono<AppEnv>();

export const PeopleQuerySchema = z.object({ email: z.email('an email address').max(254) });
export const SplitInputSchema = z.object({ anonymousId: VisitorIdSchema });
/** Link tokens live at most a year: an email link older than that should not log anyone in. */
export const LinkTokenInputSchema = z.object({ email: z.email('an email address').max(254), ttlDays: z.number().int().min(1).max(365).default(30) });

/** The person an email belongs to, or a 404 naming it. */
async function personByEmail(env: Env, site: string, email: string): Promise<string> {
  const key = identifierKey({ kind: 'email', value: email });
  const person = await identityShard(env, site, key).ownerOf(key);
  if (!person) throw new ApiError(404, 'unknown_person', `site "${site}" has no person with email "${normalizeEmail(email)}"`);
  return person;
}

adminPeopleRoutes.get('/v1/admin/sites/:site/people', async (c) => {
  const { site } = pathParams(SiteParam, c.req.param());
  const { email } = parseWith(PeopleQuerySchema, c.req.query(), 'invalid_query', 'invalid query');
  const loaded = await requireSite(c.env, site);
  const id = await personByEmail(c.env, site, email);
  const profile = await visitorStub(c.env, site, id).profile(loaded.config, Date.now());
  if (!profile) throw new ApiError(404, 'unknown_person', `site "${site}" has no person with email "${normalizeEmail(email)}"`);
  return c.json(profile);
});

adminPeopleRoutes.get('/v1/admin/sites/:site/people/:id', async (c) => {
  const { site, id } = pathParams(PersonParam, c.req.param());
  const loaded = await requireSite(c.env, site);
  // A person merged into another answers with that one.
  const profile = await (await leadStub(c.env, site, id)).profile(loaded.config, Date.now());
  if (!profile) throw new ApiError(404, 'unknown_person', `site "${site}" has no person "${id}"`);
  return c.json(profile);
});

adminPeopleRoutes.get('/v1/admin/sites/:site/people/:id/export', async (c) => {
  const { site, id } = pathParams(PersonParam, c.req.param());
  const loaded = await requireSite(c.env, site);
  // A person merged into another is that one now.
  const data = await exportLead(c.env, site, (await (await leadStub(c.env, site, id)).personId()) ?? id, loaded.config);
  if (!data?.profile) throw new ApiError(404, 'unknown_person', `site "${site}" has no person "${id}"`);
  c.set('audit', { action: 'person.export', target: id });
  c.header('content-disposition', `attachment; filename="leadedge-${site}-${id}.json"`);
  return c.json(data);
});

adminPeopleRoutes.delete('/v1/admin/sites/:site/people', async (c) => {
  const { site } = pathParams(SiteParam, c.req.param());
  const { email } = parseWith(PeopleQuerySchema, c.req.query(), 'invalid_query', 'invalid query');
  await requireSite(c.env, site);
  const id = await personByEmail(c.env, site, email);
  if (!(await erasePerson(c.env, site, id))) throw new ApiError(404, 'unknown_person', `site "${site}" has no person with email "${normalizeEmail(email)}"`);
  c.set('audit', { action: 'person.erase', target: id });
  return c.json({ site, id, erased: true });
});

adminPeopleRoutes.delete('/v1/admin/sites/:site/people/:id', async (c) => {
  const { site, id } = pathParams(PersonParam, c.req.param());
  await requireSite(c.env, site);
  if (!(await erasePerson(c.env, site, id))) throw new ApiError(404, 'unknown_person', `site "${site}" has no person "${id}"`);
  c.set('audit', { action: 'person.erase', target: id });
  return c.json({ site, id, erased: true });
});

adminPeopleRoutes.post('/v1/admin/sites/:site/people/:id/split', async (c) => {
  const { site, id } = pathParams(PersonParam, c.req.param());
  const { anonymousId } = parseWith(SplitInputSchema, await readJsonBody(c, 4096), 'invalid_split', 'invalid split');
  const loaded = await requireSite(c.env, site);
  const split = await visitorStub(c.env, site, id).split(anonymousId, loaded.version, { receivedAt: Date.now(), adminBaseUrl: new URL(c.req.url).origin });
  if ('refused' in split) throw new ApiError(split.status, split.code, split.refused);
  await visitorStub(c.env, site, anonymousId).restore(split.browser, split.history, loaded.version, { receivedAt: Date.now(), adminBaseUrl: new URL(c.req.url).origin });
  c.set('audit', { action: 'person.split', target: id, detail: { browser: anonymousId } });
  return c.json({ site, id, browser: anonymousId, score: split.score });
});

adminPeopleRoutes.post('/v1/admin/sites/:site/link-tokens', async (c) => {
  const { site } = pathParams(SiteParam, c.req.param());
  const { email, ttlDays } = parseWith(LinkTokenInputSchema, await readJsonBody(c, 4096), 'invalid_link_token', 'invalid link token request');
  await requireSite(c.env, site);
  const key = (await siteStub(c.env, site).linkKey(true))!;
  const now = Date.now();
  const token = await sealLinkToken(key, site, email, ttlDays, now);
  c.set('audit', { action: 'link-token.create', target: normalizeEmail(email), detail: { ttlDays } });
  return c.json({ token, email: normalizeEmail(email), expiresAt: new Date(now + ttlDays * 86_400_000).toISOString() }, 201);
});
