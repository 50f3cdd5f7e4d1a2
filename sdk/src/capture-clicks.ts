/** Downloads (links to document/archive files, or marked `data-le-download`) and CTA clicks. */
import { safe } from './safe';
import { isDownload } from './urls';

export function watchClicks(
  extensions: string[],
  on: { download(a: HTMLAnchorElement): void; cta(id: string, el: Element): void },
): void {
  const handler = safe((e: MouseEvent) => {
    const t = e.target instanceof Element ? e.target : null;
    const cta = t?.closest('[data-le-cta-id]');
    const id = cta?.getAttribute('data-le-cta-id');
    // An empty id (a page's own attribute) would make the Worker refuse the whole batch.
    if (id) on.cta(id, cta!);
    const a = t?.closest<HTMLAnchorElement>('a[href]');
    if (a && (a.hasAttribute('data-le-download') || isDownload(a.href, extensions))) on.download(a);
  });
  // Capture phase: the page's own handlers cannot hide the click from us. auxclick: middle clicks
  // (right clicks only open a menu: "Save link as" is not counted).
  document.addEventListener('click', handler, true);
  document.addEventListener('auxclick', (e) => e.button === 1 && handler(e), true);
}
