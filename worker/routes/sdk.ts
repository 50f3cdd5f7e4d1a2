/** GET /sdk.js: the built browser SDK, with a content-hash ETag so browsers revalidate cheaply. */
import { Hono } from 'hono';
import type { Env } from '../env';
import { SDK_ETAG, SDK_SOURCE } from '../generated/sdk-bundle';

export const sdkRoutes = new Hono<{ Bindings: Env }>();

sdkRoutes.get('/sdk.js', (c) => {
  const headers = {
    'content-type': 'application/javascript; charset=utf-8',
    etag: SDK_ETAG,
    // Short max-age keeps upgrades quick; the ETag makes each revalidation a 304.
    'cache-control': 'public, max-age=300, stale-while-revalidate=86400',
    'access-control-allow-origin': '*',
    'x-content-type-options': 'nosniff',
  };
  if (c.req.header('if-none-match') === SDK_ETAG) return new Response(null, { status: 304, headers });
  return new Response(SDK_SOURCE, { headers });
});
