// Audit log: every change made on the site (config saves, keys, verdicts, exports, erasures…), with
// the key and role that made it, newest first, paged by cursor (GET …/audit?cursor=&limit=).
import { api } from './api.js';
import { fmtTime, h } from './dom.js';

const PAGE_SIZE = 50;

/** Cursors of the pages before the current one (kept while the tab lives). */
const pages = new Map();

/** `{ verdict: 'accepted', stage: 'sal' }` as "verdict: accepted · stage: sal". */
const detailText = (detail) =>
  Object.entries(detail ?? {})
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`)
    .join(' · ');

export async function renderAudit(root, { site, params, navigate, stale }) {
  const cursor = params.get('cursor') ?? '';
  const limit = Math.min(200, Math.max(1, Number(params.get('limit')) || PAGE_SIZE));
  const go = (next) => navigate('audit', { limit: limit === PAGE_SIZE ? '' : limit, ...next });
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set('cursor', cursor);
  const page = await api(`/audit?${q}`);
  if (stale()) return;

  const key = `${site}|${limit}`;
  const stack = pages.get(key) ?? [];
  if (!cursor) stack.length = 0;
  pages.set(key, stack);
  const prev = stack.at(-1);

  const rows = page.entries.map((e) =>
    h(
      'tr',
      { dataset: { seq: e.seq, action: e.action, key: e.keyId } },
      h('td', { title: e.at }, fmtTime(e.at)),
      h('td', { class: 'mono' }, e.keyId),
      h('td', {}, e.role === 'admin' ? 'instance owner' : e.role),
      h('td', {}, h('b', {}, e.action)),
      h('td', { class: 'mono' }, e.target ?? ''),
      h('td', { class: 'muted' }, detailText(e.detail)),
    ),
  );
  root.replaceChildren(
    h(
      'section',
      { class: 'panel' },
      h('div', { class: 'panel-head' }, h('h2', {}, `Audit log · ${site}`), h('span', { class: 'muted' }, 'every change made with a key or the instance token, newest first')),
      h(
        'table',
        { id: 'audit' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Key'), h('th', {}, 'Role'), h('th', {}, 'Action'), h('th', {}, 'Target'), h('th', {}, 'Detail'))),
        h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, cursor ? 'No older entries.' : 'Nothing changed yet.'))),
      ),
      h(
        'div',
        { class: 'row', style: 'margin-top:10px' },
        h('button', { class: 'btn', type: 'button', disabled: !cursor, onclick: () => (stack.pop(), go({ cursor: prev ?? '' })) }, '← Newer'),
        h('button', { class: 'btn', type: 'button', disabled: !page.nextCursor, onclick: () => (stack.push(cursor), go({ cursor: page.nextCursor })) }, 'Older →'),
      ),
    ),
  );
}
