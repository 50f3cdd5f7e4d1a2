// Leads: known visitors and beyond, filtered by stage, sorted by score or last seen, paged by cursor.
// A person (one lead across browsers) is one row, saying on how many browsers it was seen.
import { api, ApiError } from './api.js';
import { displayName, fmtAgo, fmtNum, fmtTime, h, notice, STAGE_LABELS, stageBadge } from './dom.js';

const PAGE_SIZE = 25;
const STAGES = ['known', 'mql', 'sql', 'sal', 'disqualified'];

/** Cursors of the pages before the current one, per filter (kept while the tab lives). */
const history = new Map();

export async function renderLeads(root, { params, navigate, site }) {
  const stage = params.get('stage') ?? '';
  const sort = params.get('sort') === 'lastSeen' ? 'lastSeen' : 'score';
  const cursor = params.get('cursor') ?? '';
  const limit = Math.min(100, Math.max(1, Number(params.get('limit')) || PAGE_SIZE));
  const go = (next) => navigate('leads', { stage, sort, limit: limit === PAGE_SIZE ? '' : limit, ...next });

  const status = h('div', { hidden: true });
  const stageSelect = h(
    'select',
    { name: 'stage', onchange: () => go({ stage: stageSelect.value, cursor: '' }) },
    h('option', { value: '' }, 'All stages'),
    STAGES.map((s) => h('option', { value: s, selected: s === stage }, STAGE_LABELS[s])),
  );
  const openForm = h(
    'form',
    {
      class: 'row',
      onsubmit: (e) => {
        e.preventDefault();
        const id = openForm.elements.namedItem('aid').value.trim();
        if (id) navigate('visitor', {}, id);
      },
    },
    h('input', { type: 'search', name: 'aid', placeholder: 'open a visitor by id', size: 22, 'aria-label': 'Visitor id (anonymous visitors too)' }),
    h('button', { class: 'btn', type: 'submit' }, 'Open'),
  );
  const sortButton = (key, label) =>
    h('th', { class: 'num', 'aria-sort': sort === key ? 'descending' : null }, h('button', { type: 'button', onclick: () => go({ sort: key, cursor: '' }), title: `Sort by ${label.toLowerCase()}` }, `${label}${sort === key ? ' ↓' : ''}`));
  const tbody = h('tbody');
  const pager = h('div', { class: 'row' });
  const panel = h(
    'section',
    { class: 'panel' },
    h('div', { class: 'panel-head' }, h('h2', {}, 'Leads'), h('span', { class: 'muted', id: 'leads-total' }), h('span', { class: 'spacer' }), h('label', { class: 'row' }, 'Stage', stageSelect), openForm),
    status,
    h(
      'table',
      { class: 'leads' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Lead'), h('th', {}, 'Company'), h('th', {}, 'Stage'), sortButton('score', 'Score'), h('th', { class: 'num' }, 'Fit'), h('th', {}, 'Top topics'), sortButton('lastSeen', 'Last seen'), h('th', {}, 'Verdict'))),
      tbody,
    ),
    pager,
    h('p', { class: 'muted', id: 'leads-freshness' }, 'Scores here are as of each lead\'s last activity, refreshed at least daily while they decay: the order is at most a day stale. A lead\'s own page shows its score now.'),
  );
  root.replaceChildren(panel);

  const q = new URLSearchParams({ sort, limit: String(limit) });
  if (stage) q.set('stage', stage);
  if (cursor) q.set('cursor', cursor);
  let page;
  try {
    page = await api(`/visitors?${q}`);
  } catch (err) {
    const missing = err instanceof ApiError && err.status === 404 && err.code === 'not_found';
    notice(status, 'error', missing ? 'The leads list is not available from this API yet (GET …/visitors answered 404). You can still open a visitor by id.' : `Could not load leads: ${err.message}`);
    return;
  }

  const evicted = page.evicted ? ` · ${page.evicted} weaker early-stage leads dropped from the full index` : '';
  root.querySelector('#leads-total').textContent = `${page.total ?? page.visitors.length} ${stage ? STAGE_LABELS[stage] : 'known and beyond'} on ${site}${evicted}`;
  if (!page.visitors.length) tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, stage ? `No ${STAGE_LABELS[stage]} leads yet.` : 'No known visitors yet: leads appear here once a visitor identifies.')));
  for (const v of page.visitors) {
    const open = () => navigate('visitor', {}, v.personId ?? v.id);
    tbody.append(
      h(
        'tr',
        { class: 'clickable', tabindex: 0, dataset: { id: v.id }, onclick: open, onkeydown: (e) => e.key === 'Enter' && open() },
        h(
          'td',
          { class: 'who' },
          h('b', {}, displayName(v.traits, v.id), v.browsers > 1 ? h('span', { class: 'chip browsers', title: 'One person seen on several browsers (same email or userId)' }, `${v.browsers} browsers`) : null),
          h('small', {}, v.traits?.email && v.traits.email !== displayName(v.traits, v.id) ? v.traits.email : v.id),
        ),
        h('td', { class: 'who' }, h('b', {}, v.traits?.company ?? '–'), h('small', {}, v.traits?.title ?? '')),
        h('td', {}, stageBadge(v.stage)),
        h('td', { class: 'num' }, fmtNum(v.score, 0)),
        h('td', { class: 'num' }, fmtNum(v.fit, 0)),
        h('td', {}, (v.topics ?? []).slice(0, 3).map((t) => h('span', { class: 'chip' }, t))),
        h('td', { class: 'num', title: fmtTime(v.lastSeen) }, fmtAgo(v.lastSeen)),
        h('td', {}, v.verdict ? h('span', { title: v.verdict.reason ?? '' }, v.verdict.verdict) : ''),
      ),
    );
  }

  const key = `${site}|${stage}|${sort}|${limit}`;
  const stack = history.get(key) ?? [];
  if (!cursor) stack.length = 0;
  history.set(key, stack);
  const prev = stack.at(-1);
  pager.append(
    h('button', { class: 'btn', type: 'button', disabled: !cursor, onclick: () => (stack.pop(), go({ cursor: prev === '' ? '' : prev })) }, '← Previous'),
    h('button', { class: 'btn', type: 'button', disabled: !page.nextCursor, onclick: () => (stack.push(cursor), go({ cursor: page.nextCursor })) }, 'Next →'),
  );
}
