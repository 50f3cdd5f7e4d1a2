/**
 * What one browser client may do, per client address and Cloudflare location (Workers Rate
 * Limiting bindings, wrangler.toml): create new visitors, and send demo requests. Counted where
 * the beacon already is (no extra Durable Object hop); the address is a key only, never stored.
 * Server-side beacons (a server key) are not limited by address: one backend sends for many.
 */
import type { Env } from '../env';

/** Must match both bindings' period in wrangler.toml. */
export const CLIENT_LIMIT_PERIOD_SECONDS = 60;

export type ClientLimit = 'new_visitors' | 'demo_requests';

/** The first limit this beacon passes, or null. `ip` is null for server-side beacons. */
export async function clientLimitReached(env: Env, ip: string | null, opts: { newVisitor: boolean; demoRequest: boolean }): Promise<ClientLimit | null> {
  if (!ip) return null;
  if (opts.newVisitor && env.NEW_VISITOR_LIMITER && !(await env.NEW_VISITOR_LIMITER.limit({ key: ip })).success) return 'new_visitors';
  if (opts.demoRequest && env.DEMO_LIMITER && !(await env.DEMO_LIMITER.limit({ key: ip })).success) return 'demo_requests';
  return null;
}
