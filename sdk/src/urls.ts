/** URL rules, pure: which CTA links are safe, what makes an SPA route, which links are downloads, which query parameters leave. */

/**
 * The CTA link resolved against the page, or '' unless it is http(s).
 * @example safeHref('/pricing', 'https://a.io/blog/x') // 'https://a.io/pricing'
 * @example safeHref('javascript:alert(1)', 'https://a.io/') // ''
 */
export function safeHref(href: string | undefined, base: string): string {
  try {
    const u = new URL(href!, base);
    return href && /^https?:$/.test(u.protocol) ? u.href : '';
  } catch {
    return '';
  }
}

/**
 * What makes a route: the path, the query only with `withQuery` (the queryPageViews option), and
 * the hash only when it is a hash route ("#/x", "#!x"), so in-page anchors, repeated pushes of the
 * same URL and, by default, query-string changes (UTM clean-up, search as you type) are not new page views.
 * @example routeKey('https://a.io/docs?v=2#intro') // '/docs'
 * @example routeKey('https://a.io/docs?v=2#intro', true) // '/docs?v=2'
 * @example routeKey('https://a.io/app#/settings') // '/app#/settings'
 */
export function routeKey(href: string, withQuery?: boolean): string {
  const u = new URL(href);
  return u.pathname + (withQuery ? u.search : '') + (/^#[!/]/.test(u.hash) ? u.hash : '');
}

/**
 * The URL with only the query parameters whose name `keep` accepts, as written (the name as the
 * page reads it: decoded, "+" as a space; a malformed escape never throws); the hash is kept.
 * @example filterParams('https://a.io/?a=1&le_t=x#f', (name) => name !== 'le_t') // 'https://a.io/?a=1#f'
 */
export function filterParams(href: string, keep: (name: string) => boolean): string {
  const u = new URL(href);
  u.search = u.search
    .slice(1)
    .split('&')
    .filter((p) => {
      const name = new URLSearchParams(p).keys().next().value;
      return name !== undefined && keep(name);
    })
    .join('&');
  return u.href;
}

/**
 * The URL with only the query parameters named `utm_*` or listed in `keep` (the keepParams option),
 * so tokens and emails that GET forms put in query strings never leave the browser. The hash is kept.
 * @example keepParams('https://a.io/p?email=a%40b.io&utm_source=x&ref=2', ['ref']) // 'https://a.io/p?utm_source=x&ref=2'
 */
export const keepParams = (href: string, keep: string[]): string => filterParams(href, (name) => name.startsWith('utm_') || keep.includes(name));

/**
 * @example isDownload('https://a.io/files/Report.PDF?v=1', ['pdf']) // true
 */
export function isDownload(href: string, extensions: string[]): boolean {
  try {
    const u = new URL(href);
    const ext = /\.([a-z0-9]+)$/i.exec(u.pathname)?.[1];
    return /^https?:$/.test(u.protocol) && !!ext && extensions.includes(ext.toLowerCase());
  } catch {
    return false;
  }
}
