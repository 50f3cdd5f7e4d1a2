// The admin API client: the credential (a site's key or the instance token) and the site (kept in
// localStorage), one error shape. A key names its site (`le_<site>_<64 hex>`): with a key, the site
// comes from the key.

const TOKEN_KEY = 'leadedge.admin.token';
const SITE_KEY = 'leadedge.admin.site';
const LOCAL = /^(localhost|127\.0\.0\.1|\[::1\])$/.test(location.hostname);

/** The local-dev token is documented and harmless; anywhere else the marketer types theirs. */
export const DEV_TOKEN = LOCAL ? 'leadedge-local-dev-admin-token-0000' : '';
/** The demo site's documented local-dev keys (worker/config/dev-keys.ts, printed by `npm start`): one click on localhost. */
export const DEV_KEYS = LOCAL
  ? [
      { role: 'owner', key: 'le_demo_0000000000000000000000000000000000000000000000000000000000000001' },
      { role: 'marketer', key: 'le_demo_0000000000000000000000000000000000000000000000000000000000000002' },
      { role: 'sales', key: 'le_demo_0000000000000000000000000000000000000000000000000000000000000003' },
    ]
  : [];

/**
 * The site a key was made for, or null for anything else (the instance token). Same pattern as the Worker's.
 * @example keySite('le_demo_' + '0'.repeat(64)) // 'demo'
 */
export function keySite(credential) {
  return /^le_([a-z0-9][a-z0-9_-]{0,62})_[0-9a-f]{64}$/.exec(credential ?? '')?.[1] ?? null;
}

function stored(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
function store(key, value) {
  try {
    if (value) localStorage.setItem(key, value);
    else localStorage.removeItem(key);
  } catch {
    /* private mode: the value lives for this page only */
  }
}

let token = stored(TOKEN_KEY);
export const getToken = () => token;
export function setToken(value) {
  token = value.trim() || null;
  store(TOKEN_KEY, token);
  if (keySite(token)) setSite(keySite(token));
}

/**
 * The site: `?site=` in the page URL wins (links from alerts; a key for another site is then told
 * so by the API), then the signed-in key's site, then the last one used, then "demo".
 */
const siteParam = new URLSearchParams(location.search).get('site');
if (siteParam) store(SITE_KEY, siteParam);
let site = siteParam || keySite(token) || stored(SITE_KEY) || 'demo';
export const getSite = () => site;
export function setSite(value) {
  site = value.trim() || 'demo';
  store(SITE_KEY, site);
}

/** An error answer of the API: `{ error: { code, message, issues? } }`, with the HTTP status. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? `http_${status}`;
    this.issues = Array.isArray(body?.error?.issues) ? body.error.issues : [];
  }
}

/** Listeners for "the credential is missing or refused" (the page asks to sign in again), called with the API's reason. */
const authListeners = new Set();
export const onAuthNeeded = (cb) => authListeners.add(cb);

/**
 * Calls the admin API of the current site: `api('/visitors?stage=mql')` is
 * GET /v1/admin/sites/<site>/visitors?stage=mql. Throws ApiError on a non-2xx answer.
 * `ifMatch: 7` sends `If-Match: "7"`: the save is refused (409 version_conflict) unless version 7 is still current.
 */
export async function api(path, { method = 'GET', body, site: siteKey = site, ifMatch } = {}) {
  if (!token) {
    authListeners.forEach((cb) => cb());
    throw new ApiError(401, { error: { code: 'no_token', message: 'Sign in with a key or the instance token to continue.' } });
  }
  const res = await fetch(`/v1/admin/sites/${encodeURIComponent(siteKey)}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(ifMatch === undefined ? {} : { 'if-match': `"${ifMatch}"` }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the status */
  }
  if (res.status === 401) authListeners.forEach((cb) => cb(json?.error?.message ?? 'the key or token was refused'));
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}
