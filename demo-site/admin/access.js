// What the signed-in credential may do on a site. The server lists the routes it may use
// (GET …/me, from the one route table in worker/access/roles.ts); pages, tabs and buttons are shown
// from that list, so no role table is kept in the views.
import { api, ApiError, getToken, keySite } from './api.js';

const SITE_PATH = '/v1/admin/sites/:site';

/**
 * The API routes each page reads (relative to the site: '' is the site's config). A page shows in
 * the navigation, and opens, only when every one of them is in the credential's routes.
 */
export const PAGES = {
  leads: { label: 'Leads', needs: [['GET', '/visitors']] },
  visitor: { label: 'the lead page', needs: [['GET', '/visitors/:aid']] },
  funnel: { label: 'Funnel', needs: [['GET', '/funnel']] },
  config: { label: 'Rules & CTAs', needs: [['GET', '']] },
  calibration: { label: 'Calibration', needs: [['GET', '/training'], ['POST', '/calibrate']] },
  keys: { label: 'Keys', needs: [['GET', '/keys']] },
  audit: { label: 'Audit log', needs: [['GET', '/audit']] },
  inbox: { label: 'Sales inbox', needs: [['GET', '/visitors']] },
};

/** May `me` call `method` on `path` (relative to the site, hono-style: '/visitors/:aid/verdict')? */
export const may = (me, method, path) => Boolean(me?.routes?.some((r) => r.method === method && r.path === SITE_PATH + path));

/** The routes a page needs that `me` may not use, as "GET /v1/admin/sites/:site/funnel". */
export const missingFor = (me, page) => page.needs.filter(([m, p]) => !may(me, m, p)).map(([m, p]) => `${m} ${SITE_PATH}${p}`);

export const mayOpen = (me, page) => Boolean(page) && missingFor(me, page).length === 0;

/** The role as people say it: "sales", "owner", or "instance owner" for ADMIN_TOKEN. */
export const roleName = (me) => (me?.role === 'admin' ? 'instance owner' : (me?.role ?? 'unknown'));

const cache = new Map();
export const forgetAccess = () => cache.clear();

/**
 * Who the signed-in credential is on `site`: `{ site, role, keyId, repId?, routes }`, cached per
 * credential and site. Rejects with the API's error (401 refused, 403 another site's key, 503).
 * The instance token on a site that does not exist yet gets `{ missing: true }` with the one thing
 * it can do there: save a first config (PUT …/sites/:site creates the site).
 */
export function whoAmI(site) {
  const id = `${getToken()}|${site}`;
  if (!cache.has(id)) {
    const loading = api('/me', { site }).catch((err) => {
      // The credential passed authentication (a refused one gets 401 first) and is not a key: the instance token.
      if (!(err instanceof ApiError && err.code === 'unknown_site') || keySite(getToken())) throw err;
      return { site, role: 'admin', keyId: 'admin', missing: true, routes: [{ method: 'GET', path: SITE_PATH }, { method: 'PUT', path: SITE_PATH }] };
    });
    cache.set(id, loading);
    // A refusal is not kept: the next render asks again (after a sign-in, or once the site exists).
    loading.catch(() => cache.get(id) === loading && cache.delete(id));
  }
  return cache.get(id);
}

/** The instance's sites (GET /v1/admin/sites: the instance token only); [] for a key or on any error. */
export async function instanceSites() {
  if (!getToken() || keySite(getToken())) return [];
  try {
    const res = await fetch('/v1/admin/sites', { headers: { authorization: `Bearer ${getToken()}` } });
    return res.ok ? (await res.json()).sites.map((s) => s.site) : [];
  } catch {
    return [];
  }
}
