/** Bindings and variables the Worker runs with (see wrangler.toml and .dev.vars). */
import type { PrincipalRole, RouteAccess } from './access/roles';
import type { AuditDetail } from './objects/audit-store';
import type { DirectoryObject } from './objects/directory-object';
import type { InstanceObject } from './objects/instance-object';
import type { SiteObject } from './objects/site-object';
import type { VisitorObject } from './objects/visitor-object';

export type Env = {
  VISITOR: DurableObjectNamespace<VisitorObject>;
  SITE: DurableObjectNamespace<SiteObject>;
  /** One object for the instance: which sites exist. */
  INSTANCE: DurableObjectNamespace<InstanceObject>;
  /** Every visitor of a site, sharded: first-visit counts and site deletion. */
  DIRECTORY: DurableObjectNamespace<DirectoryObject>;
  ASSETS?: Fetcher;
  /** Workers Rate Limiting binding: beacons per client IP (wrangler.toml [[ratelimits]]). */
  IP_LIMITER?: RateLimit;
  /** Failed authentications per client IP (wrangler.toml [[ratelimits]]). */
  AUTH_LIMITER?: RateLimit;
  /** New visitors per client IP, browser beacons only (wrangler.toml [[ratelimits]]). */
  NEW_VISITOR_LIMITER?: RateLimit;
  /** Beacons carrying a demo request per client IP, browser beacons only (wrangler.toml [[ratelimits]]). */
  DEMO_LIMITER?: RateLimit;
  /** Turnstile's siteverify endpoint; tests point it at a local stand-in (default: Cloudflare's). */
  TURNSTILE_VERIFY_URL?: string;
  /** The instance owner's token for /v1/admin/*: a wrangler secret of 32+ characters in production. */
  ADMIN_TOKEN?: string;
  /** "1" in local development only (.dev.vars): allows the documented dev token and keys, and http webhooks to localhost. */
  LEADEDGE_DEV?: string;
};

export const isDev = (env: Env) => env.LEADEDGE_DEV === '1';

/** Who is calling an admin route: the instance owner (`admin`) or a site's key. */
export type Principal = { role: PrincipalRole; keyId: string; repId: string | null };

/** What a route that changed something tells the audit log (admin-auth records it once the route succeeded). */
export type AuditNote = { action: string; target?: string | null; detail?: AuditDetail };

/** The hono environment of every route: bindings, and what the admin middleware found. */
export type AppEnv = { Bindings: Env; Variables: { principal: Principal; access: RouteAccess; audit: AuditNote } };
