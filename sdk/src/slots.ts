/**
 * Personalized CTAs: fills `data-le-slot` elements from a decision (text via textContent, or the
 * CTA's escaped `html` with allowHtml; links only http(s)), and the optional hide-until-decided
 * style with its hard timeout.
 */
import type { Cta, Decision } from './types';
import { safeHref } from './urls';

function fill(el: HTMLElement, cta: Cta, allowHtml: boolean): void {
  const href = safeHref(cta.href, location.href);
  let target = el;
  if (!/^(A|BUTTON)$/.test(el.tagName)) {
    target = document.createElement(href ? 'a' : 'span');
    el.replaceChildren(target);
  }
  // `html` has the visitor's own values (name, company) escaped; `text` has them raw.
  if (allowHtml) target.innerHTML = cta.html ?? cta.text;
  else target.textContent = cta.text;
  if (href && target instanceof HTMLAnchorElement) target.href = href;
  el.setAttribute('data-le-cta-id', cta.id);
  el.setAttribute('data-le-variant', cta.variant ?? '');
}

/** Fills every slot the decision names (other slots keep the page's own content); returns how many. */
export function fillSlots(decision: Decision, allowHtml: boolean): number {
  let n = 0;
  document.querySelectorAll<HTMLElement>('[data-le-slot]').forEach((el) => {
    const cta = decision.ctas[el.getAttribute('data-le-slot')!];
    if (cta) {
      fill(el, cta, allowHtml);
      n++;
    }
  });
  return n;
}

/** Hides slots until the returned function runs, or `ms` (at most 300) passes: never a blank page. */
export function hideSlots(ms: number): () => void {
  const style = document.createElement('style');
  style.textContent = '[data-le-slot]{visibility:hidden!important}';
  document.head.append(style);
  const show = () => style.remove();
  setTimeout(show, ms);
  return show;
}
