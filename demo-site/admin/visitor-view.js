// One visitor: who they are, why they scored (rules after decay, behaviour vs fit), how they moved
// through the stages, what they did (newest first) and what the webhooks made of it. Sales'
// verdict, export and erase show only when the signed-in key's role may use their routes.
// A person (one lead across browsers) is shown under its own id, with its browsers (person-view.js).
import { api } from './api.js';
import { renderDeliveries } from './deliveries.js';
import { displayName, fmtAgo, fmtNum, fmtPoints, fmtTime, h, notice, stageBadge } from './dom.js';
import { verdictRow } from './inbox-card.js';
import { browserLabel, browserLabels, browsersPanel, seenOn } from './person-view.js';

export async function renderVisitor(root, ctx) {
  const { arg: id, navigate, site, can = () => true, openedAs } = ctx;
  const path = `/visitors/${encodeURIComponent(id)}`;
  const [profile, deliveries] = await Promise.all([
    api(path),
    can('GET', '/visitors/:aid/deliveries') ? api(`${path}/deliveries`).catch((err) => ({ error: err })) : { deliveries: [] },
  ]);
  // A browser that joined a person answers with the person: show it under the person's id, so its
  // verdict, export, erase and redeliveries go to the person (a linked browser's id lists the
  // person's deliveries but cannot redeliver them).
  if (profile.personId && profile.personId !== id) {
    history.replaceState(history.state, '', `#/visitor/${encodeURIComponent(profile.personId)}`);
    return renderVisitor(root, { ...ctx, arg: profile.personId, openedAs: id });
  }
  const person = profile.person ?? null;
  const labels = browserLabels(person);
  const t = profile.traits ?? {};
  const back = h('a', { href: '#/leads', onclick: (e) => (e.preventDefault(), history.length > 1 ? history.back() : navigate('leads')) }, '← Leads');
  const status = h('div', { id: 'visitor-status', hidden: true });

  // A person is exported and erased with every browser linked to it (its own routes).
  const personPath = person && `/people/${encodeURIComponent(id)}`;
  const noun = person ? `person (all ${person.browserCount} browsers)` : 'visitor';
  async function exportData(button) {
    button.disabled = true;
    try {
      const data = await api(`${personPath ?? path}/export`);
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
      const link = h('a', { href: url, download: `leadedge-${site}-${id}.json`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      notice(status, 'ok', `Exported everything stored about this ${noun} (JSON).`);
    } catch (err) {
      notice(status, 'error', `Could not export: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  }
  async function erase(button) {
    if (button.dataset.confirm !== '1') {
      button.dataset.confirm = '1';
      button.textContent = `Erase everything about this ${noun}?`;
      return;
    }
    button.disabled = true;
    try {
      await api(personPath ?? path, { method: 'DELETE' });
      const what = person ? `person ${id} and every browser linked to it: state, timelines, identifiers` : `visitor ${id}: state, timeline`;
      root.replaceChildren(back, h('div', { class: 'notice notice-ok', id: 'erased' }, `Erased ${what}, pending deliveries, lead row and training label.`));
    } catch (err) {
      button.disabled = false;
      notice(status, 'error', `Could not erase: ${err.message}`);
    }
  }
  const mayExport = person ? can('GET', '/people/:id/export') : can('GET', '/visitors/:aid/export');
  const mayErase = person ? can('DELETE', '/people/:id') : can('DELETE', '/visitors/:aid');
  const actions = [
    mayExport ? h('button', { class: 'btn btn-small', type: 'button', id: 'export-visitor', onclick: (e) => exportData(e.currentTarget) }, 'Export (JSON)') : null,
    mayErase ? h('button', { class: 'btn btn-small btn-bad', type: 'button', id: 'erase-visitor', onclick: (e) => erase(e.currentTarget) }, 'Erase…') : null,
  ];
  // The profile has the stage, not the verdict's details: SAL and disqualified are verdicts already given.
  const given = profile.stage === 'sal' ? { verdict: 'accepted' } : profile.stage === 'disqualified' ? { verdict: 'rejected', action: 'disqualify' } : null;
  const onVerdict = async (_lead, body) => {
    await api(`${path}/verdict`, { method: 'POST', body });
    await renderVisitor(root, ctx);
  };
  const verdict =
    can('POST', '/visitors/:aid/verdict') && profile.stage !== 'anonymous'
      ? h('section', { class: 'panel', id: 'verdict' }, h('h2', {}, 'Sales verdict'), verdictRow({ id, site, verdict: given }, onVerdict))
      : null;

  const onSplit = async (anonymousId) => {
    await api(`${personPath}/split`, { method: 'POST', body: { anonymousId } });
    await renderVisitor(root, ctx);
  };
  const seen = seenOn(person?.browserCount ?? 1);

  root.replaceChildren(
    back,
    h(
      'section',
      { class: 'panel' },
      h(
        'div',
        { class: 'panel-head' },
        h('h1', {}, displayName(t, profile.id)),
        stageBadge(profile.stage),
        seen ? h('span', { class: 'chip', id: 'seen-on' }, seen) : null,
        h('span', { class: 'muted' }, `since ${fmtTime(profile.stageSince)}`),
        h('span', { class: 'spacer' }),
        actions,
      ),
      status,
      h('p', { class: 'muted' }, [t.email, t.title, t.company, t.companySize && `${t.companySize} employees`, t.industry, t.country].filter(Boolean).join(' · ') || 'No traits yet (anonymous).'),
      h(
        'div',
        { class: 'stats' },
        stat('Score', fmtNum(profile.score.total, 0), 'score-total'),
        stat('Behaviour', fmtNum(profile.score.behavior), 'score-behavior'),
        stat('Fit', fmtNum(profile.score.fit), 'score-fit'),
        stat('Events', String(profile.eventCount)),
        stat('First seen', fmtAgo(profile.firstSeen)),
        stat('Last seen', fmtAgo(profile.lastSeen)),
      ),
      h('p', {}, 'Topics: ', profile.topics.length ? profile.topics.map((x) => h('span', { class: 'chip', title: `weight ${x.weight}` }, x.topic)) : h('span', { class: 'muted' }, 'none yet'), h('span', { class: 'muted mono' }, `  ·  id ${profile.id}`)),
    ),
    person ? browsersPanel(person, { openedAs, onSplit: can('POST', '/people/:id/split') ? onSplit : null, visitorHref: (other) => `#/visitor/${encodeURIComponent(other)}` }) : null,
    verdict,
    h('div', { class: 'cols' }, h('div', { class: 'stack' }, breakdown(profile.score), stageHistory(profile.stageHistory)), timeline(profile.timeline, person && labels)),
    deliveries.error
      ? h('section', { class: 'panel' }, h('h2', {}, 'Webhook deliveries'), h('div', { class: 'notice notice-error' }, `Could not load deliveries: ${deliveries.error.message}`))
      : can('GET', '/visitors/:aid/deliveries')
        ? renderDeliveries(id, deliveries.deliveries, () => renderVisitor(root, ctx), can('POST', '/visitors/:aid/deliveries/:id/redeliver'))
        : null,
  );
}

const stat = (label, value, id) => h('div', { class: 'stat' }, h('b', { id }, value), h('span', {}, label));

/** The rules behind the score: points after decay and cap, with behaviour and fit subtotals. */
function breakdown(score) {
  const max = Math.max(1, ...score.breakdown.map((l) => Math.abs(l.points)));
  const rows = (kind) =>
    score.breakdown
      .filter((l) => l.kind === kind)
      .sort((a, b) => b.points - a.points)
      .map((l) =>
        h(
          'tr',
          { dataset: { rule: l.rule } },
          h('td', {}, h('b', {}, l.rule), h('br'), h('small', {}, l.description ?? '')),
          h('td', { class: 'num' }, l.count == null ? '' : fmtNum(l.count, 2)),
          h('td', {}, l.lastAt ? fmtAgo(l.lastAt) : ''),
          h('td', { style: 'width:90px' }, h('div', { class: `bar ${l.points < 0 ? 'neg' : kind === 'fit' ? 'fit' : ''}`, style: `width:${Math.round((Math.abs(l.points) / max) * 100)}%` })),
          h('td', { class: 'num' }, fmtPoints(l.points)),
        ),
      );
  const subtotal = (label, n) => h('tr', { class: 'subtotal' }, h('td', { colspan: 4 }, label), h('td', { class: 'num' }, fmtNum(n)));
  return h(
    'section',
    { class: 'panel', id: 'breakdown' },
    h('div', { class: 'panel-head' }, h('h2', {}, 'Why this score'), h('span', { class: 'muted' }, 'behaviour points decay with the half-life; fit points do not')),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Rule'), h('th', { class: 'num', title: 'Decayed count of matching events' }, 'Count'), h('th', {}, 'Last'), h('th', {}), h('th', { class: 'num' }, 'Points'))),
      h('tbody', {}, rows('behavior'), subtotal('Behaviour', score.behavior), rows('fit'), subtotal('Fit', score.fit), subtotal('Total', score.total)),
    ),
  );
}

function stageHistory(history) {
  return h(
    'section',
    { class: 'panel', id: 'stage-history' },
    h('h2', {}, 'Stage history'),
    history.length
      ? h(
          'ol',
          { class: 'timeline' },
          [...history].sort((a, b) => a.at - b.at).map((s) =>
            h(
              'li',
              {},
              h('time', { datetime: s.atIso }, fmtTime(s.atIso ?? s.at)),
              h('div', {}, stageBadge(s.from), ' → ', stageBadge(s.to), h('br'), h('small', { class: 'muted' }, `score ${fmtNum(s.score, 0)}, fit ${fmtNum(s.fit, 0)} · triggered by `, h('span', { class: 'mono' }, s.trigger.name ?? s.trigger.type), s.trigger.path ? ` on ${s.trigger.path}` : '')),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'Still at the first stage.'),
  );
}

/** `labels`: a person's browser labels (each entry then names its browser), or null. */
function timeline(entries, labels) {
  return h(
    'section',
    { class: 'panel', id: 'timeline' },
    h('div', { class: 'panel-head' }, h('h2', {}, 'Timeline'), h('span', { class: 'muted' }, `${entries.length} most recent, newest first`)),
    h(
      'ol',
      { class: 'timeline' },
      entries.map((e) =>
        h(
          'li',
          {},
          h('time', { title: `received ${fmtTime(e.receivedAt)}` }, fmtTime(e.at)),
          h(
            'div',
            {},
            h('span', { class: 'ev-type' }, e.type === 'track' ? e.name : e.type === 'cta_click' ? `cta_click ${e.ctaId ?? ''}` : e.type),
            ' ',
            labels && e.browser ? [h('span', { class: 'chip browser-label', title: e.browser, dataset: { browser: e.browser } }, browserLabel(labels, e.browser)), ' '] : null,
            e.title ? h('span', {}, e.title) : null,
            h('br'),
            h('small', { class: 'muted mono' }, e.path),
            e.traitKeys?.length ? h('small', { class: 'muted' }, `  traits: ${e.traitKeys.join(', ')}`) : null,
            h('div', {}, (e.topics ?? []).map((x) => h('span', { class: 'chip' }, x)), (e.rules ?? []).map((r) => h('span', { class: 'chip', title: 'scoring rule' }, `✓ ${r}`))),
          ),
        ),
      ),
    ),
  );
}
