/** Config in two layers: the public `LeadEdgeConfig` (optional fields) and `resolveConfig()`. */
import type { LeadEdgeConfig } from './types';

export type ResolvedConfig = Required<LeadEdgeConfig>;

export const DEFAULT_DOWNLOAD_EXTENSIONS =
  'pdf,doc,docx,xls,xlsx,ppt,pptx,csv,odt,epub,zip,gz,rar,7z,dmg,exe,msi'.split(',');

/** Hide-until-decided's hard timeout: a page's slots are never hidden longer than this. */
export const MAX_HIDE_MS = 300;
/** A batch goes when this many events wait, or this long after the first (urgent events go at once). */
export const BATCH_SIZE = 10;
export const BATCH_WAIT_MS = 2000;
/** Events kept in the offline queue; past it the oldest are dropped (and counted). */
export const MAX_QUEUE = 500;
/** Failed sends (5xx, 408, 429, network error while online) after which an event is given up (and counted). */
export const MAX_ATTEMPTS = 8;

/**
 * Fills every default.
 * @example resolveConfig({ site: 'demo', endpoint: 'https://le.example.com/' }).endpoint // 'https://le.example.com'
 */
export function resolveConfig(c: LeadEdgeConfig): ResolvedConfig {
  const r = {
    respectDnt: true,
    respectGpc: true,
    downloadExtensions: DEFAULT_DOWNLOAD_EXTENSIONS,
    autoPageViews: true,
    keepParams: [],
    ...c,
  } as ResolvedConfig;
  r.endpoint = (c.endpoint ?? '').replace(/\/+$/, '');
  return r;
}

/**
 * Reads a script tag's data attributes (its `dataset`, so `data-respect-dnt` is `respectDnt`):
 * "" and "true" are true, "false" is false, `downloadExtensions` and `keepParams` are lists.
 * The endpoint defaults to the script's own origin.
 * @example configFromAttributes({ site: 'demo', consent: 'required' }, 'https://le.example.com/sdk.js')
 */
export function configFromAttributes(d: Record<string, string | undefined>, scriptSrc: string): LeadEdgeConfig {
  const c: Record<string, unknown> = { endpoint: scriptSrc && new URL(scriptSrc).origin };
  for (const k in d) {
    const v = d[k]!;
    // Lists first: an empty list attribute must never read as `true`.
    c[k] =
      k === 'downloadExtensions' ? v.toLowerCase().split(/[\s,.]+/)
      : k === 'keepParams' ? v.split(/[\s,]+/)
      : v === 'false' ? false
      : v === '' || v === 'true' ? true
      : v;
  }
  return c as LeadEdgeConfig;
}
