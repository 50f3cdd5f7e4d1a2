/*
 * The floor the SDK's weight and main-thread time are compared with: the smallest useful tracker.
 * It reads the site key from its script tag, keeps an anonymous id (localStorage) and a session
 * id (sessionStorage), and beacons one page view to /v1/collect in the LeadEdge wire format.
 * No queue, no retries, no identify, no CTAs, no privacy controls: that is what the SDK adds.
 */
(function () {
  var s = document.currentScript;
  if (!s) return;
  function id(store, key) {
    try {
      var v = store.getItem(key);
      if (!v) store.setItem(key, (v = crypto.randomUUID()));
      return v;
    } catch (e) {
      return crypto.randomUUID();
    }
  }
  var now = Date.now();
  var body = JSON.stringify({
    site: s.getAttribute('data-site'),
    anonymousId: id(localStorage, 'le_aid'),
    sessionId: id(sessionStorage, 'le_sid'),
    sentAt: now,
    events: [{ id: crypto.randomUUID(), type: 'page_view', ts: now, url: location.href, title: document.title, referrer: document.referrer }],
  });
  navigator.sendBeacon(new URL('/v1/collect', s.src).href, body);
})();
