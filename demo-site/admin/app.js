// The marketer view: token prompt, site selector and a hash router over four views.
//   #/leads?stage=mql&sort=score   #/visitor/<id>   #/funnel?from=&to=   #/config   #/calibration
import { getSite, getToken, setSite } from './api.js';
import { renderCalibration } from './calibration-view.js';
import { renderConfig } from './config-view.js';
import { h } from './dom.js';
import { renderFunnel } from './funnel-view.js';
import { renderLeads } from './leads-view.js';
import { tokenDialog } from './token-dialog.js';
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

const VIEWS = { leads: renderLeads, visitor: renderVisitor, funnel: renderFunnel, config: renderConfig, calibration: renderCalibration };
let renderId = 0;

async function render() {
  const r = route();
  const id = ++renderId;
  document.querySelectorAll('.top nav a[data-route]').forEach((a) => {
    if (a.dataset.route === (r.name === 'visitor' ? 'leads' : r.name)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  const root = h('div', { class: 'view', 'aria-busy': 'true' });
  view.replaceChildren(root);
  const fn = VIEWS[r.name] ?? renderLeads;
  try {
    await fn(root, { site: getSite(), arg: r.arg, params: r.params, navigate, stale: () => id !== renderId });
  } catch (err) {
    root.replaceChildren(h('div', { class: 'notice notice-error' }, `Could not load this view: ${err.message}`));
  } finally {
    root.removeAttribute('aria-busy');
  }
}

const askToken = tokenDialog({
  onSaved: render,
  onCancel: (ask) => view.replaceChildren(h('div', { class: 'notice notice-info' }, 'The marketer view needs the admin token. ', h('button', { class: 'btn', type: 'button', onclick: ask }, 'Enter token'))),
});
document.getElementById('token-button').addEventListener('click', askToken);

siteInput.value = getSite();
siteInput.addEventListener('change', () => {
  setSite(siteInput.value);
  siteInput.value = getSite();
  if (location.search) history.replaceState(null, '', location.pathname + location.hash);
  if (route().name === 'visitor') navigate('leads');
  else render();
});

addEventListener('hashchange', render);
if (!getToken()) askToken();
else render();
