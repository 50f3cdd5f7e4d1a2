// Calibration: learn points per rule from leads that converted (POST …/calibrate), review the
// proposal as figures, a rule table and a diff of the config, then apply it as a new version (one
// click back) or discard it. Nothing changes until "Apply".
import { api, ApiError } from './api.js';
import { configDiff } from './calibration-diff.js';
import { fmtNum, fmtPoints, fmtRate, fmtTime, h, notice } from './dom.js';

export async function renderCalibration(root, { site, stale, can = () => true }) {
  const summary = await api('/training').catch((err) => {
    if (err instanceof ApiError && err.code === 'unknown_site') return null;
    throw err;
  });
  if (stale()) return;
  if (!summary) return root.replaceChildren(h('div', { class: 'notice notice-info' }, `Site "${site}" has no config yet.`));

  const status = h('div', { hidden: true });
  const result = h('div', { class: 'stack' });
  const field = (name, label, value, attrs = {}) => h('label', {}, `${label} `, h('input', { name, type: 'number', value, size: 5, ...attrs }));
  const form = h(
    'form',
    { class: 'row', onsubmit: (e) => (e.preventDefault(), run(e.currentTarget)) },
    field('mql', 'MQL precision', 0.5, { min: 0.01, max: 0.99, step: 0.01 }),
    field('sql', 'SQL precision', 0.8, { min: 0.01, max: 0.99, step: 0.01 }),
    field('seed', 'Seed', 1, { min: 0, step: 1 }),
    field('maxNewRules', 'New rules at most', 10, { min: 0, max: 20, step: 1 }),
    h('button', { class: 'btn btn-primary', type: 'submit' }, 'Calibrate'),
  );

  async function run(formEl) {
    const v = (k) => Number(formEl.elements[k].value);
    const button = formEl.querySelector('button');
    button.disabled = true;
    notice(status, 'info', 'Fitting on the labelled leads…');
    result.replaceChildren();
    try {
      const [r, current] = await Promise.all([
        api('/calibrate', { method: 'POST', body: { targetPrecision: { mql: v('mql'), sql: v('sql') }, seed: v('seed'), maxNewRules: v('maxNewRules') } }),
        api(''),
      ]);
      notice(status, 'info', '');
      showResult(r, current);
    } catch (err) {
      notice(status, 'error', err instanceof ApiError && err.status === 422 ? `Cannot calibrate yet: ${err.message}` : `Calibration failed: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  }

  function showResult(r, current) {
    const e = r.evaluation;
    const pair = (label, a, b, fmt, better) => h('tr', {}, h('th', {}, label), h('td', { class: 'num' }, fmt(a)), h('td', { class: 'num' }, h('b', { style: better(a, b) ? 'color:var(--ok, #15803d)' : null }, fmt(b))));
    const hi = (a, b) => a != null && b != null && b > a;
    const lo = (a, b) => a != null && b != null && b < a;
    const figures = h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {}, `${e.rows} held-out leads (${e.positives} converted)`), h('th', { class: 'num' }, `current v${r.basedOnVersion}`), h('th', { class: 'num' }, 'proposed'))),
      h(
        'tbody',
        {},
        pair('AUC', e.current.auc, e.proposed.auc, (x) => fmtNum(x, 3), hi),
        pair('log-loss', e.current.logLoss, e.proposed.logLoss, (x) => fmtNum(x, 3), lo),
        pair('MQL precision', e.current.mql.precision, e.proposed.mql.precision, fmtRate, hi),
        pair('MQL recall', e.current.mql.recall, e.proposed.mql.recall, fmtRate, hi),
        pair('SQL precision', e.current.sql.precision, e.proposed.sql.precision, fmtRate, hi),
        pair('SQL recall', e.current.sql.recall, e.proposed.sql.recall, fmtRate, hi),
      ),
    );
    const rules = h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {}, 'rule'), h('th', { class: 'num' }, 'now'), h('th', { class: 'num' }, 'proposed'), h('th', {}, 'why'), h('th', { class: 'num' }, 'leads'))),
      h('tbody', {}, r.rules.map((x) =>
        h(
          'tr',
          { dataset: { rule: x.id, status: x.status } },
          h('td', {}, h('code', {}, x.id), h('br'), h('small', {}, x.description ?? (x.kind === 'fit' ? 'fit rule' : 'behaviour rule'))),
          h('td', { class: 'num' }, x.currentPoints == null ? '–' : fmtPoints(x.currentPoints)),
          h('td', { class: 'num' }, h('b', {}, fmtPoints(x.proposedPoints))),
          h('td', {}, STATUS[x.status] ?? x.status),
          h('td', { class: 'num' }, x.support),
        ),
      )),
    );
    const t = r.thresholds;
    const thresholds = h('p', {}, `Thresholds: MQL ${t.mql.current} → `, h('b', {}, t.mql.proposed), ` (target ${fmtRate(t.mql.targetPrecision)}${t.mql.met ? '' : ', not reached'}), SQL ${t.sql.current} → `, h('b', {}, t.sql.proposed), ` (target ${fmtRate(t.sql.targetPrecision)}${t.sql.met ? '' : ', not reached'}).`);
    const diff = h('pre', { class: 'mono', style: 'max-height:420px;overflow:auto;font-size:12px;margin:0' }, configDiff(current.config, r.proposal).map((d) =>
      d.op === '…' ? h('div', { class: 'muted' }, `  … ${d.skipped} unchanged lines`) : h('div', { style: d.op === '+' ? 'background:#dcfce7' : d.op === '-' ? 'background:#fee2e2' : null }, `${d.op} ${d.line}`),
    ));
    const applied = h('div', { hidden: true });
    const apply = h('button', { class: 'btn btn-primary', type: 'button', onclick: () => applyProposal(r, apply, applied), hidden: !can('PUT', '') }, 'Apply as a new version');
    const discard = h('button', { class: 'btn', type: 'button', onclick: () => (result.replaceChildren(), notice(status, 'info', 'Proposal discarded: nothing changed.')) }, 'Discard');
    result.replaceChildren(
      h('section', { class: 'panel stack' }, h('h2', {}, 'Held-out figures'), figures, thresholds, r.notes.length ? h('ul', { class: 'muted' }, r.notes.map((n) => h('li', {}, n))) : null),
      h('section', { class: 'panel stack' }, h('h2', {}, 'Points per rule'), rules),
      h('section', { class: 'panel stack' }, h('h2', {}, 'Config diff'), diff, h('div', { class: 'row' }, apply, discard), applied),
    );
  }

  async function applyProposal(r, button, out) {
    button.disabled = true;
    try {
      const now = await api('');
      if (now.version !== r.basedOnVersion) throw new Error(`the config changed since the calibration (v${r.basedOnVersion} → v${now.version}): calibrate again`);
      const saved = await api(`?note=${encodeURIComponent(`calibration (seed ${r.settings.seed}) of v${r.basedOnVersion}`)}`, { method: 'PUT', body: r.proposal });
      const back = h('button', { class: 'btn btn-bad', type: 'button', onclick: (e) => rollback(r.basedOnVersion, e.currentTarget, out) }, `Roll back to v${r.basedOnVersion}`);
      out.replaceChildren(`Applied as version ${saved.version} (${fmtTime(saved.savedAt)}); it scores the next beacons. `, back);
      out.className = 'notice notice-ok';
      out.hidden = false;
    } catch (err) {
      button.disabled = false;
      notice(out, 'error', `Not applied: ${err.message}`);
    }
  }

  async function rollback(version, button, out) {
    button.disabled = true;
    try {
      const restored = await api(`/config/versions/${version}/restore`, { method: 'POST' });
      notice(out, 'ok', `Rolled back: version ${version} is current again (saved as version ${restored.version}).`);
    } catch (err) {
      button.disabled = false;
      notice(out, 'error', `Could not roll back: ${err.message}`);
    }
  }

  const s = summary.bySource;
  root.replaceChildren(
    h(
      'section',
      { class: 'panel stack' },
      h('div', { class: 'panel-head' }, h('h2', {}, `Calibration · ${site}`), h('span', { class: 'muted' }, `${summary.rows} labelled leads (cap ${summary.cap})`)),
      h('p', { class: 'muted', style: 'margin:0' }, `Won ${s.won} · lost ${s.lost} · accepted by sales ${s.accepted} (weak positive) · disqualified ${s.disqualified} · imported ${summary.byOrigin.import}. Label leads with an outcome (won/lost) or import history (npm run import); then calibrate: points per rule learned from who converted, thresholds for the precision you want. Nothing changes until you apply.`),
      form,
      status,
    ),
    result,
  );
}

const STATUS = {
  new: 'new rule: it carries weight in the leads that converted (or did not)',
  changed: 'learned from outcomes',
  unchanged: 'the data agrees',
  'no-data': 'no labelled lead has it: kept',
  'no-signal': 'every labelled lead has it the same way: kept',
};
