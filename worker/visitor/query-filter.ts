/**
 * Query strings of stored URLs: GET forms and sign-in links put emails and tokens there. Before an
 * event's URL is stored (timeline, webhooks, exports), every query parameter is dropped except
 * `utm_*` (any case) and the names a site lists in `privacy.keepQueryParams`. A hash route's own
 * query (`#/reset?token=…`, `#!…?…`) is filtered the same way. Pure, and cheap for the usual URL
 * without a query (one `indexOf`).
 */

/**
 * @example keptQuery('https://x.io/a?email=a%40b.io&utm_source=news#top', []) // 'https://x.io/a?utm_source=news#top'
 */
export function keptQuery(url: string, keep: readonly string[]): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#');
  if (hash !== -1 && hash < q) return url.slice(0, hash) + keptHashRoute(url.slice(hash), keep);
  const end = hash === -1 ? url.length : hash;
  return url.slice(0, q) + filtered(url.slice(q + 1, end), keep) + (hash === -1 ? '' : keptHashRoute(url.slice(hash), keep));
}

/** `#/path?query` and `#!path?query` are routes with a query of their own; any other fragment is left as it is. */
function keptHashRoute(fragment: string, keep: readonly string[]): string {
  const q = fragment.indexOf('?');
  if (q === -1 || !/^#[/!]/.test(fragment)) return fragment;
  return fragment.slice(0, q) + filtered(fragment.slice(q + 1), keep);
}

/** `?` and the parameters kept, in their order and spelling; nothing when none is. */
function filtered(query: string, keep: readonly string[]): string {
  const kept = query.split('&').filter((pair) => {
    if (pair === '') return false;
    const name = decodedName(pair);
    return name.toLowerCase().startsWith('utm_') || keep.includes(name);
  });
  return kept.length ? `?${kept.join('&')}` : '';
}

/** The parameter's name as a form decodes it (`+` is a space, `%5F` is `_`). */
function decodedName(pair: string): string {
  const eq = pair.indexOf('=');
  const raw = (eq === -1 ? pair : pair.slice(0, eq)).replace(/\+/g, ' ');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
