/**
 * POST /v1/collect: a batch of events in, the visitor's stage and CTA decision out. It is the
 * one hot route, so the Worker's entry calls `handleCollect` without hono's router and middleware
 * (the same CORS and per-IP checks run here); hono answers its preflight.
 */
import { Hono } from 'hono';
import { countBot } from '../abuse/bot-counter';
import { classifyTraffic } from '../abuse/bots';
import { assertIpAllowed } from '../abuse/ip-limit';
import { bearer } from '../access/keys';
import { assertServerKey, serverKeyRequired } from '../access/server-keys';
import { assertNotLockedOut } from '../abuse/auth-limit';
import { loadSiteConfig, type LoadedConfig } from '../config/config-cache';
import { decide } from '../decisions/decide';
import type { Env } from '../env';
import { ApiError, errorResponseWith } from '../errors';
import { batchRoute, parseBatchText, routeOf } from '../http/batch-body';
import { readBodyText } from '../http/read-json';
import { assertOriginAllowed, corsJsonHeaders, publicCors } from '../middleware/public-cors';
import { LIMITS } from '../schema/limits';
import type { CollectResponse } from '../schema/responses';
import { newVisitorState } from '../visitor/apply-batch';
import { visitorStub } from './stubs';
import type { BeaconMeta, IngestResult } from '../objects/visitor-object';

export const COLLECT_PATH = '/v1/collect';
/** Set on answers given with a config served from memory while the site object is unreachable. */
export const STALE_HEADER = 'x-leadedge-config';

export const collectRoutes = new Hono<{ Bindings: Env }>();

collectRoutes.use(COLLECT_PATH, publicCors);
collectRoutes.post(COLLECT_PATH, (c) => handleCollect(c.req.raw, c.env, c.executionCtx, c.req.url));

/** The beacon route, errors included (the JSON error shape, with CORS headers so the SDK can read them). */
export async function handleCollect(request: Request, env: Env, ctx: ExecutionContext, url: string): Promise<Response> {
  const origin = request.headers.get('origin') ?? undefined;
  try {
    // No Origin: a server-side integration, which must prove it is the site's (a server key). Its
    // address is not limited like a browser's: one backend sends for many visitors.
    const serverKey = origin === undefined ? bearer(request.headers.get('authorization')) : null;
    if (serverKey === '') throw serverKeyRequired('requests without an Origin header are server-side: send Authorization: Bearer <server key>');
    if (serverKey === null) await assertIpAllowed(request, env);
    else assertNotLockedOut(request.headers.get('cf-connecting-ip'), Date.now());
    return await collect(request, env, ctx, origin, url, serverKey);
  } catch (e) {
    return errorResponseWith(e, corsJsonHeaders(origin));
  }
}

async function collect(request: Request, env: Env, ctx: ExecutionContext, origin: string | undefined, url: string, serverKey: string | null): Promise<Response> {
  const text = await readBodyText(request, LIMITS.maxBodyBytes);
  // A body the SDK wrote is routed on its first bytes and parsed only by the visitor object; any other is parsed here first.
  const routed = routeOf(text);
  const route = routed ?? batchRoute(parseBatchText(text));
  // Answers given without the object still refuse an invalid batch; a body parsed above is valid already.
  const validate = () => routed && parseBatchText(text);
  const site = await requireSite(env, route.site);
  if (serverKey !== null) await assertServerKey(env, route.site, site, serverKey, request.headers.get('cf-connecting-ip'));
  else assertOriginAllowed(origin, route.site, site.config);
  const receivedAt = Date.now();
  const answerHeaders = site.stale ? { ...corsJsonHeaders(origin), [STALE_HEADER]: 'stale' } : corsJsonHeaders(origin);
  const answer = (body: CollectResponse & { bot?: string }) => new Response(JSON.stringify(body), { headers: answerHeaders });

  const { honorGpc, honorDnt } = site.config.privacy;
  const headers = request.headers;
  if ((honorGpc && headers.get('sec-gpc') === '1') || (honorDnt && headers.get('dnt') === '1')) {
    // Global Privacy Control / Do Not Track: nothing is stored; the page still gets the anonymous decision (for a valid batch).
    validate();
    return answer(untracked(route.site, route.anonymousId, site, receivedAt, {}));
  }
  const traffic = { origin, userAgent: headers.get('user-agent') ?? undefined };
  // The user agent is judged here; a batch flagged `context.automated` is judged by the object, which parses it.
  const kind = classifyTraffic(traffic, false, site.config.bots.allowAutomated);
  if (kind === 'crawler' || kind === 'automation') {
    validate();
    return answer(notRecorded(env, ctx, route.site, route.anonymousId, site, receivedAt, kind));
  }

  const clientIp = serverKey === null ? headers.get('cf-connecting-ip') : null;
  const meta: BeaconMeta = { receivedAt, adminBaseUrl: originOf(url), ...route, traffic, clientIp, server: serverKey !== null };
  // A linked browser's beacon goes straight to its person (one hop); a person that does not hold this browser sends it back here.
  let result: IngestResult | null = null;
  if (route.person) {
    const person = visitorStub(env, route.site, route.person);
    result = await person.ingest(text, site.version, { ...meta, asPerson: route.person });
    if (typeof result === 'object' && 'configUnavailable' in result) result = await person.ingest(text, site.version, { ...meta, asPerson: route.person }, site.document);
    if (typeof result === 'object' && 'notLinked' in result) result = null;
  }
  if (result === null) {
    const stub = visitorStub(env, route.site, route.anonymousId);
    result = await stub.ingest(text, site.version, meta);
    // The object could not read the config itself (the site object is unreachable): hand it this isolate's copy.
    if (typeof result === 'object' && 'configUnavailable' in result) result = await stub.ingest(text, site.version, meta, site.document);
  }
  // The object sends the answer serialized (a CollectResponse): one string across the RPC, used as the body.
  if (typeof result === 'string') return new Response(result, { headers: answerHeaders });
  if ('notLinked' in result) throw new ApiError(409, 'not_linked', 'this browser is not part of that person; send the beacon without "person"');
  if ('configUnavailable' in result) throw new ApiError(503, 'site_unavailable', 'the site config cannot be read right now; retry shortly', undefined, { 'retry-after': '5' });
  if ('error' in result) throw new ApiError(result.error.status, result.error.code, result.error.message, result.error.issues);
  if ('bot' in result) return answer(notRecorded(env, ctx, route.site, route.anonymousId, site, receivedAt, result.bot));
  if ('refused' in result) {
    throw new ApiError(result.refused.status, result.refused.code, result.refused.message, undefined, result.refused.status === 503 ? { 'retry-after': '5' } : undefined);
  }
  const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
  const what = result.limit === 'new_visitors' ? 'too many new visitors from this address' : result.limit === 'demo_requests' ? 'too many demo requests from this address' : 'this visitor sends too many beacons';
  throw new ApiError(429, 'rate_limited', `${what}; retry in ${seconds} s`, undefined, { 'retry-after': String(seconds) });
}

/** "https://host:port" of an absolute request URL, without parsing all of it. */
function originOf(url: string): string {
  const end = url.indexOf('/', url.indexOf('//') + 2);
  return end === -1 ? url : url.slice(0, end);
}

/** Whether an absolute request URL's path is `path` (any query), without parsing all of it. */
export function hasPath(url: string, path: string): boolean {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1 || !url.startsWith(path, start)) return false;
  const next = url[start + path.length];
  return next === undefined || next === '?' || next === '#';
}

/** A bot's beacon: counted for the funnel, not recorded. */
function notRecorded(env: Env, ctx: ExecutionContext, siteKey: string, anonymousId: string, site: LoadedConfig, now: number, bot: string) {
  const flush = countBot(env, siteKey, now);
  if (flush) ctx.waitUntil(flush);
  return untracked(siteKey, anonymousId, site, now, { bot });
}

/** The answer for a beacon that is not recorded: the anonymous decision, so the page still renders. */
function untracked(siteKey: string, anonymousId: string, site: LoadedConfig, now: number, extra: { bot?: string }) {
  const anon = newVisitorState(siteKey, anonymousId, now);
  const decision = decide({ anonymousId, stage: 'anonymous', score: 0, aggregates: anon.aggregates }, site.config, now);
  return { ...decision, accepted: 0, duplicates: 0, tracked: false, ...extra } satisfies CollectResponse & { bot?: string };
}

export async function requireSite(env: Env, site: string) {
  const loaded = await loadSiteConfig(env, site);
  if (!loaded) throw new ApiError(404, 'unknown_site', `no site with key "${site}"`);
  return loaded;
}
