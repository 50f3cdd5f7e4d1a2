// One sign-in dialog for the marketer view and the sales inbox: a site's key (le_<site>_…, the site
// comes from the key) or the instance token. The credential is checked (GET …/me) before it is kept
// (localStorage). On localhost it offers the documented demo keys and the dev instance token.
import { DEV_KEYS, DEV_TOKEN, getSite, getToken, keySite, onAuthNeeded, setToken } from './api.js';
import { forgetAccess } from './access.js';
import { h, notice } from './dom.js';

/** Is `credential` usable here? `{ ok }` or `{ ok: false, message }` with the API's reason. */
async function check(credential) {
  const site = keySite(credential) ?? getSite();
  let res;
  try {
    res = await fetch(`/v1/admin/sites/${encodeURIComponent(site)}/me`, { headers: { authorization: `Bearer ${credential}` } });
  } catch (err) {
    return { ok: false, message: `the API is unreachable (${err.message})` };
  }
  if (res.ok) return { ok: true };
  const body = await res.json().catch(() => null);
  // The instance token on a site that does not exist yet: signed in (the config page can create it).
  if (res.status === 404 && body?.error?.code === 'unknown_site' && !keySite(credential)) return { ok: true };
  return { ok: false, message: body?.error?.message ?? `HTTP ${res.status}` };
}

/** Drops `?site=` from the address: a key's site comes from the key. */
function forgetSiteParam() {
  const url = new URL(location.href);
  if (!url.searchParams.has('site')) return;
  url.searchParams.delete('site');
  history.replaceState(null, '', url);
}

/**
 * Adds the dialog to the page. `onSignedIn` runs after a credential is accepted and kept,
 * `onSignedOut` when a kept one is refused (401: wrong or revoked) or signed out, `onCancel(ask)` when
 * the dialog closes with none. Returns `{ ask(reason?), signOut() }`; any 401 asks again with its reason.
 */
export function signInDialog({ onSignedIn, onSignedOut = () => {}, onCancel = () => {} }) {
  const input = h('input', { type: 'password', name: 'credential', autocomplete: 'off', spellcheck: 'false', required: true, id: 'sign-in-input', placeholder: 'le_<site>_… or the instance token' });
  const reason = h('p', { id: 'sign-in-reason', hidden: true });
  const error = h('p', { id: 'sign-in-error', hidden: true });
  const submit = h('button', { class: 'btn btn-primary', value: 'sign-in' }, 'Sign in');
  const demo = [...DEV_KEYS.map((k) => ({ label: `Demo ${k.role}`, value: k.key, id: k.role })), ...(DEV_TOKEN ? [{ label: 'Instance token', value: DEV_TOKEN, id: 'instance' }] : [])];
  const form = h(
    'form',
    { method: 'dialog', class: 'stack' },
    h('h2', {}, 'Sign in'),
    reason,
    h('p', { class: 'muted', style: 'margin:0' }, 'With your key (from the site’s owner; it names its site) or the instance token (ADMIN_TOKEN). What you see follows the key’s role. It stays in this browser (localStorage).'),
    h('label', {}, 'Key or instance token', input),
    error,
    demo.length
      ? h(
          'fieldset',
          { class: 'demo-keys' },
          h('legend', {}, 'Local dev: the documented demo credentials (printed by npm start)'),
          h('div', { class: 'row' }, demo.map((d) => h('button', { class: 'btn btn-small', type: 'button', dataset: { demo: d.id }, onclick: () => ((input.value = d.value), form.requestSubmit(submit)) }, d.label))),
        )
      : null,
    h('div', { class: 'row' }, submit, h('button', { class: 'btn', value: 'cancel', formnovalidate: true }, 'Cancel')),
  );
  const dialog = h('dialog', { id: 'sign-in-dialog' }, form);
  document.body.append(dialog);

  form.addEventListener('submit', async (e) => {
    if (e.submitter?.value === 'cancel') return; // the dialog closes itself
    e.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    submit.disabled = true;
    notice(error, 'error', '');
    const result = await check(value);
    submit.disabled = false;
    if (!result.ok) return notice(error, 'error', `Refused: ${result.message}`);
    setToken(value);
    if (keySite(value)) forgetSiteParam();
    forgetAccess();
    dialog.close('signed-in');
  });
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'signed-in') onSignedIn();
    else if (!getToken()) onCancel(ask);
  });

  function ask(why) {
    if (why) notice(reason, 'error', `Signed out: ${why}. Sign in again.`);
    if (dialog.open) return;
    if (!why) notice(reason, 'error', '');
    dialog.returnValue = '';
    input.value = '';
    notice(error, 'error', '');
    dialog.showModal();
    input.focus();
  }
  function signOut(why) {
    setToken('');
    forgetAccess();
    onSignedOut();
    ask(why);
  }
  onAuthNeeded((why) => (getToken() ? signOut(why) : ask(why)));
  return { ask, signOut };
}
