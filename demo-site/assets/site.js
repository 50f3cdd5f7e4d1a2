// Acme Analytics demo site: thank-you states for forms, and a small badge showing what LeadEdge decided.
// The SDK captures `data-le-form` forms with its own capture-phase `submit` listener, which runs
// before this one; the page then stays put, so the beacon's answer can update the CTAs in place.
// The forms use method="dialog": a static site has nowhere to post to, and a GET would put what
// people typed (their email) into a URL, where page-view tracking would pick it up.
(function () {
  'use strict';

  function showThanks(form) {
    form.hidden = true;
    var thanks = document.getElementById(form.getAttribute('data-thanks'));
    if (thanks) {
      thanks.hidden = false;
      var first = thanks.querySelector('[data-first-name]');
      var name = form.elements.namedItem('name');
      if (first && name && name.value) first.textContent = ', ' + name.value.trim().split(/\s+/)[0];
    }
  }

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-thanks')) return;
    e.preventDefault();
    showThanks(form);
  });

  // The LeadEdge badge (demo only): the visitor's stage and score, and a button to start over.
  function badge(decision) {
    var el = document.querySelector('.le-badge');
    if (!el) {
      el = document.createElement('div');
      el.className = 'le-badge';
      el.setAttribute('aria-live', 'polite');
      el.innerHTML = '<span>LeadEdge · stage <b data-stage></b> · score <b data-score></b></span><button type="button">start over</button>';
      el.querySelector('button').addEventListener('click', function () {
        window.leadedge.reset();
        location.reload();
      });
      document.body.appendChild(el);
    }
    el.querySelector('[data-stage]').textContent = decision.visitor.stage;
    el.querySelector('[data-score]').textContent = decision.visitor.score == null ? 'hidden' : String(decision.visitor.score);
  }

  // Works whether the async SDK has loaded yet or not (the SDK replays queued calls).
  var le = window.leadedge;
  if (le && !Array.isArray(le)) le.onDecision(badge);
  else (window.leadedge = le || []).push(['onDecision', badge]);
})();
