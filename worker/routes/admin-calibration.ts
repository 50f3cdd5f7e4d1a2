/**
 * Learning from outcomes: label leads (won/lost), import history, look at the training rows, and
 * calibrate (a proposed config the marketer reviews; nothing changes until it is PUT).
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { siteStub } from '../config/config-cache';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { parseWith, readJsonBody } from '../http/read-json';
import { ImportBodySchema, IMPORT_BODY_MAX_BYTES, importedRow } from '../calibration/import-rows';
import { OutcomeInputSchema } from '../calibration/labels';
import { calibrate } from '../calibration/calibrate';
import { CalibrateOptionsSchema, CalibrationError } from '../calibration/options';
import { maskDocument } from '../config/secrets';
import { resolveStoredConfig } from '../schema/config';
import type { TrainingSummary } from '../objects/training-store';
import { VisitorIdSchema } from '../schema/events';
import { requireSite } from './collect';
import { leadStub } from './stubs';
import { pathParams as params, SiteParam } from './params';
import { isoTime as iso } from '../time';

export const adminCalibrationRoutes = new Hono<AppEnv>();

const summaryJson = (s: TrainingSummary) => ({ ...s, oldest: iso(s.oldest), newest: iso(s.newest) });

adminCalibrationRoutes.post('/v1/admin/sites/:site/visitors/:aid/outcome', async (c) => {
  const { site, aid } = params(SiteParam.extend({ aid: VisitorIdSchema }), c.req.param());
  const input = parseWith(OutcomeInputSchema, await readJsonBody(c, 4096), 'invalid_outcome', 'invalid outcome');
  const loaded = await requireSite(c.env, site);
  const at = Date.now();
  const result = await (await leadStub(c.env, site, aid)).outcome(input, loaded.version, { receivedAt: at, adminBaseUrl: new URL(c.req.url).origin });
  if (!result.ok) {
    throw result.status === 404 ? new ApiError(404, 'unknown_visitor', `site "${site}" has no visitor "${aid}"`) : new ApiError(409, 'not_a_lead', result.message);
  }
  c.set('audit', { action: 'visitor.outcome', target: aid, detail: { outcome: input.outcome } });
  return c.json({ visitor: { id: aid, stage: result.stage }, outcome: { outcome: input.outcome, at: iso(at) }, label: input.outcome === 'won' ? 'positive' : 'negative' });
});

adminCalibrationRoutes.get('/v1/admin/sites/:site/training', async (c) => {
  const { site } = params(SiteParam, c.req.param());
  await requireSite(c.env, site);
  return c.json({ site, ...summaryJson(await siteStub(c.env, site).trainingSummary()) });
});

adminCalibrationRoutes.post('/v1/admin/sites/:site/training/import', async (c) => {
  const { site } = params(SiteParam, c.req.param());
  const body = parseWith(ImportBodySchema, await readJsonBody(c, IMPORT_BODY_MAX_BYTES), 'invalid_import', 'invalid import');
  await requireSite(c.env, site);
  const now = Date.now();
  const stub = siteStub(c.env, site);
  const imported = await stub.importTraining(body.rows.map((r) => importedRow(r, now)));
  c.set('audit', { action: 'training.import', detail: { rows: imported } });
  return c.json({ site, imported, training: summaryJson(await stub.trainingSummary()) });
});

export const ClearTrainingQuerySchema = z.object({ origin: z.enum(['live', 'import']).optional() }).strict();

adminCalibrationRoutes.delete('/v1/admin/sites/:site/training', async (c) => {
  const { site } = params(SiteParam, c.req.param());
  const q = parseWith(ClearTrainingQuerySchema, c.req.query(), 'invalid_query', 'invalid query');
  await requireSite(c.env, site);
  const removed = await siteStub(c.env, site).clearTraining(q.origin);
  c.set('audit', { action: 'training.clear', detail: { removed, origin: q.origin ?? 'all' } });
  return c.json({ site, removed });
});

adminCalibrationRoutes.post('/v1/admin/sites/:site/calibrate', async (c) => {
  const { site } = params(SiteParam, c.req.param());
  const options = parseWith(CalibrateOptionsSchema, await optionalJsonBody(c), 'invalid_options', 'invalid calibration options');
  await requireSite(c.env, site);
  // The site object only reads; the fit runs here, so its config reads and notices never wait behind it.
  const input = await siteStub(c.env, site).calibrationInput(site);
  const resolved = input && resolveStoredConfig(input.document);
  if (!input || !resolved?.ok) throw new ApiError(404, 'unknown_site', `no site with key "${site}"`);
  try {
    // The document without keys an earlier release ignored, so the proposal passes a save.
    return c.json({ site, basedOnVersion: input.version, ...calibrate(input.rows, maskDocument(resolved.document), resolved.config, options) });
  } catch (e) {
    if (e instanceof CalibrationError) throw new ApiError(422, e.code, e.message);
    throw e;
  }
});

/** An empty body means "all defaults". */
async function optionalJsonBody(c: Context): Promise<unknown> {
  try {
    return await readJsonBody(c, 4096);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'empty_body') return {};
    throw e;
  }
}
