/** Page views for classic and single-page apps: history changes, popstate and hashchange. */

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
