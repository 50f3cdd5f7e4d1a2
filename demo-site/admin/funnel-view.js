// Funnel: visitors -> known -> MQL -> SQL -> SAL per day and for a chosen period, with the
// MQL-to-SQL rate. Counts come from stage transitions (GET …/funnel).
import { api } from './api.js';
import { fmtRate, h } from './dom.js';
import { dailyBars, funnelBars, legend, SERIES } from './funnel-chart.js';
import { identityLines } from './person-view.js';

const isoDay = (d) => d.toISOString().slice(0, 10);
const daysAgo = (n) => isoDay(new Date(Date.now() - n * 86_400_000));

export async function renderFunnel(root, { params, navigate }) {
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const q = new URLSearchParams();
  if (from) q.set('from', from);
  if (to) q.set('to', to);
  // The site's identity counters need the config's read access (owner, marketer): without it the panel is left out.
  const [f, identity] = await Promise.all([api(`/funnel${q.size ? `?${q}` : ''}`), api('').then((s) => s.identity ?? null, () => null)]);
  const days = fillDays(f.days, f.from, f.to);

  const form = h(
    'form',
    { class: 'row', onsubmit: (e) => (e.preventDefault(), navigate('funnel', { from: form.elements.namedItem('from').value, to: form.elements.namedItem('to').value })) },
    h('label', {}, 'From', h('input', { type: 'date', name: 'from', value: f.from, max: f.to })),
    h('label', {}, 'To', h('input', { type: 'date', name: 'to', value: f.to })),
    h('button', { class: 'btn btn-primary', type: 'submit' }, 'Apply'),
    [7, 30, 90].map((n) => h('button', { class: 'btn', type: 'button', onclick: () => navigate('funnel', { from: daysAgo(n - 1), to: daysAgo(0) }) }, `Last ${n} days`)),
  );
  const t = f.totals;
  const stat = (label, value, key) => h('div', { class: 'stat', dataset: { key } }, h('b', {}, value), h('span', {}, label));

  root.replaceChildren(
    h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Funnel'), h('span', { class: 'muted' }, `${f.from} to ${f.to}`), h('span', { class: 'spacer' }), form)),
    h(
      'div',
      { class: 'stats', id: 'funnel-totals' },
      SERIES.map((x) => stat(x.label, String(t[x.key] ?? 0), x.key)),
      stat('MQL → SQL', fmtRate(f.mqlToSqlRate), 'mqlToSqlRate'),
      stat('Disqualified / recycled', `${t.disqualified ?? 0} / ${t.recycled ?? 0}`, 'rejected'),
    ),
    h('div', { class: 'cols' }, h('section', { class: 'panel' }, h('h2', {}, 'The period'), funnelBars(t)), h('section', { class: 'panel' }, h('h2', {}, 'Reading it'), explain(t, f.mqlToSqlRate))),
    h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Per day'), legend()), dailyBars(days), dayTable(days)),
    ...(identity ? [h('section', { class: 'panel', id: 'identity-refusals' }, h('div', { class: 'panel-head' }, h('h2', {}, 'People: links refused'), h('span', { class: 'muted' }, 'since the site began')), h('ul', {}, identityLines(identity).map((l) => h('li', {}, l))))] : []),
  );
}

/** The API may skip empty days; the chart wants every day of the period. */
function fillDays(days, from, to) {
  const byDay = new Map(days.map((d) => [d.day, d]));
  const out = [];
  for (let d = new Date(`${from}T00:00:00Z`); isoDay(d) <= to && out.length < 400; d = new Date(d.getTime() + 86_400_000)) {
    out.push(byDay.get(isoDay(d)) ?? { day: isoDay(d) });
  }
  return out.length ? out : days;
}

function explain(t, rate) {
  const lines = [];
  if (!t.visitors && !t.known) lines.push('No activity in this period yet.');
  else {
    if (t.known) lines.push(`${t.known} visitor${t.known === 1 ? '' : 's'} identified themselves${t.visitors ? ` (${Math.round((t.known / t.visitors) * 100)}% of visitors)` : ''}.`);
    if (t.mql) lines.push(`${t.mql} became marketing-qualified; ${t.sql ?? 0} of the period's leads reached SQL.`);
    lines.push(rate == null ? 'The MQL-to-SQL rate needs at least one MQL in the period.' : `MQL to SQL: ${fmtRate(rate)}. Below ~30% usually means the MQL threshold is too low.`);
    if (t.sal) lines.push(`Sales accepted ${t.sal}.`);
  }
  return h('ul', {}, lines.map((l) => h('li', {}, l)));
}

function dayTable(days) {
  const rows = days.filter((d) => SERIES.some((x) => d[x.key]) || d.disqualified || d.recycled).reverse();
  return h(
    'details',
    { style: 'margin-top:10px' },
    h('summary', {}, `Table (${rows.length} day${rows.length === 1 ? '' : 's'} with activity)`),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Day'), SERIES.map((x) => h('th', { class: 'num' }, x.label)), h('th', { class: 'num' }, 'Disq.'), h('th', { class: 'num' }, 'Recycled'), h('th', { class: 'num' }, 'MQL → SQL'))),
      h(
        'tbody',
        {},
        rows.map((d) =>
          h('tr', {}, h('td', {}, d.day), SERIES.map((x) => h('td', { class: 'num' }, String(d[x.key] ?? 0))), h('td', { class: 'num' }, String(d.disqualified ?? 0)), h('td', { class: 'num' }, String(d.recycled ?? 0)), h('td', { class: 'num' }, d.mql ? fmtRate((d.sql ?? 0) / d.mql) : '–')),
        ),
      ),
    ),
  );
}
