/** POST /v1/collect: a batch of events in, the visitor's stage and CTA decision out. */
import { Hono } from 'hono';
import { loadSiteConfig } from '../config/config-cache';
import { newVisitorState } from '../visitor/apply-batch';
import { decide } from '../decisions/decide';
import type { Env } from '../env';
import { ApiError } from '../errors';
import { readJsonBody, parseWith } from '../http/read-json';
import { assertOriginAllowed, publicCors } from '../middleware/public-cors';
import { BatchSchema } from '../schema/events';
import { LIMITS } from '../schema/limits';
import { visitorStub } from './stubs';

export const collectRoutes = new Hono<{ Bindings: Env }>();

collectRoutes.use('/v1/collect', publicCors);

collectRoutes.post('/v1/collect', async (c) => {
  const body = await readJsonBody(c, LIMITS.maxBodyBytes);
  const batch = parseWith(BatchSchema, body, 'invalid_batch', 'invalid batch');
  const site = await requireSite(c.env, batch.site);
  assertOriginAllowed(c.req.header('origin'), batch.site, site.config);
  const receivedAt = Date.now();

  if (site.config.privacy.honorGpc && c.req.header('sec-gpc') === '1') {
    // Global Privacy Control: nothing is stored; the page still gets the anonymous decision.
    const anon = newVisitorState(batch.site, batch.anonymousId, receivedAt);
    const decision = decide({ anonymousId: batch.anonymousId, stage: 'anonymous', score: 0, aggregates: anon.aggregates }, site.config, receivedAt);
    return c.json({ ...decision, accepted: 0, duplicates: 0, tracked: false });
  }

  const result = await visitorStub(c.env, batch.site, batch.anonymousId).ingest(batch, site.config, {
    receivedAt,
    adminBaseUrl: new URL(c.req.url).origin,
  });
  return c.json({ ...result.decision, accepted: result.accepted, duplicates: result.duplicates, tracked: true });
});

export async function requireSite(env: Env, site: string) {
  const loaded = await loadSiteConfig(env, site);
  if (!loaded) throw new ApiError(404, 'unknown_site', `no site with key "${site}"`);
  return loaded;
}
