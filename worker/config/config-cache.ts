/**
 * Site configs cached in the isolate with their version, so a beacon does not wait on the site
 * object in the common case. A save through this isolate takes effect at once; other isolates
 * pick it up within CONFIG_CACHE_TTL_MS. Concurrent misses share one read (single flight), and
 * when the site object is slow or unreachable, beacons get the last config this isolate knew,
 * marked `stale` (keys are never trusted from a stale copy: see routes/collect.ts).
 */
import type { Env } from '../env';
import { resolveStoredConfig, type SiteConfig, type SiteConfigInput } from '../schema/config';

export const CONFIG_CACHE_TTL_MS = 2000;
/** A read slower than this serves the last known config (when there is one) and keeps reading in the background. */
export const CONFIG_READ_PATIENCE_MS = 1000;
/** After a failed read, the next attempt waits this long (the stale copy is served meanwhile). */
const RETRY_AFTER_FAILURE_MS = 1000;

export type LoadedConfig = {
  version: number;
  config: SiteConfig;
  document: SiteConfigInput;
  /** SHA-256 hashes of the keys that may send beacons without an Origin. */
  serverKeys: ReadonlySet<string>;
  /** Served from this isolate's memory because the site object could not be read. */
  stale?: true;
};
type Entry = { loaded: LoadedConfig | null; at: number };

const cache = new Map<string, Entry>();
const inflight = new Map<string, Promise<LoadedConfig | null>>();

export function siteStub(env: Env, site: string) {
  return env.SITE.get(env.SITE.idFromName(site));
}

/** The site's resolved config, or null when the site does not exist. Throws only when the site object is unreachable and nothing is cached. */
export async function loadSiteConfig(env: Env, site: string, now = Date.now()): Promise<LoadedConfig | null> {
  const hit = cache.get(site);
  if (hit && now - hit.at < CONFIG_CACHE_TTL_MS) return hit.loaded;
  let read = inflight.get(site);
  if (!read) {
    read = readConfig(env, site, hit).finally(() => inflight.delete(site));
    inflight.set(site, read);
  }
  if (!hit?.loaded) return read;
  // A known site: wait a little, then serve the last known config rather than fail or stall the page.
  const stale: LoadedConfig = { ...hit.loaded, stale: true };
  let timer: ReturnType<typeof setTimeout> | null = null;
  const patience = new Promise<LoadedConfig>((resolve) => (timer = setTimeout(() => resolve(stale), CONFIG_READ_PATIENCE_MS)));
  try {
    return await Promise.race([read, patience]);
  } catch (e) {
    console.warn(`site "${site}": config read failed; serving version ${hit.loaded.version} from memory:`, (e as Error).message);
    return stale;
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

async function readConfig(env: Env, site: string, hit: Entry | undefined): Promise<LoadedConfig | null> {
  try {
    const stored = await siteStub(env, site).getConfig(site);
    // The same version is the same document: keep the resolved config (and what is compiled per config object).
    const loaded = !stored
      ? null
      : hit?.loaded && hit.loaded.version === stored.version
        ? { version: hit.loaded.version, config: hit.loaded.config, document: hit.loaded.document, serverKeys: new Set(stored.serverKeys) } satisfies LoadedConfig
        : toLoaded(stored.version, stored.document, stored.serverKeys);
    remember(site, loaded, Date.now());
    return loaded;
  } catch (e) {
    // Until a read succeeds, this isolate's copy is served marked stale, and read again at most every RETRY_AFTER_FAILURE_MS.
    if (hit?.loaded) cache.set(site, { loaded: { ...hit.loaded, stale: true }, at: Date.now() - CONFIG_CACHE_TTL_MS + RETRY_AFTER_FAILURE_MS });
    throw e;
  }
}

/** Records a config this isolate just saved, so its next beacon uses it. */
export function primeSiteConfig(site: string, version: number, document: SiteConfigInput, serverKeys: readonly string[], now = Date.now()): LoadedConfig {
  const loaded = toLoaded(version, document, serverKeys);
  remember(site, loaded, now);
  return loaded;
}

/** Drops this isolate's copy, so the next use reads the site object (after a server-side change). */
export function forgetSiteConfig(site: string) {
  cache.delete(site);
}

/** Test seam: every cached config is due for a read again (the copies stay, for stale serving). */
export function expireSiteConfigs() {
  for (const entry of cache.values()) entry.at = 0;
}

function toLoaded(version: number, document: SiteConfigInput, serverKeys: readonly string[]): LoadedConfig {
  // Read as stored: keys an earlier release ignored are still ignored here (a save refuses them).
  const resolved = resolveStoredConfig(document);
  // Documents are validated before they are stored; this only fails if the schema tightened since.
  if (!resolved.ok) throw new Error(`stored config v${version} no longer validates: ${resolved.issues[0]?.path} ${resolved.issues[0]?.message}`);
  return { version, config: resolved.config, document, serverKeys: new Set(serverKeys) };
}

function remember(site: string, loaded: LoadedConfig | null, now: number) {
  if (cache.size > 10_000) cache.clear();
  cache.set(site, { loaded, at: now });
}
