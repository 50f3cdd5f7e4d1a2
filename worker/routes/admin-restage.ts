/**
 * Config saves that change who passes a stage: a preview before saving (how many leads the new
 * thresholds move, from the leads index), and the background pass that applies the saved config
 * to existing leads (worker/objects/restage-store.ts), quietly or with sales alerts.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { siteStub } from '../config/config-cache';
import { unmaskDocument } from '../config/secrets';
import type { AppEnv } from '../env';
import { ApiError, issuesMessage } from '../errors';
import { parseWith, readJsonBody } from '../http/read-json';
import { changesStaging } from '../restage/preview';
import { resolveConfig, type SiteConfigInput } from '../schema/config';
import { LIMITS } from '../schema/limits';
import { requireSite } from './collect';
import { pathParams, SiteParam } from './params';
import { isoTime as iso } from '../time';

export const adminRestageRoutes = new Hono<AppEnv>();

/** `?restage=` on a config save: apply it to existing leads with alerts, quietly (the default), or not at all. */
export const RestageOptionSchema = z.enum(['alert', 'quiet', 'none']).default('quiet');

adminRestageRoutes.post('/v1/admin/sites/:site/config/preview', async (c) => {
  const { site } = pathParams(SiteParam, c.req.param());
  const body = await readJsonBody(c, LIMITS.maxConfigBytes);
  await requireSite(c.env, site);
  const stub = siteStub(c.env, site);
  const current = await stub.getConfig(site);
  const next = resolveConfig(unmaskDocument(body, current?.document ?? null));
  if (!next.ok) throw new ApiError(400, 'invalid_config', issuesMessage('invalid config', next.issues), next.issues);
  const before = current ? resolveConfig(current.document) : null;
  const changes = !before?.ok || changesStaging(before.config, next.config);
  const preview = await stub.previewRestage(next.config.stages);
  return c.json({
    site,
    basedOnVersion: current?.version ?? null,
    changesStaging: changes,
    ...preview,
    basis: 'the leads index: each lead\'s score and fit as of its last refresh (at most a day old); the pass after the save re-scores every lead exactly',
  });
});

adminRestageRoutes.get('/v1/admin/sites/:site/restage', async (c) => {
  const { site } = pathParams(SiteParam, c.req.param());
  await requireSite(c.env, site);
  const job = await siteStub(c.env, site).restageStatus();
  return c.json({ site, restage: job && restageJson(job) });
});

type Job = { version: number; alert: boolean; processed: number; moved: number; total: number; status: string; startedAt: number; updatedAt: number };
const restageJson = (j: Job) => ({ version: j.version, alert: j.alert, status: j.status, processed: j.processed, moved: j.moved, total: j.total, startedAt: iso(j.startedAt), updatedAt: iso(j.updatedAt) });

/**
 * After a save: when it changes thresholds or scoring and `?restage=` is not `none`, starts the
 * pass over existing leads. Returns what the save's answer says about it.
 */
export async function restageAfterSave(c: Context<AppEnv>, site: string, previous: SiteConfigInput | null, saved: { version: number; document: SiteConfigInput }) {
  const option = parseWith(RestageOptionSchema, c.req.query('restage'), 'invalid_query', 'invalid query: restage is alert, quiet or none');
  const before = previous ? resolveConfig(previous) : null;
  const after = resolveConfig(saved.document);
  if (option === 'none' || !before?.ok || !after.ok || !changesStaging(before.config, after.config)) return null;
  const job = await siteStub(c.env, site).startRestage(site, saved.version, option === 'alert', new URL(c.req.url).origin);
  return restageJson(job);
}
