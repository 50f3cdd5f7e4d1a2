/**
 * Who may call what: the one table of every authenticated route and the key roles allowed on it.
 * The admin middleware enforces it, the OpenAPI document states it (`x-roles`), and the test
 * matrix (test/worker/access.test.ts) is generated from it. A route a later issue adds declares
 * its roles here, or the middleware refuses it.
 */

/** Per-site key roles (README "Keys and roles"). */
export const ROLES = ['owner', 'marketer', 'sales', 'server'] as const;
export type Role = (typeof ROLES)[number];
/** `admin` is the instance owner's ADMIN_TOKEN: every route, on every site. */
export type PrincipalRole = Role | 'admin';

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';
export type RouteAccess = {
  method: Method;
  /** A hono-style path: `:name` is one segment. */
  path: string;
  /** Per-site roles allowed besides the instance owner; empty: the instance owner only. */
  roles: readonly Role[];
  /** Changes something: recorded in the site's audit log. */
  audited?: boolean;
};

const SITE = '/v1/admin/sites/:site';
const VISITOR = `${SITE}/visitors/:aid`;

export const ROUTE_ACCESS: readonly RouteAccess[] = [
  // The instance: sites themselves.
  { method: 'GET', path: '/v1/admin/sites', roles: [] },
  { method: 'DELETE', path: SITE, roles: [] },
  // Config (creating a site needs the instance owner; changing its webhooks needs `owner`: checked in the route).
  { method: 'GET', path: SITE, roles: ['owner', 'marketer'] },
  { method: 'PUT', path: SITE, roles: ['owner', 'marketer'], audited: true },
  { method: 'GET', path: `${SITE}/config/versions`, roles: ['owner', 'marketer'] },
  { method: 'POST', path: `${SITE}/config/versions/:version/restore`, roles: ['owner', 'marketer'], audited: true },
  /** What a save would do to existing leads (nothing is saved), and the re-staging pass a save started. */
  { method: 'POST', path: `${SITE}/config/preview`, roles: ['owner', 'marketer'] },
  { method: 'GET', path: `${SITE}/restage`, roles: ['owner', 'marketer'] },
  // Keys and the audit log.
  { method: 'GET', path: `${SITE}/keys`, roles: ['owner'] },
  { method: 'POST', path: `${SITE}/keys`, roles: ['owner'], audited: true },
  { method: 'DELETE', path: `${SITE}/keys/:id`, roles: ['owner'], audited: true },
  { method: 'GET', path: `${SITE}/audit`, roles: ['owner', 'marketer'] },
  /** Who the caller is on this site and which routes its role may use (the views show only those). */
  { method: 'GET', path: `${SITE}/me`, roles: ['owner', 'marketer', 'sales'] },
  // Leads, profiles, funnel.
  { method: 'GET', path: `${SITE}/visitors`, roles: ['owner', 'marketer', 'sales'] },
  { method: 'GET', path: VISITOR, roles: ['owner', 'marketer', 'sales'] },
  { method: 'DELETE', path: VISITOR, roles: ['owner'], audited: true },
  { method: 'GET', path: `${VISITOR}/export`, roles: ['owner', 'marketer'], audited: true },
  { method: 'GET', path: `${VISITOR}/deliveries`, roles: ['owner', 'marketer', 'sales'] },
  { method: 'POST', path: `${VISITOR}/deliveries/:id/redeliver`, roles: ['owner', 'marketer'], audited: true },
  { method: 'GET', path: `${SITE}/funnel`, roles: ['owner', 'marketer'] },
  // People: one lead across browsers.
  { method: 'GET', path: `${SITE}/people`, roles: ['owner', 'marketer', 'sales'] },
  { method: 'GET', path: `${SITE}/people/:id`, roles: ['owner', 'marketer', 'sales'] },
  { method: 'GET', path: `${SITE}/people/:id/export`, roles: ['owner', 'marketer'], audited: true },
  { method: 'DELETE', path: `${SITE}/people`, roles: ['owner'], audited: true },
  { method: 'DELETE', path: `${SITE}/people/:id`, roles: ['owner'], audited: true },
  { method: 'POST', path: `${SITE}/people/:id/split`, roles: ['owner', 'marketer'], audited: true },
  { method: 'POST', path: `${SITE}/link-tokens`, roles: ['owner', 'marketer'], audited: true },
  // Sales' verdicts and outcomes.
  { method: 'POST', path: `${VISITOR}/verdict`, roles: ['owner', 'sales'], audited: true },
  { method: 'POST', path: `${VISITOR}/outcome`, roles: ['owner', 'sales'], audited: true },
  // Calibration and history.
  { method: 'GET', path: `${SITE}/training`, roles: ['owner', 'marketer'] },
  { method: 'POST', path: `${SITE}/training/import`, roles: ['owner', 'marketer'], audited: true },
  { method: 'DELETE', path: `${SITE}/training`, roles: ['owner', 'marketer'], audited: true },
  { method: 'POST', path: `${SITE}/calibrate`, roles: ['owner', 'marketer'] },
];

/**
 * Beacons are not admin routes, but who may send them without a browser `Origin` is part of the
 * same table: the site's own servers (a `server` key) and its owner.
 */
export const SERVER_SIDE_ACCESS: readonly RouteAccess[] = [
  { method: 'POST', path: '/v1/collect', roles: ['server', 'owner'] },
  { method: 'GET', path: '/v1/decide', roles: ['server', 'owner'] },
];

export type RouteMatch = { access: RouteAccess; params: Record<string, string> };

/**
 * The table entry for a request, with its path parameters (raw, not decoded); null when no
 * authenticated route has this method and path.
 * @example matchRoute(ROUTE_ACCESS, 'GET', '/v1/admin/sites/demo/keys')?.params // { site: 'demo' }
 */
export function matchRoute(table: readonly RouteAccess[], method: string, path: string): RouteMatch | null {
  const segments = path.replace(/\/+$/, '').split('/');
  for (const access of table) {
    if (access.method !== method) continue;
    const pattern = access.path.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      const p = pattern[i]!;
      const s = segments[i]!;
      if (p.startsWith(':')) {
        if (s === '') ok = false;
        else params[p.slice(1)] = s;
      } else ok = p === s;
    }
    if (ok) return { access, params };
  }
  return null;
}

/** May this role use this route? The instance owner may use every route. */
export function allows(access: RouteAccess, role: PrincipalRole): boolean {
  return role === 'admin' || (access.roles as readonly string[]).includes(role);
}

/** Says who may use a route, for a 403 message and the OpenAPI document. */
export function rolesText(access: RouteAccess): string {
  return access.roles.length === 0 ? 'the instance owner (ADMIN_TOKEN)' : `a key with role ${access.roles.map((r) => `"${r}"`).join(' or ')}`;
}
