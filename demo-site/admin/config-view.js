// Rules and CTAs: the site config as JSON. Save is a PUT (a new version); the API's validation
// issues are listed by path and their lines highlighted; any earlier version can be restored.
import { api, ApiError } from './api.js';
import { codeEditor } from './code-editor.js';
import { fmtTime, h, notice } from './dom.js';
import { lineOfPath, pathLines, syntaxErrorLine } from './json-lines.js';

const STARTER = { allowedOrigins: [], scoring: { behavior: [], fit: [] }, ctas: {}, webhooks: [] };

export async function renderConfig(root, { site, stale, can = () => true }) {
  let current = null;
  try {
    current = await api('');
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'unknown_site')) throw err;
  }
  if (stale()) return;

  const editor = codeEditor(JSON.stringify(current?.config ?? STARTER, null, 2), `Config of site ${site} (JSON)`);
  const status = h('div', { id: 'config-status', hidden: true });
  const issues = h('div', { id: 'config-issues', hidden: true });
  const restagePanel = h('section', { class: 'notice notice-info', id: 'config-restage', hidden: true });
  const note = h('input', { type: 'text', name: 'note', placeholder: 'what changed (optional)', size: 32, maxlength: 200 });
  const heading = h('span', { class: 'muted', id: 'config-version' });
  const versions = h('section', { class: 'panel', id: 'config-versions' });
  const setHeading = (c) => (heading.textContent = c ? `version ${c.version} · saved ${fmtTime(c.savedAt)}${c.note ? ` · “${c.note}”` : ''}` : 'no config yet: save one to create the site');
  setHeading(current);

  function showIssues(list, text) {
    const map = pathLines(text);
    const located = list.map((i) => (i.line ? { ...i, exact: true } : { ...i, ...lineOfPath(map, i.path ?? '') }));
    editor.mark(located.map((i) => i.line));
    issues.replaceChildren(
      h('h3', {}, `${list.length} problem${list.length === 1 ? '' : 's'}: nothing was saved`),
      h(
        'ul',
        { class: 'issues' },
        located.map((i) =>
          h('li', { dataset: { path: i.path ?? '' } }, h('button', { type: 'button', onclick: () => editor.goTo(i.line), title: `Go to line ${i.line}` }, h('code', {}, i.path || '(document)'), ` line ${i.line}${i.exact ? '' : ' (the field is missing here)'}: `, i.message)),
        ),
      ),
    );
    issues.className = 'notice notice-error';
    issues.hidden = false;
    if (located[0]) editor.goTo(located[0].line);
  }
  const clearIssues = () => {
    issues.hidden = true;
    editor.mark([]);
  };

  async function save(button) {
    const text = editor.value;
    clearIssues();
    notice(status, 'info', '');
    try {
      JSON.parse(text);
    } catch (err) {
      const line = syntaxErrorLine(err.message, text) ?? 1;
      return showIssues([{ path: '', line, message: `not valid JSON: ${err.message}` }], text);
    }
    button.disabled = true;
    try {
      const restage = await askRestage(text);
      if (restage === 'cancel') return notice(status, 'info', 'Not saved.');
      const query = new URLSearchParams({ ...(note.value.trim() ? { note: note.value.trim() } : {}), ...(restage ? { restage } : {}) }).toString();
      // If-Match: a save over a version this editor never saw (another tab, a webhook a 410 turned off) is refused.
      const saved = await api(query ? `?${query}` : '', { method: 'PUT', body: text, ifMatch: current?.version });
      current = saved;
      editor.value = JSON.stringify(saved.config, null, 2);
      note.value = '';
      setHeading({ ...saved, note: null });
      const pass = saved.restage
        ? ` Existing leads are being re-staged in the background (${saved.restage.total} in the index, about 25 a second, ${saved.restage.alert ? 'alerting sales' : 'quietly: no webhooks'}).`
        : '';
      notice(status, 'ok', `Saved version ${saved.version}. It takes effect on the next beacon (every isolate within 2 seconds).${pass}`);
      await loadVersions();
    } catch (err) {
      if (err instanceof ApiError && err.issues.length) showIssues(err.issues, text);
      else notice(status, 'error', `Not saved: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  }

  /**
   * Before a save that changes thresholds or scoring: how many existing leads it moves (the API's
   * preview, from the leads index), and whether those leads should alert sales. Resolves to
   * 'alert', 'quiet', 'cancel', or null when there is nothing to ask.
   */
  async function askRestage(text) {
    if (!current || !can('POST', '/config/preview')) return null;
    let preview;
    try {
      preview = await api('/config/preview', { method: 'POST', body: text });
    } catch (err) {
      // The save itself reports what is wrong with the document.
      if (err instanceof ApiError && err.status === 400) return null;
      throw err;
    }
    if (!preview.changesStaging || preview.leads === 0) return null;
    const moves = preview.moves.map((m) => `${m.leads} ${m.from} → ${m.to}`).join(', ');
    return new Promise((resolve) => {
      const done = (choice) => {
        restagePanel.hidden = true;
        resolve(choice);
      };
      restagePanel.replaceChildren(
        h('h3', {}, `This save makes ${preview.leads} existing lead${preview.leads === 1 ? '' : 's'} move: ${moves}`),
        h('p', { class: 'muted' }, `Estimated from the leads index (${preview.indexed} leads; scores at most a day old). After the save every lead is re-scored exactly, about 25 a second.`),
        h(
          'div',
          { class: 'row' },
          h('button', { class: 'btn btn-primary', type: 'button', id: 'restage-alert', onclick: () => done('alert') }, 'Save and alert sales'),
          h('button', { class: 'btn', type: 'button', id: 'restage-quiet', onclick: () => done('quiet') }, 'Save quietly (no webhooks)'),
          h('button', { class: 'btn', type: 'button', id: 'restage-cancel', onclick: () => done('cancel') }, 'Cancel'),
        ),
      );
      restagePanel.hidden = false;
    });
  }

  async function restore(version, button) {
    if (button.dataset.confirm !== '1') {
      button.dataset.confirm = '1';
      button.textContent = `Restore v${version}?`;
      button.classList.add('btn-bad');
      return;
    }
    button.disabled = true;
    try {
      const restored = await api(`/config/versions/${version}/restore`, { method: 'POST', ifMatch: current?.version });
      current = await api('');
      editor.value = JSON.stringify(current.config, null, 2);
      clearIssues();
      setHeading(current);
      notice(status, 'ok', `Restored version ${version} as version ${restored.version}. It takes effect on the next beacon.`);
      await loadVersions();
    } catch (err) {
      button.disabled = false;
      notice(status, 'error', `Could not restore: ${err.message}`);
    }
  }

  async function loadVersions() {
    let list = [];
    try {
      list = current ? (await api('/config/versions')).versions : [];
    } catch (err) {
      versions.replaceChildren(h('h2', {}, 'Versions'), h('p', { class: 'notice notice-error' }, err.message));
      return;
    }
    const sorted = [...list].sort((a, b) => b.version - a.version);
    versions.replaceChildren(
      h('h2', {}, 'Versions'),
      sorted.length
        ? h(
            'table',
            {},
            h('tbody', {}, sorted.map((v) =>
              h(
                'tr',
                { dataset: { version: v.version } },
                h('td', { class: 'num' }, h('b', {}, `v${v.version}`)),
                h('td', {}, fmtTime(v.savedAt), h('br'), h('small', {}, v.note ?? '')),
                h('td', { class: 'num' }, v.version === current?.version ? h('span', { class: 'muted' }, 'current') : !can('POST', '/config/versions/:version/restore') ? null : h('button', { class: 'btn btn-small', type: 'button', onclick: (e) => restore(v.version, e.currentTarget) }, 'Restore')),
              ),
            )),
          )
        : h('p', { class: 'muted' }, 'No versions yet.'),
    );
  }

  const saveButton = h('button', { class: 'btn btn-primary', type: 'button', onclick: (e) => save(e.currentTarget), hidden: !can('PUT', '') }, 'Save');
  root.replaceChildren(
    h(
      'div',
      { class: 'cols', style: 'grid-template-columns:minmax(0,2.2fr) minmax(240px,1fr)' },
      h(
        'section',
        { class: 'panel stack' },
        h('div', { class: 'panel-head' }, h('h2', {}, `Rules and CTAs · ${site}`), heading),
        h('p', { class: 'muted', style: 'margin:0' }, 'Scoring rules, stage thresholds, CTAs per slot and webhooks. Webhook secrets are masked; saving the mask keeps the stored secret. Reference: ', h('a', { href: '/v1/config.schema.json', target: '_blank' }, 'JSON Schema'), '.'),
        issues,
        editor.el,
        h(
          'div',
          { class: 'row' },
          saveButton,
          note,
          h('button', { class: 'btn', type: 'button', onclick: () => formatText(editor, status) }, 'Format'),
          h('button', { class: 'btn', type: 'button', onclick: () => ((editor.value = JSON.stringify(current?.config ?? STARTER, null, 2)), clearIssues()) }, 'Revert'),
        ),
        restagePanel,
        status,
      ),
      versions,
    ),
  );
  await loadVersions();
}

function formatText(editor, status) {
  try {
    editor.value = JSON.stringify(JSON.parse(editor.value), null, 2);
  } catch (err) {
    notice(status, 'error', `Cannot format: not valid JSON (${err.message})`);
  }
}
