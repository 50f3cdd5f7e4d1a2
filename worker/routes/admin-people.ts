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
import { directoryOf, identityShard } from '../objects/directory-object';
import { identifierKey, normalizeEmail } from '../people/identifiers';
import { sealLinkToken } from '../people/link-token';
import { PERSON_ID_PATTERN, VisitorIdSchema } from '../schema/events';
import { requireSite } from './collect';
import { pathParams, PersonParam, SiteParam } from './params';
import { leadStub, visitorStub } from './stubs';
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
  const [data, held, firstDay] = await Promise.all([visitorStub(c.env, site, id).exportData(loaded.config, Date.now()), siteStub(c.env, site).exportLead(id), directoryOf(c.env, site, id).firstDay(id)]);
  if (!data) throw new ApiError(404, 'unknown_person', `site "${site}" has no person "${id}"`);
  // Every browser's own leftovers too: what its object and the site still hold under its id (its outbox log, a pre-link index row).
  const browsers = await Promise.all(
    (data.profile.person?.browsers ?? []).filter((b) => b.anonymousId !== 'folded').map(async (b) => ({ anonymousId: b.anonymousId, deliveries: await visitorStub(c.env, site, b.anonymousId).deliveries(), leadsIndex: (await siteStub(c.env, site).exportLead(b.anonymousId)).index })),
  );
  c.set('audit', { action: 'person.export', target: id });
  c.header('content-disposition', `attachment; filename="leadedge-${site}-${id}.json"`);
  return c.json({ site, id, ...data, leadsIndex: held.index, funnelStages: held.stages, trainingLabel: held.training, directory: firstDay ? { firstDay } : null, browsers });
});

/**
 * Erases a person and everything of it in every object: the site's rows (its index row, funnel
 * stages, training label; each browser's), every browser's object (each keeps its erasure
 * tombstone), its identifiers, its directory entries, then the person's own object. Idempotent:
 * a retry after a failure finishes the job.
 */
export async function erasePerson(env: Env, site: string, asked: string): Promise<boolean> {
  // A person merged into another is that one now.
  const id = (PERSON_ID_PATTERN.test(asked) && (await visitorStub(env, site, asked).linkedTo())) || asked;
  // An email a lone browser owns: that browser is the person.
  const info = PERSON_ID_PATTERN.test(id) ? await visitorStub(env, site, id).personInfo() : { browsers: [], identifiers: [], persons: [] };
  if (!info) return false;
  const site$ = siteStub(env, site);
  await site$.forgetLead(id);
  for (const browser of info.browsers) {
    await site$.forgetLead(browser);
    await visitorStub(env, site, browser).erase();
    await directoryOf(env, site, browser).forget(browser);
  }
  // Persons merged into this one keep only a pointer: it goes too.
  for (const other of info.persons) {
    await site$.forgetLead(other);
    await visitorStub(env, site, other).erase({ tombstone: false });
    await directoryOf(env, site, other).forget(other);
  }
  for (const key of info.identifiers) await identityShard(env, site, key).release(key, id);
  await visitorStub(env, site, id).erase();
  await directoryOf(env, site, id).forget(id);
  return true;
}

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
