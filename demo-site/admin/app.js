// The marketer view: sign-in, site selector and a hash router over the views the credential may open.
//   #/leads?stage=mql&sort=score   #/visitor/<id>   #/funnel?from=&to=   #/config   #/calibration
//   #/keys   #/audit?cursor=
// Which pages show, and open, comes from GET …/me (the routes this key's role may use): a page
// reached by URL that the role cannot use says so instead of failing.
import { ApiError, getSite, getToken, keySite, setSite } from './api.js';
import { instanceSites, may, missingFor, PAGES, roleName, whoAmI } from './access.js';
import { renderAudit } from './audit-view.js';
import { renderCalibration } from './calibration-view.js';
import { renderConfig } from './config-view.js';
import { h } from './dom.js';
import { renderFunnel } from './funnel-view.js';
import { renderKeys } from './keys-view.js';
import { renderLeads } from './leads-view.js';
import { showSession } from './session-bar.js';
import { signInDialog } from './sign-in.js';
import { renderVisitor } from './visitor-view.js';

const view = document.getElementById('view');
const siteInput = document.getElementById('site');

/** The current route: `{ name, arg, params }` from the hash. */
function route() {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const [, name = 'leads', arg = ''] = (path || '/leads').split('/');
  return { name, arg: decodeURIComponent(arg), params: new URLSearchParams(query) };
}

/** Navigates to a hash route; `navigate('leads', { stage: 'mql' })`. */
export function navigate(name, params = {}, arg = '') {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v != null && v !== '')).toString();
  location.hash = `#/${name}${arg ? `/${encodeURIComponent(arg)}` : ''}${q ? `?${q}` : ''}`;
}

const VIEWS = { leads: renderLeads, visitor: renderVisitor, funnel: renderFunnel, config: renderConfig, calibration: renderCalibration, keys: renderKeys, audit: renderAudit };
let renderId = 0;

async function render() {
  const r = route();
  const name = Object.hasOwn(VIEWS, r.name) ? r.name : 'leads';
  const id = ++renderId;
  document.querySelectorAll('.top nav a[data-route]').forEach((a) => {
    if (a.dataset.route === (name === 'visitor' ? 'leads' : name)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  const root = h('div', { class: 'view', 'aria-busy': 'true' });
  view.replaceChildren(root);
  const site = getSite();
  siteInput.value = site;
  // With a key the site comes from the key; the instance token picks any site.
  siteInput.readOnly = Boolean(keySite(getToken()));
  siteInput.title = siteInput.readOnly ? 'The site comes from your key' : 'Any site of this instance';
  try {
    if (!getToken()) return signedOut(root);
    let me;
    try {
      me = await whoAmI(site);
    } catch (err) {
      if (id !== renderId) return;
      session(null);
      return root.replaceChildren(refusedSite(err, site));
    }
    if (id !== renderId) return;
    session(me);
    const page = PAGES[name];
    const missing = missingFor(me, page);
    if (me.missing && name !== 'config') return root.replaceChildren(missingSite(site));
    if (missing.length) return root.replaceChildren(refusedPage(me, page, missing));
    await VIEWS[name](root, { site, arg: r.arg, params: r.params, navigate, stale: () => id !== renderId, me, can: (method, path) => may(me, method, path) });
  } catch (err) {
    root.replaceChildren(h('div', { class: 'notice notice-error' }, `Could not load this view: ${err.message}`));
  } finally {
    root.removeAttribute('aria-busy');
  }
}

const signInButton = () => h('button', { class: 'btn', type: 'button', onclick: () => auth.ask() }, 'Sign in');

function signedOut(root) {
  session(null);
  root.replaceChildren(h('div', { class: 'notice notice-info', id: 'signed-out' }, 'Sign in with your key (or the instance token) to open the marketer view. ', signInButton()));
}

/** A page this role may not open: say so, and which route it lacks (never a broken page). */
function refusedPage(me, page, missing) {
  const home = ['leads', 'inbox'].find((p) => missingFor(me, PAGES[p]).length === 0);
  return h(
    'div',
    { class: 'notice notice-error', id: 'refused', dataset: { role: me.role } },
    h('b', {}, `Your key's role (${roleName(me)}) cannot open this page.`),
    ` ${page.label[0].toUpperCase()}${page.label.slice(1)} needs ${missing.join(' and ')}, which this role may not use. Ask the site's owner for a key with a role that may. `,
    home === 'leads' ? h('a', { href: '#/leads' }, 'Back to Leads') : home === 'inbox' ? h('a', { href: '/admin/inbox/' }, 'Open the sales inbox') : null,
  );
}

/** /me refused: another site's key (403), a refused credential (401: the sign-in is open), or the API is off (503). */
function refusedSite(err, site) {
  const own = keySite(getToken());
  if (err instanceof ApiError && err.status === 403) {
    return h(
      'div',
      { class: 'notice notice-error', id: 'refused' },
      h('b', {}, `Your key cannot open site "${site}".`),
      ` The API says: ${err.message}. `,
      own && own !== site ? h('a', { href: `/admin/?site=${encodeURIComponent(own)}#/leads` }, `Open site ${own}`) : null,
      ' ',
      signInButton(),
    );
  }
  if (err instanceof ApiError && err.status === 401) return h('div', { class: 'notice notice-info', id: 'signed-out' }, `Signed out: ${err.message}. `, signInButton());
  return h('div', { class: 'notice notice-error' }, `The admin API refused this view: ${err.message}`);
}

function missingSite(site) {
  return h('div', { class: 'notice notice-info' }, `Site "${site}" does not exist yet. Create it by saving its first config on `, h('a', { href: '#/config' }, 'Rules & CTAs'), '.');
}

let sitesListed = false;
function session(me) {
  showSession(me, { signIn: () => auth.ask(), signOut: () => auth.signOut() });
  if (me?.role === 'admin' && !sitesListed) {
    sitesListed = true;
    instanceSites().then((sites) => document.getElementById('site-list').replaceChildren(...sites.map((s) => h('option', { value: s }))));
  }
}

const auth = signInDialog({
  onSignedIn: render,
  onSignedOut: () => {
    sitesListed = false;
    render();
  },
  onCancel: () => render(),
});

siteInput.addEventListener('change', () => {
  if (siteInput.readOnly) return;
  setSite(siteInput.value);
  siteInput.value = getSite();
  if (location.search) history.replaceState(null, '', location.pathname + location.hash);
  if (route().name === 'visitor') navigate('leads');
  else render();
});

addEventListener('hashchange', render);
render();
if (!getToken()) auth.ask();
