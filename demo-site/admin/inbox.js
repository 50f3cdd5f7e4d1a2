// The sales inbox: handoff alerts from the webhook receiver (GET /alerts, then live over
// server-sent events from /alerts/stream), one card per lead, newest first, with verdict buttons.
//   /admin/inbox/?receiver=http://127.0.0.1:8788   (the default; the receiver allows any origin)
// The receiver decides which alerts show, and their buttons post real verdicts with the stored
// token, so a link cannot pick it: only this page's origin, the local demo receiver, or an origin
// listed in the same-origin /admin/inbox/receivers.json ({ "receivers": ["https://…"] }). Any
// other is refused on the page and never fetched.
// Sign-in is the marketer view's (a sales key, or any credential): the buttons show on a lead only
// when the signed-in key may post verdicts on its site (GET …/me lists the routes it may use).
import { api, getSite, getToken, keySite } from './api.js';
import { may, roleName, whoAmI } from './access.js';
import { fmtAgo, h, notice } from './dom.js';
import { browsersOf, leadCard, leadIdOf } from './inbox-card.js';
import { showSession } from './session-bar.js';
import { signInDialog } from './sign-in.js';

const DEFAULT_RECEIVER = 'http://127.0.0.1:8788';
const ALLOWED_RECEIVERS = [DEFAULT_RECEIVER, 'http://localhost:8788'];
const RECEIVERS_CONFIG = '/admin/inbox/receivers.json';
let receiver = DEFAULT_RECEIVER;
const list = document.getElementById('alerts');
const live = document.getElementById('live');
const status = document.getElementById('inbox-status');
const summary = document.getElementById('inbox-summary');
const baseTitle = document.title;

const seen = new Set();
/** `${site}|${leadId}` -> { site, id, alerts (newest first), el, verdict?, verdictAt?, stage? }; a person's id is its lead id. */
const leads = new Map();
let unseen = 0;

/** `{ origin }` of the receiver `param` names (the default when empty), or `{ refused }` saying why not. */
async function chooseReceiver(param) {
  let origin;
  try {
    const u = new URL(param || DEFAULT_RECEIVER);
    if (!/^https?:$/.test(u.protocol)) return { refused: `"${param}" is not an http(s) URL` };
    origin = u.origin;
  } catch {
    return { refused: `"${param}" is not a URL` };
  }
  if (origin === location.origin || ALLOWED_RECEIVERS.includes(origin)) return { origin };
  const listed = await configuredReceivers();
  if (listed.includes(origin)) return { origin };
  const allowed = [location.origin, ...ALLOWED_RECEIVERS, ...listed].join(', ');
  return { refused: `${origin} is not an allowed receiver (allowed: ${allowed}; add it to ${RECEIVERS_CONFIG} on this site to allow it)` };
}

/** Receiver origins the deployer lists next to this page; none when the file is absent or malformed. */
async function configuredReceivers() {
  try {
    const res = await fetch(RECEIVERS_CONFIG, { cache: 'no-store' });
    if (!res.ok) return [];
    const { receivers } = await res.json();
    if (!Array.isArray(receivers)) return [];
    return receivers.flatMap((r) => {
      try {
        return [new URL(r).origin];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

const newest = (lead) => lead.alerts[0]?.receivedAt ?? 0;
/** Alerts that are not a new reason to call: a verdict itself, a browser joining the lead. */
const NOT_REQUALIFYING = new Set(['lead.verdict', 'lead.merged']);
/** A verdict holds until the lead alerts again (a recycled lead that re-qualifies needs a new one). */
const verdictOf = (lead) => {
  const lastAlert = lead.alerts.find((a) => !NOT_REQUALIFYING.has(a.payload.type))?.receivedAt ?? 0;
  return lead.verdict && lead.verdictAt >= lastAlert ? lead.verdict : null;
};

function add(alert, fresh) {
  const d = alert?.payload?.data;
  if (!alert?.id || seen.has(alert.id) || !d?.visitor?.id) return;
  seen.add(alert.id);
  const id = leadIdOf(alert.payload);
  const key = `${d.site}|${id}`;
  const lead = leads.get(key) ?? { key, site: d.site, id, alerts: [] };
  leads.set(key, lead);
  for (const browser of browsersOf(alert.payload)) absorb(lead, `${d.site}|${browser}`);
  lead.alerts.push(alert);
  lead.alerts.sort((a, b) => b.receivedAt - a.receivedAt);
  if (lead.alerts[0] === alert) lead.stage = d.stage;
  if (alert.payload.type === 'lead.verdict' && d.verdict && alert.receivedAt >= (lead.verdictAt ?? 0)) {
    lead.verdict = d.verdict;
    lead.verdictAt = alert.receivedAt;
  }
  if (fresh && document.hidden) document.title = `(${++unseen}) ${baseTitle}`;
  draw(lead, fresh);
}

/** A browser's card (its alerts from before it joined the person) moves onto the person's card. */
function absorb(lead, key) {
  const browser = leads.get(key);
  if (!browser || browser === lead) return;
  leads.delete(key);
  browser.el?.remove();
  lead.alerts.push(...browser.alerts);
  lead.alerts.sort((a, b) => b.receivedAt - a.receivedAt);
  if (browser.verdict && (browser.verdictAt ?? 0) > (lead.verdictAt ?? 0)) {
    lead.verdict = browser.verdict;
    lead.verdictAt = browser.verdictAt;
  }
}

/** Per site: what the signed-in credential may do there (`me`), or why it may not (`note`); absent while loading. */
const access = new Map();

/** A key names its one site (the API refuses it anywhere else); the instance token reads every site. */
const readable = (site) => !keySite(getToken()) || keySite(getToken()) === site;

/** Loads `me` for a lead's site once per sign-in, then draws that site's cards again. */
function accessFor(site) {
  if (!getToken()) return { note: 'Sign in to accept or reject this lead.' };
  if (!readable(site)) return { note: `Your key belongs to site ${keySite(getToken())}: it cannot post verdicts on site ${site}.` };
  if (!access.has(site)) {
    access.set(site, { note: '' });
    const token = getToken();
    whoAmI(site).then(
      (me) => ({ me, note: may(me, 'POST', '/visitors/:aid/verdict') ? '' : `Your key's role (${roleName(me)}) cannot accept or reject leads.` }),
      (err) => ({ note: `Your key cannot post verdicts on site ${site}: ${err.message}.` }),
    ).then((a) => {
      if (getToken() !== token) return;
      access.set(site, a);
      for (const lead of leads.values()) if (lead.site === site) draw(lead);
    });
  }
  return access.get(site);
}

function draw(lead, fresh = false) {
  const a = accessFor(lead.site);
  const el = leadCard({ ...lead, verdict: verdictOf(lead) }, { onVerdict: a.me && !a.note ? onVerdict : null, verdictNote: a.note, fresh });
  if (lead.el) {
    keepOpenForm(lead.el, el);
    lead.el.replaceWith(el);
  }
  lead.el = el;
  const ordered = [...leads.values()].sort((a, b) => newest(b) - newest(a));
  if (ordered.some((l, i) => list.children[i] !== l.el)) list.replaceChildren(...ordered.map((l) => l.el));
  updateSummary();
}

/**
 * A card is drawn again whenever something about its lead arrives (a new alert, the verdicts list,
 * the key's access): a reject form the rep has open stays open, with what was typed and chosen.
 */
function keepOpenForm(from, to) {
  const open = from.querySelector('form.verdict-form:not([hidden])');
  const next = to.querySelector('form.verdict-form');
  if (!open || !next) return;
  const typing = from.contains(document.activeElement);
  next.hidden = false;
  to.querySelector('.verdict-buttons').hidden = true;
  for (const name of ['reason', 'action']) next.elements.namedItem(name).value = open.elements.namedItem(name).value;
  if (typing) queueMicrotask(() => next.elements.namedItem('reason').focus());
}

async function onVerdict(lead, body) {
  const res = await api(`/visitors/${encodeURIComponent(lead.id)}/verdict`, { method: 'POST', body, site: lead.site });
  lead.verdict = res.verdict;
  lead.verdictAt = Date.now();
  lead.stage = res.visitor?.stage ?? lead.stage;
  draw(lead);
}

function updateSummary() {
  const n = leads.size;
  const alerts = [...leads.values()].reduce((s, l) => s + l.alerts.length, 0);
  const latest = Math.max(0, ...[...leads.values()].map(newest));
  summary.textContent = n ? `${n} lead${n === 1 ? '' : 's'} · ${alerts} alert${alerts === 1 ? '' : 's'} · newest ${fmtAgo(latest)}` : '';
  if (!n && !list.querySelector('.empty')) {
    list.replaceChildren(h('div', { class: 'panel empty muted' }, 'No alerts yet. They arrive here the moment a visitor becomes an MQL or SQL, or requests a demo. Try it: ', h('a', { href: '/demo', target: '_blank' }, 'request a demo on the demo site'), '.'));
  }
}

function setLive(state, text) {
  live.dataset.state = state;
  live.textContent = text;
}

async function loadAll() {
  const res = await fetch(`${receiver}/alerts`);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const { alerts } = await res.json();
  [...alerts].reverse().forEach((a) => add(a, false));
  updateSummary();
}

/** Verdicts and stages recorded earlier (best effort: needs the token and the visitors list API). */
async function loadVerdicts() {
  if (!getToken()) return;
  for (const site of new Set([...leads.values()].map((l) => l.site))) {
    if (!readable(site)) continue;
    try {
      const page = await api('/visitors?sort=lastSeen&limit=100', { site });
      for (const v of page.visitors) {
        const lead = leads.get(`${site}|${v.id}`);
        if (!lead) continue;
        lead.stage = v.stage;
        if (v.verdict) {
          lead.verdict = v.verdict;
          lead.verdictAt = (typeof v.verdict.at === 'number' ? v.verdict.at : Date.parse(v.verdict.at)) || newest(lead);
        }
        draw(lead);
      }
    } catch {
      /* the inbox works without it */
    }
  }
}

function connect() {
  const stream = new EventSource(`${receiver}/alerts/stream`);
  let dropped = false;
  stream.onopen = () => {
    setLive('live', `live · ${receiver.replace(/^https?:\/\//, '')}`);
    notice(status, 'info', '');
    // After a reconnect, fetch the list again: alerts may have arrived while we were away.
    if (dropped) loadAll().catch(() => {});
  };
  stream.onmessage = (e) => {
    try {
      add(JSON.parse(e.data), true);
    } catch {
      /* not an alert */
    }
  };
  stream.onerror = () => {
    dropped = true;
    setLive(stream.readyState === EventSource.CLOSED ? 'down' : 'connecting', stream.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…');
  };
}

/** After a sign-in or sign-out: who is signed in, the links they may open, and every card's buttons. */
function refreshSession() {
  access.clear();
  const site = keySite(getToken()) ?? getSite();
  const show = (me) => showSession(me, { signIn: () => auth.ask(), signOut: () => auth.signOut() });
  show(null);
  if (getToken()) whoAmI(site).then(show, () => show(null));
  for (const lead of leads.values()) draw(lead);
}
const auth = signInDialog({
  onSignedIn: () => {
    refreshSession();
    loadVerdicts();
  },
  onSignedOut: refreshSession,
});
refreshSession();
if (!getToken()) auth.ask();
addEventListener('visibilitychange', () => {
  if (!document.hidden) {
    unseen = 0;
    document.title = baseTitle;
  }
});

async function start() {
  const choice = await chooseReceiver(new URLSearchParams(location.search).get('receiver'));
  if (choice.refused) {
    setLive('down', 'receiver refused');
    notice(status, 'error', `Refused to read alerts: ${choice.refused}. A link cannot choose where this inbox's alerts come from.`);
    return;
  }
  receiver = choice.origin;
  setInterval(() => {
    list.querySelectorAll('time[data-ago]').forEach((t) => (t.textContent = fmtAgo(Number(t.dataset.ago))));
    updateSummary();
  }, 30_000);

  // The stream first, then the list, so nothing that arrives in between is missed (ids dedupe).
  connect();
  loadAll()
    .then(loadVerdicts)
    .catch((err) => {
      setLive('down', 'receiver unreachable');
      notice(status, 'error', `Cannot reach the webhook receiver at ${receiver} (${err.message}). It runs with \`npm start\`; pass ?receiver=<url> to use another allowed one.`);
      updateSummary();
    });
}

start();
