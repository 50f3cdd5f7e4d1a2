// The admin API client: bearer token and site key (kept in localStorage), one error shape.

const TOKEN_KEY = 'leadedge.admin.token';
const SITE_KEY = 'leadedge.admin.site';
const LOCAL = /^(localhost|127\.0\.0\.1|\[::1\])$/.test(location.hostname);

/** The local-dev token is documented and harmless; anywhere else the marketer types theirs. */
export const DEV_TOKEN = LOCAL ? 'leadedge-local-dev-admin-token-0000' : '';

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
}

/** The site key: `?site=` in the page URL wins (links from alerts), then the last one used, then "demo". */
const siteParam = new URLSearchParams(location.search).get('site');
if (siteParam) store(SITE_KEY, siteParam);
let site = siteParam || stored(SITE_KEY) || 'demo';
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

/** Listeners for "the token is missing or refused" (the app asks for it again). */
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
    throw new ApiError(401, { error: { code: 'no_token', message: 'Enter the admin token to continue.' } });
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
  if (res.status === 401) authListeners.forEach((cb) => cb());
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}
