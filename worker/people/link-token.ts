/**
 * Email link tokens (`?le_t=`): marketing puts one into an email's links; the browser that lands
 * through it is linked to that email's person as verified. A token is the email and its expiry,
 * encrypted and authenticated with the site's own AES-GCM key (kept in the site object, made on
 * first use), bound to the site: opaque in URLs and logs, unforgeable, useless on another site.
 */
import { siteStub } from '../config/config-cache';
import type { Env } from '../env';
import { normalizeEmail } from './identifiers';

type Payload = { e: string; x: number };

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
function fromB64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    return Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

async function keyFor(raw: string, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', fromB64url(raw)!, 'AES-GCM', false, [usage]);
}

/** A token for `email`, valid `ttlDays` from `now`. `rawKey`: the site's key (base64url of 32 bytes). */
export async function sealLinkToken(rawKey: string, site: string, email: string, ttlDays: number, now: number): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const payload: Payload = { e: normalizeEmail(email), x: now + ttlDays * 86_400_000 };
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(site) }, await keyFor(rawKey, 'encrypt'), new TextEncoder().encode(JSON.stringify(payload)));
  const out = new Uint8Array(12 + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), 12);
  return b64url(out);
}

/** The email a token names, or null when it is not this site's, was tampered with, or has expired. */
export async function openLinkToken(rawKey: string, site: string, token: string, now: number): Promise<string | null> {
  const bytes = fromB64url(token);
  if (!bytes || bytes.length < 12 + 16 + 2) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.slice(0, 12), additionalData: new TextEncoder().encode(site) }, await keyFor(rawKey, 'decrypt'), bytes.slice(12));
    const payload = JSON.parse(new TextDecoder().decode(plain)) as Payload;
    return typeof payload.e === 'string' && typeof payload.x === 'number' && payload.x > now ? payload.e : null;
  } catch {
    return null;
  }
}

/** A beacon's token, checked with the site's key (null: no key yet, or the token is not valid). */
export async function readLinkToken(env: Env, site: string, token: string, now: number): Promise<string | null> {
  const key = await siteStub(env, site).linkKey(false);
  return key ? openLinkToken(key, site, token, now) : null;
}
