/** Bindings and variables the Worker runs with (see wrangler.toml and .dev.vars). */
import type { SiteObject } from './objects/site-object';
import type { VisitorObject } from './objects/visitor-object';

export type Env = {
  VISITOR: DurableObjectNamespace<VisitorObject>;
  SITE: DurableObjectNamespace<SiteObject>;
  ASSETS?: Fetcher;
  /** Workers Rate Limiting binding: beacons per client IP (wrangler.toml [[ratelimits]]). */
  IP_LIMITER?: RateLimit;
  /** Bearer token for /v1/admin/*; a wrangler secret in production. */
  ADMIN_TOKEN?: string;
  /** "1" in local development only (.dev.vars): allows the documented dev token and http webhooks to localhost. */
  LEADEDGE_DEV?: string;
};

export const isDev = (env: Env) => env.LEADEDGE_DEV === '1';
