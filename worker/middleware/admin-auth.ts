/**
 * Admin routes: who is calling (the instance owner's ADMIN_TOKEN, or a site's key), whether that
 * role may use this route (worker/access/roles.ts, the one table), and the audit log entry of a
 * change once the route succeeded. Keys are checked against the site object on every request,
 * never from a cache: a revoked key stops working at once, and when the site object cannot be
 * reached admin requests fail closed (503).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { keyHash, keySite, bearer } from '../access/keys';
import { allows, matchRoute, ROUTE_ACCESS, rolesText } from '../access/roles';
import { siteStub } from '../config/config-cache';
import { DEV_ADMIN_TOKEN } from '../config/dev-keys';
import { isDev, type AppEnv, type Env, type Principal } from '../env';
import { ApiError } from '../errors';
import { assertNotLockedOut, noteFailedAuth } from '../abuse/auth-limit';

/** ADMIN_TOKEN shorter than this turns the admin API off (README "Deploy"). */
export const MIN_ADMIN_TOKEN_LENGTH = 32;
const encoder = new TextEncoder();

/** Why the admin API is off, or null when ADMIN_TOKEN is usable. */
export function adminTokenProblem(env: Env): string | null {
  const token = env.ADMIN_TOKEN;
  if (!token) return 'set ADMIN_TOKEN with `wrangler secret put ADMIN_TOKEN` (32 or more random characters)';
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) return `ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters; set a longer one with \`wrangler secret put ADMIN_TOKEN\``;
  if (token === DEV_ADMIN_TOKEN && !isDev(env)) return 'the documented local-dev ADMIN_TOKEN is refused in production: set your own with `wrangler secret put ADMIN_TOKEN`';
  return null;
}

export const adminAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const problem = adminTokenProblem(c.env);
  if (problem) throw new ApiError(503, 'admin_disabled', `admin routes are off: ${problem}`);
  const ip = c.req.header('cf-connecting-ip') ?? null;
  assertNotLockedOut(ip, Date.now());
  const given = bearer(c.req.header('authorization'));
  if (!given) throw unauthorized('send Authorization: Bearer <ADMIN_TOKEN or a site key>');

  const principal = await authenticate(c.env, given);
  if (!principal) {
    await noteFailedAuth(c.env, ip, Date.now());
    throw unauthorized('the token or key is wrong, or the key was revoked');
  }
  const match = matchRoute(ROUTE_ACCESS, c.req.method, new URL(c.req.url).pathname);
  // Every admin route is in the table: one that is not is refused, never served unchecked.
  if (!match) throw new ApiError(404, 'not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`);
  const site = match.params.site ?? null;
  if (principal.role !== 'admin') {
    const own = principal.site;
    if (site === null) throw new ApiError(403, 'forbidden', `this route needs ${rolesText(match.access)}; a site key cannot use it`);
    if (own !== site) throw new ApiError(403, 'forbidden', `this key belongs to site "${own}", not "${site}"`);
    if (!allows(match.access, principal.role)) {
      throw new ApiError(403, 'forbidden', `the "${principal.role}" role may not ${c.req.method} this route: it needs ${rolesText(match.access)}`);
    }
  }
  c.set('principal', { role: principal.role, keyId: principal.keyId, repId: principal.repId });
  c.set('access', match.access);
  await next();
  if (match.access.audited && site && c.res.status < 300) await recordAudit(c, site, principal);
};

type Authenticated = Principal & { site: string | null };

async function authenticate(env: Env, given: string): Promise<Authenticated | null> {
  if (await equalInConstantTime(given, env.ADMIN_TOKEN!)) return { role: 'admin', keyId: 'admin', repId: null, site: null };
  const site = keySite(given);
  if (!site) return null;
  let record;
  try {
    record = await siteStub(env, site).authenticate(await keyHash(given), site);
  } catch (e) {
    console.error('key check failed', e);
    throw new ApiError(503, 'auth_unavailable', 'keys cannot be checked right now (the site is unreachable); retry shortly', undefined, { 'retry-after': '5' });
  }
  return record ? { role: record.role, keyId: record.id, repId: record.repId, site } : null;
}

/** The change a route made, in the site's audit log (what the route noted, or the route and its parameters). */
async function recordAudit(c: Context<AppEnv>, site: string, principal: Principal) {
  const note = c.get('audit');
  const match = c.get('access');
  const entry = {
    at: Date.now(),
    keyId: principal.keyId,
    role: principal.role,
    action: note?.action ?? `${match.method} ${match.path}`,
    target: note?.target ?? null,
    detail: note?.detail ?? {},
  };
  try {
    await siteStub(c.env, site).recordAudit(entry);
  } catch (e) {
    // The change is done; a lost entry is logged rather than reported as a failed change.
    console.error('audit entry not recorded', entry, e);
  }
}

const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Bearer' });

/** Hashing first makes the comparison independent of both lengths. */
export async function equalInConstantTime(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([crypto.subtle.digest('SHA-256', encoder.encode(a)), crypto.subtle.digest('SHA-256', encoder.encode(b))]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}
