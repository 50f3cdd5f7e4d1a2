// One lead in the sales inbox: who, why they scored, what they read, which alerts fired, and the
// verdict buttons. Alerts of one lead are grouped on one card; alerts caused by the same event
// (a demo request sends lead.sql and lead.demo_requested) share one line. A person's alerts (one
// lead across browsers, `data.person`) are one card, saying on how many browsers it was seen.
import { displayName, fmtAgo, fmtNum, fmtPoints, fmtTime, h, stageBadge, visitorHref } from './dom.js';

const TYPE_LABELS = { 'lead.demo_requested': 'Demo requested', 'lead.sql': 'Became SQL', 'lead.mql': 'Became MQL', 'lead.verdict': 'Verdict', 'lead.stage_changed': 'Stage changed', 'lead.merged': 'Browser joined' };
const LINKED_BY = { claimed: 'claimed the email', verified: 'verified', userId: 'by userId' };
const EVENT_LABELS = { page_view: 'Read', download: 'Downloaded', webinar_signup: 'Webinar signup', demo_request: 'Demo request', identify: 'Identified', cta_click: 'Clicked CTA' };

/** Lines of the alert history: alerts with the same trigger event merged, newest first. */
export function alertLines(alerts) {
  const lines = new Map();
  for (const a of alerts) {
    const key = a.payload?.data?.trigger?.id ?? a.id;
    const line = lines.get(key) ?? { key, at: a.receivedAt, types: [] };
    line.at = Math.max(line.at, a.receivedAt);
    if (!line.types.includes(a.payload.type)) line.types.push(a.payload.type);
    if (a.payload.data?.merge) line.merge = a.payload.data.merge;
    lines.set(key, line);
  }
  return [...lines.values()].sort((x, y) => y.at - x.at);
}

/**
 * What a lead.merged alert says after its label.
 * @example mergeText({ linkedBy: 'claimed', scoreBefore: 20, scoreAfter: 40 }) // 'score 20 → 40 (claimed the email)'
 */
export const mergeText = (m) => `score ${fmtNum(m.scoreBefore, 0)} → ${fmtNum(m.scoreAfter, 0)} (${LINKED_BY[m.linkedBy] ?? m.linkedBy})`;

/** The lead an alert belongs to: its person when it has one (every browser's alerts on one card), else the browser. */
export const leadIdOf = (payload) => payload?.data?.person?.id ?? payload?.data?.visitor?.id;

/**
 * The browsers a person's alert names: the one that sent it, the one that joined, and those of its
 * timeline entries. A card of one of them (alerts sent before it joined) belongs to the person's card.
 */
export function browsersOf(payload) {
  const d = payload?.data;
  if (!d?.person) return [];
  return [...new Set([d.visitor?.id, d.merge?.browser, ...(d.timeline ?? []).map((e) => e.browser)].filter(Boolean))];
}

/** The person of the newest alert that names one: `{ id, browserCount }`, or null. */
export const personOf = (lead) => lead.alerts.find((a) => a.payload?.data?.person)?.payload.data.person ?? null;

/** The link to the lead: the payload's (its admin origin), pointed at the person when there is one. */
function leadHref(lead, d) {
  if (!/^https?:\/\//.test(d.visitor?.url ?? '')) return visitorHref(lead.site, lead.id);
  if (!d.person) return d.visitor.url;
  try {
    const url = new URL(d.visitor.url);
    url.searchParams.set('aid', d.person.id);
    return url.href;
  } catch {
    return d.visitor.url;
  }
}

/**
 * `lead`: { site, id, alerts (newest first), verdict?, stage? }; `onVerdict(lead, body)` posts it,
 * or is null when the signed-in key may not (then `verdictNote` says why, in place of the buttons).
 */
export function leadCard(lead, { onVerdict, verdictNote, fresh }) {
  const latest = lead.alerts[0];
  const d = latest.payload.data;
  const t = d.traits ?? {};
  const stage = lead.stage ?? d.stage;
  const href = leadHref(lead, d);
  const seen = (personOf(lead)?.browserCount ?? 1) > 1 ? `seen on ${personOf(lead).browserCount} browsers` : '';

  return h(
    'article',
    { class: `alert${fresh ? ' fresh' : ''}`, dataset: { visitor: lead.id, site: lead.site, stage } },
    h(
      'div',
      { class: 'alert-head' },
      h('span', { class: 'name' }, displayName(t, lead.id)),
      t.email && t.email !== displayName(t, lead.id) ? h('span', { class: 'muted' }, t.email) : null,
      stageBadge(stage),
      seen ? h('span', { class: 'chip browsers seen-on' }, seen) : null,
      h('span', { class: 'spacer' }),
      h('time', { class: 'muted', datetime: new Date(latest.receivedAt).toISOString(), title: fmtTime(latest.receivedAt), dataset: { ago: latest.receivedAt } }, fmtAgo(latest.receivedAt)),
      h('a', { href, class: 'btn btn-small' }, 'Open visitor'),
    ),
    h('div', { class: 'muted' }, [t.title, t.company, t.companySize && `${t.companySize} employees`, t.industry, t.country].filter(Boolean).join(' · ') || 'No company details', lead.site !== 'demo' ? ` · site ${lead.site}` : ''),
    h(
      'div',
      { class: 'alert-types' },
      alertLines(lead.alerts).map((line) =>
        h(
          'span',
          { class: 'row', style: 'gap:4px' },
          line.types.map((type) => h('span', { class: `type type-${type.replace('lead.', '')}` }, TYPE_LABELS[type] ?? type)),
          line.merge ? h('small', { class: 'merge' }, mergeText(line.merge)) : null,
          h('small', { class: 'muted' }, fmtTime(line.at)),
        ),
      ),
    ),
    h(
      'div',
      { class: 'alert-body' },
      h(
        'div',
        { class: 'why' },
        h('h3', {}, `Why: score ${d.score.total} (behaviour ${d.score.behavior}, fit ${d.score.fit})`),
        h('ul', {}, d.score.reasons.map((r) => h('li', {}, h('b', {}, fmtPoints(r.points)), ' ', r.description ?? r.rule, h('small', { class: 'muted mono' }, ` ${r.rule}`)))),
      ),
      h(
        'div',
        { class: 'read' },
        h('h3', {}, 'What they did'),
        h(
          'ul',
          {},
          (d.timeline ?? [])
            .filter((e) => e.type !== 'identify')
            .slice(0, 8)
            .map((e) => h('li', {}, h('span', { class: 'muted' }, `${EVENT_LABELS[e.type] ?? e.name ?? e.type}: `), e.title ?? e.path, e.title ? h('small', { class: 'muted mono' }, ` ${e.path}`) : null)),
        ),
      ),
    ),
    verdictRow(lead, onVerdict, verdictNote),
  );
}

/** The verdict, or Accept / Reject… (`onVerdict(lead, body)`); without `onVerdict`, `note` in their place. */
export function verdictRow(lead, onVerdict, note = '') {
  const v = lead.verdict;
  if (v) {
    const text = v.verdict === 'accepted' ? 'Accepted by sales' : `Rejected${v.reason ? `: ${v.reason}` : ''}${v.action === 'recycle' ? ' · recycled to nurture' : v.action === 'disqualify' ? ' · disqualified' : ''}`;
    return h('div', { class: 'verdict notice notice-' + (v.verdict === 'accepted' ? 'ok' : 'info') }, text, v.at ? h('small', {}, ` · ${fmtTime(v.at)}`) : null);
  }
  if (!onVerdict) return h('div', { class: 'verdict muted verdict-note' }, note);
  const error = h('span', { class: 'verdict-error', style: 'color:var(--bad)' });
  const buttons = [];
  const busy = (on) => buttons.forEach((b) => (b.disabled = on));
  const send = async (body) => {
    busy(true);
    error.textContent = '';
    try {
      await onVerdict(lead, body);
    } catch (err) {
      error.textContent = `Not saved: ${err.message}`;
      busy(false);
    }
  };

  const reason = h('input', { type: 'text', name: 'reason', list: 'reject-reasons', placeholder: 'why? (e.g. no budget)', size: 26, maxlength: 500, required: true });
  const form = h(
    'form',
    { class: 'verdict-form', hidden: true, onsubmit: (e) => (e.preventDefault(), send({ verdict: 'rejected', reason: reason.value.trim(), action: form.elements.namedItem('action').value })) },
    reason,
    h('label', {}, h('input', { type: 'radio', name: 'action', value: 'disqualify', checked: true }), 'Disqualify'),
    h('label', {}, h('input', { type: 'radio', name: 'action', value: 'recycle' }), 'Recycle to nurture (back to MQL)'),
    h('button', { class: 'btn btn-bad', type: 'submit' }, 'Reject lead'),
    h('button', { class: 'btn', type: 'button', onclick: () => ((form.hidden = true), (row.hidden = false)) }, 'Cancel'),
  );
  const accept = h('button', { class: 'btn btn-ok', type: 'button', onclick: () => send({ verdict: 'accepted' }) }, 'Accept');
  const reject = h('button', { class: 'btn btn-bad', type: 'button', onclick: () => ((row.hidden = true), (form.hidden = false), reason.focus()) }, 'Reject…');
  const row = h('div', { class: 'row verdict-buttons' }, accept, reject, h('span', { class: 'muted' }, 'Accept moves the lead to SAL.'));
  buttons.push(accept, reject, ...form.querySelectorAll('button'));
  return h('div', { class: 'verdict' }, row, form, error);
}
