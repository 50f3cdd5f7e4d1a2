/**
 * Per-site API keys: `le_<site>_<64 hex>`. The key names its site (so a key sent to another site
 * is told so, with a 403, rather than a bare 401) and 256 random bits; only its SHA-256 is
 * stored, so a stolen database holds no usable key.
 */
import { SITE_KEY_PATTERN } from '../schema/events';

const KEY_RANDOM_HEX = 64;
const KEY_PATTERN = new RegExp(`^le_([a-z0-9][a-z0-9_-]{0,62})_([0-9a-f]{${KEY_RANDOM_HEX}})$`);

const hex = (bytes: ArrayBuffer | Uint8Array) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** A new key for `site` and its public id (shown in lists and the audit log; the key itself is shown once). */
export function newKey(site: string): { id: string; key: string } {
  if (!SITE_KEY_PATTERN.test(site)) throw new Error(`not a site key: ${site}`);
  return { id: `key_${hex(crypto.getRandomValues(new Uint8Array(8)))}`, key: `le_${site}_${hex(crypto.getRandomValues(new Uint8Array(KEY_RANDOM_HEX / 2)))}` };
}

/**
 * The site a key was made for, or null when the text is not shaped like a key.
 * @example keySite('le_demo_' + 'a'.repeat(64)) // 'demo'
 */
export function keySite(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

/** What is stored and compared: SHA-256 of the key, in hex. */
export async function keyHash(key: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
}

/** The bearer credential of a request, or '' without one. */
export function bearer(header: string | null | undefined): string {
  return header && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
}
