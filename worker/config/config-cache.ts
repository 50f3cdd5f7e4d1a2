/**
 * Site configs cached in the isolate with their version, so a beacon does not wait on the site
 * object in the common case. A save through this isolate takes effect at once; other isolates
 * pick it up within CONFIG_CACHE_TTL_MS.
 */
import type { Env } from '../env';
import { resolveStoredConfig, type SiteConfig, type SiteConfigInput } from '../schema/config';

export const CONFIG_CACHE_TTL_MS = 2000;

export type LoadedConfig = { version: number; config: SiteConfig; document: SiteConfigInput };
type Entry = { loaded: LoadedConfig | null; at: number };

const cache = new Map<string, Entry>();

export function siteStub(env: Env, site: string) {
  return env.SITE.get(env.SITE.idFromName(site));
}

/** The site's resolved config, or null when the site does not exist. */
export async function loadSiteConfig(env: Env, site: string, now = Date.now()): Promise<LoadedConfig | null> {
  const hit = cache.get(site);
  if (hit && now - hit.at < CONFIG_CACHE_TTL_MS) return hit.loaded;
  const stored = await siteStub(env, site).getConfig(site);
  // The same version is the same document: keep the resolved config (and what is compiled per config object).
  const loaded = !stored ? null : hit?.loaded?.version === stored.version ? hit.loaded : toLoaded(stored.version, stored.document);
  remember(site, loaded, now);
  return loaded;
}

/** Records a config this isolate just saved, so its next beacon uses it. */
export function primeSiteConfig(site: string, version: number, document: SiteConfigInput, now = Date.now()): LoadedConfig {
  const loaded = toLoaded(version, document);
  remember(site, loaded, now);
  return loaded;
}

/** Drops this isolate's copy, so the next use reads the site object (after a server-side change). */
export function forgetSiteConfig(site: string) {
  cache.delete(site);
}

function toLoaded(version: number, document: SiteConfigInput): LoadedConfig {
  // Read as stored: keys an earlier release ignored are still ignored here (a save refuses them).
  const resolved = resolveStoredConfig(document);
  // Documents are validated before they are stored; this only fails if the schema tightened since.
  if (!resolved.ok) throw new Error(`stored config v${version} no longer validates: ${resolved.issues[0]?.path} ${resolved.issues[0]?.message}`);
  return { version, config: resolved.config, document };
}

function remember(site: string, loaded: LoadedConfig | null, now: number) {
  if (cache.size > 10_000) cache.clear();
  cache.set(site, { loaded, at: now });
}
