/**
 * Per-IP limit on the browser-facing routes, with the Workers Rate Limiting binding: counters
 * live at the Cloudflare location, so a flood costs no Durable Object request and does not slow
 * anyone else's visitor objects. Cloudflare sets CF-Connecting-IP (clients cannot forge it); local
 * development has none, so nothing is limited there by IP. The IP is used as a key only, never stored.
 */
import type { MiddlewareHandler } from 'hono';
import type { Env } from '../env';
import { ApiError } from '../errors';

/** Must match the binding's period in wrangler.toml. */
export const IP_LIMIT_PERIOD_SECONDS = 60;

export const ipRateLimit: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  if (c.req.method !== 'OPTIONS') await assertIpAllowed(c.req.raw, c.env);
  await next();
};

/** Throws a 429 when the caller's address has used its budget (the middleware's check, for a route that runs without hono). */
export async function assertIpAllowed(request: Request, env: Env) {
  const ip = request.headers.get('cf-connecting-ip');
  if (!ip || !env.IP_LIMITER) return;
  const { success } = await env.IP_LIMITER.limit({ key: ip });
  if (!success) {
    throw new ApiError(429, 'rate_limited', `too many requests from this address; retry in ${IP_LIMIT_PERIOD_SECONDS} s`, undefined, {
      'retry-after': String(IP_LIMIT_PERIOD_SECONDS),
    });
  }
}
