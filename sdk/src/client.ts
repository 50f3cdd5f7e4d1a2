/**
 * `createClient`: wires identity, queue, transport, capture and slots into the public API.
 * Every method is wrapped so nothing ever throws into the host page.
 */
import type { EventInput } from '../../worker/schema/events';
import type { CollectResponse } from '../../worker/schema/responses';
import { watchClicks } from './capture-clicks';
import { readForm, watchForms } from './capture-forms';
import { watchRoutes } from './capture-pages';
import { BATCH_SIZE, BATCH_WAIT_MS, MAX_HIDE_MS, MAX_QUEUE, resolveConfig } from './config';
import { DEBUG, log, setDebug, warn } from './debug';
import { isUrgent, pageFields, trackKind, type EventKind } from './events';
import { createIdentity } from './identity';
import { uuid } from './ids';
import { LIMITS } from './limits';
import { privacyBlocked } from './privacy';
import { createQueue } from './queue';
import { safe } from './safe';
import { cleanProps, cleanTraits, cleanUserId } from './sanitize';
import { fillSlots, hideSlots } from './slots';
import { webStorage } from './storage';
import { filterParams, routeKey } from './urls';
import { pageTopics } from './topics';
import { createTransport } from './transport';
import type { Decision, LeadEdge, LeadEdgeConfig, Props, Traits } from './types';
import { VERSION } from './version';

const CONSENT = 'le_consent';
/** The query parameter of an email link's token (marketing adds `?le_t=<token>` to links). */
const LINK_PARAM = 'le_t';
const MAX_EVENT_CHARS = 16_000;

/**
 * @example const le = createClient({ site: 'demo', endpoint: 'https://le.example.com' }); le.track('pricing_calculator')
 */
export function createClient(input: LeadEdgeConfig): LeadEdge {
  const cfg = resolveConfig(input);
  setDebug(cfg.debug);
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  const blocked = privacyBlocked(nav.globalPrivacyControl, nav.doNotTrack, cfg);
  const kv = webStorage(cfg.cookieless ? 'sessionStorage' : 'localStorage');
  const saved = blocked ? null : kv.get(CONSENT);
  /** '1' granted, '0' denied (both remembered), '' pending (consent required, not given yet). */
  let consent = saved === '0' ? '0' : cfg.consent === 'required' && saved !== '1' ? '' : '1';
  /** Capture at all (held in memory while consent is pending). */
  const active = () => !blocked && consent !== '0';
  /** Store and send. */
  const canStore = () => !blocked && consent === '1';
  const decisionKey = `le_decision_${cfg.site}`;
  // An email link's token leaves the address bar at once, whatever the privacy state (so it is
  // never bookmarked, shared or recorded), and rides on the first event captured (the landing's page
  // view) to go as its batch's `linkToken`. Dropped when not 1-1024 printable ASCII characters, or
  // when nothing may be sent (GPC, DNT, consent denied).
  const t = new URLSearchParams(location.search).get(LINK_PARAM);
  if (t !== null) history.replaceState(history.state, '', filterParams(location.href, (name) => name !== LINK_PARAM));
  let token = t && active() && t.length <= LIMITS.maxLinkTokenLength && /^[!-~]+$/.test(t) ? t : undefined;

  const id = createIdentity(kv, !cfg.cookieless, canStore);
  const queue = createQueue(cfg.site, MAX_QUEUE, canStore);
  const listeners = new Set<(d: Decision) => void>();
  let decision: Decision | null = null;
  let unhide = () => {};
  let lastRoute = '';
  let lastUrl = '';

  const setDecision = (d: Decision, fresh: boolean) => {
    decision = d;
    if (fresh && canStore()) kv.set(decisionKey, JSON.stringify(d));
    // A cached decision shown before the slots are parsed keeps them hidden until they are filled.
    if (fillSlots(d, cfg.allowHtml) || fresh) unhide();
    listeners.forEach((cb) => safe(cb)(d));
  };
  /** Forgets the visitor: new anonymous id and session, no cached decision. */
  const reset = () => {
    id.reset();
    kv.del(decisionKey);
    decision = null;
  };
  const onResponse = (res: CollectResponse | null, aid: string) => {
    // The Worker erased this visitor: start over, and never replay the old queue.
    if (res?.erased) return void (reset(), queue.clear(), DEBUG && log('visitor erased by the Worker: new id, queue cleared'));
    // An answer about an earlier anonymous id (before reset()) says nothing about this one.
    if (!res || aid !== id.aid()) return;
    id.link(res.person);
    if (res.visitor && res.ctas) setDecision({ visitor: res.visitor, ctas: res.ctas }, true);
  };
  const transport = createTransport(
    `${cfg.endpoint}/v1/collect`,
    cfg.site,
    queue,
    {
      userAgent: nav.userAgent.slice(0, 512),
      automated: nav.webdriver,
      library: { name: 'leadedge', version: VERSION },
    },
    canStore,
    onResponse,
    id.person,
  );

  function capture(kind: EventKind, props?: Props, near?: Element | null, urgent = isUrgent(kind)): void {
    if (!active()) return void (DEBUG && log(`not captured (${blocked || 'consent denied'}):`, kind.type));
    const now = Date.now();
    const topics = pageTopics(near);
    const event = {
      ...kind,
      id: uuid(),
      ts: now,
      ...pageFields(location.href, document.title, lastUrl && kind.type === 'page_view' ? lastUrl : document.referrer, cfg.keepParams),
      topics,
      props,
    } satisfies EventInput;
    // A page with no http(s) URL and no path ("about:srcdoc") has nothing the Worker accepts.
    if (!event.url && !event.path) return void (DEBUG && warn('no URL or path on this page: not captured', kind.type));
    // Far past any real event; one this large could never fit a 64 KiB beacon, so it is not queued.
    if (JSON.stringify(event).length > MAX_EVENT_CHARS) return void (DEBUG && warn('event too large, dropped', event));
    DEBUG && log('captured', event);
    queue.add({ a: id.aid(), s: id.session(now), e: event, t: token });
    token = undefined;
    if (urgent || queue.items.length >= BATCH_SIZE) void transport.send();
    else transport.schedule(BATCH_WAIT_MS);
  }

  const identify = (traits: Traits, near?: Element | null, user?: unknown) => {
    const clean = cleanTraits(traits);
    const userId = cleanUserId(user);
    if (DEBUG && user !== undefined && !userId) warn('identify: userId must be a string of 1-256 chars (trimmed), left out:', user);
    if (userId || Object.values(clean).some((v) => v)) capture({ type: 'identify', traits: clean, userId }, undefined, near, false);
    else DEBUG && warn('identify: no valid traits in', traits);
  };

  const page = (props?: Props) => {
    capture({ type: 'page_view' }, cleanProps(props), null, true);
    lastRoute = routeKey(location.href, cfg.queryPageViews);
    lastUrl = location.href;
  };

  const api: LeadEdge = {
    page,
    track(name, props) {
      const kind = trackKind(name, props);
      // A demo request's Turnstile token is its own field (trackKind), never a prop.
      if (kind) capture(kind, cleanProps(kind.type === 'demo_request' ? { ...props, turnstile: undefined } : props));
      else DEBUG && warn('track: invalid event name (or cta_click without props.ctaId):', name);
    },
    identify: (traits, userId) => identify(traits, null, userId),
    consent(state) {
      if (blocked) return;
      kv.set(CONSENT, (consent = state === 'granted' ? '1' : '0'));
      if (canStore()) {
        id.save();
        queue.persist();
        void transport.send();
      } else {
        id.erase();
        queue.clear();
        kv.del(decisionKey);
      }
      DEBUG && log('consent', consent);
    },
    onDecision(cb) {
      listeners.add(cb);
      if (decision) safe(cb)(decision);
    },
    anonymousId: () => (active() ? id.aid() : ''),
    reset,
  };
  for (const k of Object.keys(api) as (keyof LeadEdge)[]) (api as Record<string, unknown>)[k] = safe(api[k] as () => unknown);

  if (blocked) {
    // Turned on after earlier visits: what those stored goes (IndexedDB is opened only then, so a
    // browser never tracked gets no database either).
    if (id.erase()) queue.clear();
    kv.del(decisionKey);
    DEBUG && log(`${blocked} is on: nothing is stored or sent (what earlier visits stored is deleted)`);
    return api;
  }

  // A cached decision is shown at once (no flicker); the answer to this page's beacon replaces it.
  if (cfg.hideUntilDecided) unhide = hideSlots(MAX_HIDE_MS);
  try {
    const cached = JSON.parse(kv.get(decisionKey) ?? 'null') as Decision | null;
    if (cached?.ctas) {
      setDecision(cached, false);
      if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => decision && setDecision(decision, false));
    }
  } catch {
    /* a corrupt cache is ignored */
  }

  if (canStore()) id.save();
  void queue.restore().then((n) => {
    if (n) {
      DEBUG && log(`restored ${n} event(s) from earlier pages`);
      void transport.send();
    }
  });
  const hidden = safe(() => transport.beacon());
  addEventListener('pagehide', hidden);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && hidden());

  watchClicks(cfg.downloadExtensions, {
    download: (a) => capture({ type: 'download' }, { href: a.href.slice(0, 500) }, a),
    cta: (ctaId, el) => capture({ type: 'cta_click', ctaId: ctaId.slice(0, 128) }, cleanProps({ slot: el.getAttribute('data-le-slot') }), el),
  });
  watchForms((form, kind) => {
    identify(readForm(form) as Traits, form);
    // The one hidden field read, on purpose: the Turnstile token, for the demo_request event only.
    const k = trackKind(kind, { turnstile: form.querySelector<HTMLInputElement>('[name="cf-turnstile-response"]')?.value ?? null });
    const props = cleanProps({ form: form.id || form.getAttribute('name') });
    if (k) capture(k, props, form, true);
    else void transport.send();
  });
  if (cfg.autoPageViews) {
    page();
    watchRoutes(safe(() => routeKey(location.href, cfg.queryPageViews) !== lastRoute && page()));
  }
  return api;
}
