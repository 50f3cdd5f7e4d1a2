/** POST /v1/collect: a batch of events in, the visitor's stage and CTA decision out. */
import { Hono } from 'hono';
import { countBot } from '../abuse/bot-counter';
import { classifyTraffic } from '../abuse/bots';
import { ipRateLimit } from '../abuse/ip-limit';
import { loadSiteConfig, type LoadedConfig } from '../config/config-cache';
import { decide } from '../decisions/decide';
import type { Env } from '../env';
import { ApiError } from '../errors';
import { parseWith, readJsonText } from '../http/read-json';
import { assertOriginAllowed, corsJsonHeaders, publicCors } from '../middleware/public-cors';
import { LIMITS } from '../schema/limits';
import type { CollectResponse } from '../schema/responses';
import { BatchSchema, type Batch } from '../schema/events';
import { parseBatchFast } from '../schema/fast-batch';
import { newVisitorState } from '../visitor/apply-batch';
import { visitorStub } from './stubs';

export const collectRoutes = new Hono<{ Bindings: Env }>();

collectRoutes.use('/v1/collect', publicCors, ipRateLimit);

collectRoutes.post('/v1/collect', async (c) => {
  const body = await readJsonText(c, LIMITS.maxBodyBytes);
  // The SDK's usual beacons take the hand-written path; anything else (and every error message) is BatchSchema's.
  const fast = parseBatchFast(body.value);
  const batch = fast ?? parseWith(BatchSchema, body.value, 'invalid_batch', 'invalid batch');
  const site = await requireSite(c.env, batch.site);
  assertOriginAllowed(c.req.header('origin'), batch.site, site.config);
  const receivedAt = Date.now();

  const { honorGpc, honorDnt } = site.config.privacy;
  if ((honorGpc && c.req.header('sec-gpc') === '1') || (honorDnt && c.req.header('dnt') === '1')) {
    // Global Privacy Control / Do Not Track: nothing is stored; the page still gets the anonymous decision.
    return c.json(untracked(batch, site, receivedAt, {}));
  }
  const request = { origin: c.req.header('origin'), userAgent: c.req.header('user-agent') };
  const traffic = classifyTraffic(request, batch.context?.automated, site.config.bots.allowAutomated);
  if (traffic === 'crawler' || traffic === 'automation') {
    const flush = countBot(c.env, batch.site, receivedAt);
    if (flush) c.executionCtx.waitUntil(flush);
    return c.json(untracked(batch, site, receivedAt, { bot: traffic }));
  }

  // As one JSON string: cheaper across the RPC than a structured clone of every event object. A batch
  // the fast path handed back unchanged is its body's text already (no second serialization).
  const batchJson = fast === body.value ? body.text : JSON.stringify(batch);
  const result = await visitorStub(c.env, batch.site, batch.anonymousId).ingest(batchJson, site.version, {
    receivedAt,
    adminBaseUrl: originOf(c.req.url),
  });
  if ('retryAfterMs' in result) {
    const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    throw new ApiError(429, 'rate_limited', `this visitor sends too many beacons; retry in ${seconds} s`, undefined, { 'retry-after': String(seconds) });
  }
  // The object sends the answer serialized (a CollectResponse): one string across the RPC, used as the body.
  return new Response(result.response, { headers: corsJsonHeaders(request.origin) });
});

/** "https://host:port" of an absolute request URL, without parsing all of it. */
function originOf(url: string): string {
  const end = url.indexOf('/', url.indexOf('//') + 2);
  return end === -1 ? url : url.slice(0, end);
}

/** The answer for a beacon that is not recorded: the anonymous decision, so the page still renders. */
function untracked(batch: Batch, site: LoadedConfig, now: number, extra: { bot?: string }) {
  const anon = newVisitorState(batch.site, batch.anonymousId, now);
  const decision = decide({ anonymousId: batch.anonymousId, stage: 'anonymous', score: 0, aggregates: anon.aggregates }, site.config, now);
  return { ...decision, accepted: 0, duplicates: 0, tracked: false, ...extra } satisfies CollectResponse & { bot?: string };
}

export async function requireSite(env: Env, site: string) {
  const loaded = await loadSiteConfig(env, site);
  if (!loaded) throw new ApiError(404, 'unknown_site', `no site with key "${site}"`);
  return loaded;
}

