// The top bar's signed-in part, shared by the marketer view and the sales inbox: who is signed in
// (role and key id; the site is beside it) with a sign-out, and the navigation links this credential may open.
import { getToken, keySite } from './api.js';
import { mayOpen, PAGES, roleName } from './access.js';
import { h } from './dom.js';

/**
 * Shows `me` (GET …/me), or what is known without it (a key whose site refused it), or a sign-in
 * button. Links marked `data-page` are shown only when the credential may open that page.
 */
export function showSession(me, { signIn, signOut }) {
  const el = document.getElementById('session');
  const token = getToken();
  if (!token) {
    el.replaceChildren(h('button', { class: 'btn btn-quiet', id: 'sign-in-button', type: 'button', onclick: () => signIn() }, 'Sign in'));
  } else {
    const who = me
      ? [
          h('b', { id: 'who-role' }, roleName(me)),
          me.repId ? ` (${me.repId})` : '',
          ' · ',
          h('span', { class: 'mono', id: 'who-key' }, me.keyId),
          // The marketer view shows the site in its picker; the inbox has none.
          document.getElementById('site') ? null : [' · site ', h('b', { id: 'who-site' }, me.site)],
        ]
      : [keySite(token) ? `a key of site ${keySite(token)}` : 'the instance token'];
    el.replaceChildren(h('span', { class: 'whoami', id: 'who', title: 'Signed in as' }, ...who), h('button', { class: 'btn btn-quiet', id: 'sign-out', type: 'button', onclick: () => signOut() }, 'Sign out'));
  }
  document.querySelectorAll('.top nav a[data-page]').forEach((a) => (a.hidden = !me || !mayOpen(me, PAGES[a.dataset.page])));
}
