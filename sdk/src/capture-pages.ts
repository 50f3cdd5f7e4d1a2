/** Page views for classic and single-page apps: history changes, popstate and hashchange. */

/**
 * What makes a route: path and query, and the hash only when it is a hash route ("#/x", "#!x"),
 * so in-page anchors and repeated pushes of the same URL are not new page views.
 * @example routeKey('https://a.io/docs?v=2#intro') // '/docs?v=2'
 * @example routeKey('https://a.io/app#/settings') // '/app#/settings'
 */
export function routeKey(href: string): string {
  const u = new URL(href);
  return u.pathname + u.search + (/^#[!/]/.test(u.hash) ? u.hash : '');
}

/** Calls `onChange` after every history change (deferred a tick, so the new title is set). */
export function watchRoutes(onChange: () => void): void {
  const later = () => setTimeout(onChange, 0);
  for (const m of ['pushState', 'replaceState'] as const) {
    const original = history[m];
    history[m] = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      later();
      return result;
    };
  }
  addEventListener('popstate', later);
  addEventListener('hashchange', later);
}
