// Asks for the admin token once (prefilled with the dev token on localhost) and keeps it in localStorage.
import { DEV_TOKEN, getToken, onAuthNeeded, setToken } from './api.js';
import { h } from './dom.js';

/**
 * Adds the token dialog to the page; `onSaved` runs after a token is saved, `onCancel` when the
 * dialog is closed without one. Returns `ask()`, which opens it (also done on any 401).
 */
export function tokenDialog({ onSaved, onCancel = () => {} }) {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, id: 'token-input' });
  const dialog = h(
    'dialog',
    { id: 'token-dialog' },
    h(
      'form',
      { method: 'dialog', class: 'stack' },
      h('h2', {}, 'Admin token'),
      h('p', { class: 'muted' }, 'The views call the LeadEdge admin API with this token. It stays in this browser (localStorage).'),
      h('label', {}, 'Token', input),
      h('div', { class: 'row' }, h('button', { class: 'btn btn-primary', value: 'save' }, 'Save'), h('button', { class: 'btn', value: 'cancel', formnovalidate: true }, 'Cancel')),
    ),
  );
  document.body.append(dialog);
  const ask = () => {
    if (dialog.open) return;
    input.value = getToken() || DEV_TOKEN;
    dialog.showModal();
    input.select();
  };
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'save' && input.value.trim()) {
      setToken(input.value);
      onSaved();
    } else if (!getToken()) onCancel(ask);
  });
  onAuthNeeded(ask);
  return ask;
}
