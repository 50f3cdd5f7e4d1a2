// Webhook deliveries of one visitor: status, every attempt (status, latency, error), and a
// "redeliver" button for the ones that gave up (same webhook-id, so receivers can dedupe).
import { api } from './api.js';
import { fmtTime, h, notice } from './dom.js';

const REDELIVERABLE = new Set(['failed', 'cancelled']);

/** `canRedeliver`: may the signed-in key send a delivery again (its role's routes)? */
export function renderDeliveries(visitorId, deliveries, reload, canRedeliver = true) {
  const status = h('div', { hidden: true });
  const list = [...deliveries].sort((a, b) => b.createdAt - a.createdAt);

  async function redeliver(d, button) {
    button.disabled = true;
    try {
      await api(`/visitors/${encodeURIComponent(visitorId)}/deliveries/${encodeURIComponent(d.id)}/redeliver`, { method: 'POST' });
      notice(status, 'ok', `Delivery ${d.id} queued again; refreshing…`);
      setTimeout(reload, 1200);
    } catch (err) {
      button.disabled = false;
      notice(status, 'error', `Could not redeliver: ${err.message}`);
    }
  }

  const rows = list.map((d) =>
    h(
      'tbody',
      { dataset: { delivery: d.id, status: d.status } },
      h(
        'tr',
        {},
        h('td', {}, h('b', {}, d.type), h('br'), h('small', { class: 'mono' }, d.id)),
        h('td', { class: 'mono' }, d.endpoint),
        h('td', {}, h('span', { class: `status-${d.status}` }, d.status), d.lastStatus != null ? h('small', {}, ` (HTTP ${d.lastStatus})`) : null),
        h('td', { class: 'num' }, String(d.attempts)),
        h('td', {}, fmtTime(d.createdAt), h('br'), h('small', {}, d.deliveredAt ? `delivered ${fmtTime(d.deliveredAt)}` : d.nextAttemptAt ? `next attempt ${fmtTime(d.nextAttemptAt)}` : '')),
        h('td', {}, canRedeliver && REDELIVERABLE.has(d.status) ? h('button', { class: 'btn btn-small', type: 'button', onclick: (e) => redeliver(d, e.currentTarget) }, 'Redeliver') : null),
      ),
      h(
        'tr',
        {},
        h(
          'td',
          { colspan: 6, style: 'padding-top:0' },
          h(
            'details',
            {},
            h('summary', { class: 'muted' }, `${d.log.length} attempt${d.log.length === 1 ? '' : 's'}${d.lastError ? ` · last error: ${d.lastError}` : ''}`),
            h(
              'table',
              {},
              h('thead', {}, h('tr', {}, h('th', { class: 'num' }, '#'), h('th', {}, 'At'), h('th', {}, 'Status'), h('th', { class: 'num' }, 'Latency'), h('th', {}, 'Error'))),
              h(
                'tbody',
                {},
                d.log.map((a) =>
                  h(
                    'tr',
                    {},
                    h('td', { class: 'num' }, String(a.attempt)),
                    h('td', {}, fmtTime(a.at)),
                    h('td', {}, a.status == null ? 'no response' : String(a.status)),
                    h('td', { class: 'num' }, a.latencyMs == null ? '–' : `${a.latencyMs} ms`),
                    h('td', { class: 'mono' }, a.error ?? ''),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );

  return h(
    'section',
    { class: 'panel', id: 'deliveries' },
    h('div', { class: 'panel-head' }, h('h2', {}, 'Webhook deliveries'), h('span', { class: 'muted' }, `${list.length} for this visitor`)),
    status,
    list.length
      ? h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Alert'), h('th', {}, 'Webhook'), h('th', {}, 'Status'), h('th', { class: 'num' }, 'Attempts'), h('th', {}, 'Created'), h('th', {}))), rows)
      : h('p', { class: 'muted' }, 'No webhook has fired for this visitor yet (alerts go out on MQL, SQL and demo requests).'),
  );
}
