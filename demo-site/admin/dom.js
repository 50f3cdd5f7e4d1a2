// DOM and formatting helpers for the marketer view and the sales inbox. Every value that came from a
// visitor (traits, titles, paths) reaches the page as text nodes, never as HTML.

/**
 * Builds an element: `h('a', { href: '#/x', class: 'row', onclick }, 'text', child)`.
 * Props starting with "on" become listeners; `null`/`false` props and children are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** SVG element with attributes (the funnel chart). */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) el.setAttribute(k, String(v));
  for (const c of children) if (c != null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const toDate = (t) => (t == null || t === '' ? null : new Date(typeof t === 'number' ? t : String(t)));

/** "23 Nov, 10:42:05" in the viewer's locale, or "–". */
export function fmtTime(t) {
  const d = toDate(t);
  if (!d || Number.isNaN(d.getTime())) return '–';
  return d.toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

/** "just now", "5 min ago", "3 h ago", "2 d ago". */
export function fmtAgo(t, now = Date.now()) {
  const d = toDate(t);
  if (!d || Number.isNaN(d.getTime())) return '–';
  const sec = Math.round((now - d.getTime()) / 1000);
  if (sec < 45) return 'just now';
  if (sec < 3600) return `${Math.round(sec / 60)} min ago`;
  if (sec < 86400) return `${Math.round(sec / 3600)} h ago`;
  return `${Math.round(sec / 86400)} d ago`;
}

export const fmtNum = (n, digits = 1) => (typeof n === 'number' ? String(Math.round(n * 10 ** digits) / 10 ** digits) : '–');
export const fmtPoints = (n) => (typeof n === 'number' ? (n > 0 ? `+${fmtNum(n)}` : fmtNum(n)) : '–');
export const fmtRate = (r) => (typeof r === 'number' ? `${Math.round(r * 1000) / 10}%` : '–');

export const STAGE_LABELS = { anonymous: 'Anonymous', known: 'Known', mql: 'MQL', sql: 'SQL', sal: 'SAL', disqualified: 'Disqualified' };

export const stageBadge = (stage) => h('span', { class: `stage stage-${stage}` }, STAGE_LABELS[stage] ?? stage);

/** The person a profile or payload describes: "Ana Lima", else the email, else the id. */
export const displayName = (traits, id) => traits?.name || [traits?.firstName, traits?.lastName].filter(Boolean).join(' ') || traits?.email || id;

/** A status line: `notice(el, 'error', 'text')`; an empty text clears it. */
export function notice(el, kind, text) {
  el.className = `notice notice-${kind}`;
  el.textContent = text;
  el.hidden = !text;
}

/** A link to a visitor page of the marketer view. */
export const visitorHref = (site, id) => `/admin/?site=${encodeURIComponent(site)}#/visitor/${encodeURIComponent(id)}`;
