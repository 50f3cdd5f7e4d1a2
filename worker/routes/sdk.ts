/**
 * GET /sdk.js: the built browser SDK, with a content-hash ETag so browsers revalidate cheaply.
 * GET /sdk.debug.js: the same SDK with its debug logging kept (`data-debug` explains what it does).
 */
import { Hono } from 'hono';
import type { Env } from '../env';
import { SDK_DEBUG_ETAG, SDK_DEBUG_SOURCE, SDK_ETAG, SDK_SOURCE } from '../generated/sdk-bundle';

export const sdkRoutes = new Hono<{ Bindings: Env }>();

for (const [path, source, etag] of [
  ['/sdk.js', SDK_SOURCE, SDK_ETAG],
  ['/sdk.debug.js', SDK_DEBUG_SOURCE, SDK_DEBUG_ETAG],
] as const) {
  sdkRoutes.get(path, (c) => serve(c.req.header('if-none-match'), source, etag));
}

function serve(ifNoneMatch: string | undefined, source: string, etag: string): Response {
  const headers = {
    'content-type': 'application/javascript; charset=utf-8',
    etag,
    // Short max-age keeps upgrades quick; the ETag makes each revalidation a 304.
    'cache-control': 'public, max-age=300, stale-while-revalidate=86400',
    'access-control-allow-origin': '*',
    'x-content-type-options': 'nosniff',
  };
  if (ifNoneMatch === etag) return new Response(null, { status: 304, headers });
  return new Response(source, { headers });
}
