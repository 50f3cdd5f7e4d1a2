// A person on the lead page (one lead across browsers, README "People"): its browsers, how each was
// linked, what each may see, its identifiers and conflicts, and "Split off" for a browser when the
// signed-in key's role may use POST …/people/:id/split. The timeline names each entry's browser
// with the labels of this list ("Browser 1", "Browser 2"…).
import { fmtAgo, fmtTime, h, stageBadge } from './dom.js';

export const FOLDED = 'folded';

const LINKED_BY = {
  claimed: ['claimed', 'It named the identifier itself (an identify on the page): its events count, it is shown only its own.'],
  verified: ['verified', 'Proved: it landed through an email link token, or identified in a beacon sent with a server key.'],
  userId: ['userId', "Linked by the site's own account id (identify's userId)."],
  folded: ['folded', 'Older browsers past the limit of browsers per person, kept as one part.'],
};

/** "Browser 1", "Browser 2"… in the order of the person's list; the folded part is "Folded". */
export function browserLabels(person) {
  const labels = new Map();
  let n = 0;
  for (const b of person?.browsers ?? []) labels.set(b.anonymousId, b.anonymousId === FOLDED ? 'Folded' : `Browser ${++n}`);
  return labels;
}

/** The label of a timeline entry's browser: its place in the list, else the first 8 characters of its id. */
export const browserLabel = (labels, id) => labels.get(id) ?? (id ? shortId(id) : '');

export const shortId = (id) => (id.length > 10 ? `${id.slice(0, 8)}…` : id);

/** "seen on 3 browsers", or '' for one. */
export const seenOn = (count) => (count > 1 ? `seen on ${count} browsers` : '');

/**
 * A user agent as people say it.
 * @example shortUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) … Version/17.4 Mobile/15E148 Safari/604.1') // 'Safari 17 on iOS'
 */
export function shortUserAgent(ua) {
  if (!ua) return '';
  const browser =
    version(ua, /Edg(?:e|A|iOS)?\/(\d+)/, 'Edge') ??
    version(ua, /OPR\/(\d+)/, 'Opera') ??
    version(ua, /SamsungBrowser\/(\d+)/, 'Samsung Internet') ??
    version(ua, /(?:Firefox|FxiOS)\/(\d+)/, 'Firefox') ??
    version(ua, /(?:Chrome|CriOS)\/(\d+)/, 'Chrome') ??
    (/Safari\//.test(ua) ? version(ua, /Version\/(\d+)/, 'Safari') : null);
  const os = /iPhone|iPad|iPod/.test(ua) ? 'iOS' : /Android/.test(ua) ? 'Android' : /CrOS/.test(ua) ? 'ChromeOS' : /Mac OS X|Macintosh/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : null;
  if (browser && os) return `${browser} on ${os}`;
  if (browser || os) return browser ?? os;
  return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
}

function version(ua, pattern, name) {
  const m = pattern.exec(ua);
  return m ? `${name} ${m[1]}` : null;
}

/** "email: ana@acme.io" from the stored key "email:ana@acme.io". */
export const identifierText = (key) => {
  const at = key.indexOf(':');
  return at < 0 ? key : `${key.slice(0, at)}: ${key.slice(at + 1)}`;
};

/**
 * The Browsers panel. `openedAs`: the browser id the page was opened with, when it was not the
 * person's; `onSplit(anonymousId)` detaches a browser (absent: the role may not).
 */
export function browsersPanel(person, { openedAs, onSplit, visitorHref } = {}) {
  const labels = browserLabels(person);
  const splittable = onSplit && person.browsers.length > 1;
  const status = h('div', { id: 'browsers-status', hidden: true });

  async function split(b, button) {
    if (button.dataset.confirm !== '1') {
      button.dataset.confirm = '1';
      button.textContent = `Split ${labels.get(b.anonymousId)} off? Its events leave this lead`;
      return;
    }
    button.disabled = true;
    try {
      await onSplit(b.anonymousId);
    } catch (err) {
      button.disabled = false;
      status.className = 'notice notice-error';
      status.textContent = `Could not split ${b.anonymousId} off: ${err.message}`;
      status.hidden = false;
    }
  }

  const row = (b) => {
    const folded = b.anonymousId === FOLDED;
    const [linked, why] = LINKED_BY[b.linkedBy] ?? [b.linkedBy, ''];
    return h(
      'tr',
      { dataset: { browser: b.anonymousId, linkedBy: b.linkedBy }, class: b.anonymousId === openedAs ? 'opened' : null },
      h('td', { class: 'who' }, h('b', {}, labels.get(b.anonymousId)), folded ? h('small', {}, `${b.foldedCount ?? 0} older browsers folded together (can no longer be split)`) : h('small', { class: 'mono', title: b.anonymousId }, shortId(b.anonymousId))),
      h('td', {}, h('span', { class: `chip linked linked-${b.linkedBy}`, title: why }, linked), h('br'), h('small', { title: fmtTime(b.linkedAt) }, `linked ${fmtAgo(b.linkedAt)}`)),
      h('td', {}, b.verified ? h('span', { class: 'verified', title: 'Shown the person (CTAs, stage, score)' }, '✓ verified') : h('small', { class: 'muted', title: 'Shown only what this browser did itself' }, 'not verified')),
      h('td', { title: fmtTime(b.firstSeen) }, fmtAgo(b.firstSeen)),
      h('td', { title: fmtTime(b.lastSeen) }, fmtAgo(b.lastSeen)),
      h('td', { title: b.userAgent ?? '' }, shortUserAgent(b.userAgent) || h('span', { class: 'muted' }, '–')),
      h('td', {}, stageBadge(b.stage)),
      h('td', { class: 'num' }, String(b.eventCount)),
      h('td', {}, splittable && !folded ? h('button', { class: 'btn btn-small btn-bad split', type: 'button', onclick: (e) => split(b, e.currentTarget) }, 'Split off') : null),
    );
  };

  const opened = openedAs && labels.has(openedAs) ? h('p', { class: 'notice notice-info', id: 'opened-as' }, `You opened browser ${openedAs}: it is ${labels.get(openedAs)} of this person, whose lead page this is.`) : null;
  return h(
    'section',
    { class: 'panel', id: 'browsers' },
    h('div', { class: 'panel-head' }, h('h2', {}, 'Browsers'), h('span', { class: 'muted' }, `${person.browserCount} browser${person.browserCount === 1 ? '' : 's'} · one score, one stage, one timeline; each browser is shown only its own events until verified`)),
    opened,
    status,
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ['Browser', 'Linked', 'Shown', 'First seen', 'Last seen', 'Device', 'Own stage'].map((t) => h('th', {}, t)), h('th', { class: 'num' }, 'Events'), h('th', {}))),
      h('tbody', {}, person.browsers.map(row)),
    ),
    h('p', { id: 'identifiers' }, 'Identifiers: ', person.identifiers.length ? person.identifiers.map((k) => h('span', { class: 'chip mono' }, identifierText(k))) : h('span', { class: 'muted' }, 'none')),
    person.conflicts.length
      ? h(
          'div',
          { id: 'conflicts' },
          h('h3', {}, `Conflicts (${person.conflicts.length})`),
          h(
            'ul',
            {},
            person.conflicts.map((c) =>
              h('li', {}, h('small', { class: 'muted' }, `${fmtTime(c.at)} · `), h('span', { class: 'mono' }, identifierText(c.identifier)), `: ${c.reason}`, c.otherPerson ? [' · other person ', visitorHref ? h('a', { href: visitorHref(c.otherPerson), class: 'mono' }, c.otherPerson) : h('span', { class: 'mono' }, c.otherPerson)] : null),
            ),
          ),
        )
      : null,
  );
}

/**
 * What the site's identity counters say (since the site began): why browsers were not linked into
 * one person. Blocked values and the daily limit keep placeholders and shared kiosks from pulling
 * strangers together; bad tokens are old or altered email links; conflicts are two userIds.
 */
export function identityLines(identity) {
  const n = (k) => identity[k] ?? 0;
  const total = n('blocked') + n('dailyLimit') + n('badToken') + n('conflict');
  if (total === 0) return ['No link between browsers was refused.'];
  const plural = (count, one, many) => `${count} ${count === 1 ? one : many}`;
  return [
    n('blocked') && `${plural(n('blocked'), 'identify', 'identifies')} named a placeholder (blocked value), not linked.`,
    n('dailyLimit') && `${plural(n('dailyLimit'), 'browser', 'browsers')} over an identifier's daily link limit (identity.linksPerDay), not linked.`,
    n('badToken') && `${plural(n('badToken'), 'email link token was', 'email link tokens were')} bad or expired, ignored.`,
    n('conflict') && `${plural(n('conflict'), 'identifier', 'identifiers')} owned by a lead with another userId, not merged.`,
  ].filter(Boolean);
}
