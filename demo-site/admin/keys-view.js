// Keys: the site's keys (role, label, rep, created, last used), a new one (shown once, with a copy
// button), and revoking one (it stops working at once). Only a credential that may GET …/keys gets here.
import { api } from './api.js';
import { fmtAgo, fmtTime, h, notice } from './dom.js';

/** Key roles (worker/access/roles.ts ROLES, a public contract); what each may do is the server's table. */
const ROLES = ['sales', 'marketer', 'owner', 'server'];

export async function renderKeys(root, { site, me, can, stale }) {
  const status = h('div', { id: 'keys-status', hidden: true });
  const created = h('div', { id: 'new-key', hidden: true });
  const tbody = h('tbody');

  const role = h('select', { name: 'role', onchange: () => (repLabel.hidden = role.value !== 'sales') }, ROLES.map((r) => h('option', { value: r }, r)));
  const label = h('input', { type: 'text', name: 'label', required: true, maxlength: 100, size: 24, placeholder: 'who or what uses it, e.g. Rita (sales)' });
  const repId = h('input', { type: 'text', name: 'repId', maxlength: 128, size: 12, placeholder: 'optional', pattern: '[A-Za-z0-9._:@\\-]{1,128}' });
  const repLabel = h('label', { title: 'Binds a sales key to one rep' }, 'Rep id', repId);
  const form = h(
    'form',
    { class: 'row', id: 'create-key', onsubmit: (e) => (e.preventDefault(), create(e.submitter ?? form.querySelector('button'))) },
    h('label', {}, 'Role', role),
    h('label', {}, 'Label', label),
    repLabel,
    h('button', { class: 'btn btn-primary', type: 'submit' }, 'Create key'),
  );

  async function create(button) {
    button.disabled = true;
    notice(status, 'info', '');
    try {
      const body = { role: role.value, label: label.value.trim(), ...(role.value === 'sales' && repId.value.trim() ? { repId: repId.value.trim() } : {}) };
      const k = await api('/keys', { method: 'POST', body });
      showOnce(k);
      label.value = '';
      repId.value = '';
      await load();
    } catch (err) {
      notice(status, 'error', `Not created: ${err.issues.length ? err.issues.map((i) => `${i.path}: ${i.message}`).join('; ') : err.message}`);
    } finally {
      button.disabled = false;
    }
  }

  /** The key itself is in this answer only: show it once, with a copy button. */
  function showOnce(k) {
    const value = h('code', { id: 'new-key-value', class: 'mono key-value' }, k.key);
    const copy = h(
      'button',
      {
        class: 'btn btn-small',
        type: 'button',
        id: 'copy-key',
        onclick: async () => {
          try {
            await navigator.clipboard.writeText(k.key);
            copy.textContent = 'Copied';
          } catch {
            getSelection()?.selectAllChildren(value); // no clipboard permission: selected, for Ctrl+C
            copy.textContent = 'Selected: press Ctrl+C';
          }
        },
      },
      'Copy',
    );
    created.replaceChildren(
      h('b', {}, `New ${k.role} key “${k.label}” (${k.id})`),
      h('div', { class: 'row' }, value, copy),
      h('div', { class: 'row' }, 'Copy it now: this key will not be shown again. Only its hash is stored; if it is lost, revoke it and create another.', h('button', { class: 'btn btn-small', type: 'button', onclick: () => (created.hidden = true) }, 'Done')),
    );
    created.className = 'notice notice-ok stack';
    created.hidden = false;
  }

  async function revoke(k, button) {
    if (button.dataset.confirm !== '1') {
      button.dataset.confirm = '1';
      button.textContent = k.id === me.keyId ? 'Revoke your own key?' : `Revoke ${k.label}?`;
      button.classList.add('btn-bad');
      return;
    }
    button.disabled = true;
    try {
      await api(`/keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' });
      await load();
      notice(status, 'ok', `Revoked ${k.id} (“${k.label}”): it stops working at once.`);
    } catch (err) {
      button.disabled = false;
      notice(status, 'error', `Not revoked: ${err.message}`);
    }
  }

  async function load() {
    const { keys } = await api('/keys');
    if (stale()) return;
    const mayRevoke = can('DELETE', '/keys/:id');
    tbody.replaceChildren(
      ...(keys.length
        ? [...keys]
            .sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)))
            .map((k) =>
              h(
                'tr',
                { dataset: { key: k.id, role: k.role } },
                h('td', { class: 'who' }, h('b', {}, k.label), h('small', { class: 'mono' }, k.id), k.id === me.keyId ? h('small', {}, ' · you') : null),
                h('td', {}, k.role, k.repId ? h('small', {}, ` · rep ${k.repId}`) : null),
                h('td', { title: fmtTime(k.createdAt) }, fmtAgo(k.createdAt)),
                h('td', { class: 'last-used', title: k.lastUsedAt ? fmtTime(k.lastUsedAt) : '' }, k.lastUsedAt ? fmtAgo(k.lastUsedAt) : 'never'),
                h('td', { class: 'num' }, mayRevoke ? h('button', { class: 'btn btn-small', type: 'button', onclick: (e) => revoke(k, e.currentTarget) }, 'Revoke') : null),
              ),
            )
        : [h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No keys yet.'))]),
    );
  }

  root.replaceChildren(
    h(
      'section',
      { class: 'panel stack' },
      h('div', { class: 'panel-head' }, h('h2', {}, `Keys · ${site}`), h('span', { class: 'muted' }, 'each key names its site and carries one role; send it as Authorization: Bearer <key>')),
      can('POST', '/keys') ? form : null,
      created,
      status,
      h('table', { id: 'keys' }, h('thead', {}, h('tr', {}, h('th', {}, 'Key'), h('th', {}, 'Role'), h('th', {}, 'Created'), h('th', {}, 'Last used'), h('th', {}))), tbody),
    ),
  );
  await load();
}
