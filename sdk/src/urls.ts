/** URL rules, pure: which CTA links are safe, what makes an SPA route, which links are downloads. */

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
 * What makes a route: path and query, and the hash only when it is a hash route ("#/x", "#!x"),
 * so in-page anchors and repeated pushes of the same URL are not new page views.
 * @example routeKey('https://a.io/docs?v=2#intro') // '/docs?v=2'
 * @example routeKey('https://a.io/app#/settings') // '/app#/settings'
 */
export function routeKey(href: string): string {
  const u = new URL(href);
  return u.pathname + u.search + (/^#[!/]/.test(u.hash) ? u.hash : '');
}

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
