/** Webhook secrets never leave the server: GET shows them masked, and a PUT may send the mask back. */
import type { SiteConfigInput } from '../schema/config';

const MASK_PREFIX = 'whsec_********';

export function maskSecret(secret: string): string {
  return `${MASK_PREFIX}${secret.slice(-4)}`;
}

/** A secret without a prefix of its own (Turnstile's), masked the same way. */
export const maskPlain = (secret: string) => `********${secret.slice(-4)}`;

export function maskDocument(doc: SiteConfigInput): SiteConfigInput {
  let masked = doc;
  if (doc.webhooks) masked = { ...masked, webhooks: doc.webhooks.map((w) => ({ ...w, secret: maskSecret(w.secret) })) };
  if (doc.turnstile) masked = { ...masked, turnstile: { ...doc.turnstile, secret: maskPlain(doc.turnstile.secret) } };
  return masked;
}

/**
 * Puts back the stored secret wherever an incoming document carries the mask for an endpoint
 * that already exists, so a GET-edit-PUT round trip keeps secrets without ever showing them.
 */
export function unmaskDocument(incoming: unknown, stored: SiteConfigInput | null): unknown {
  if (!isRecord(incoming)) return incoming;
  const turnstile = incoming.turnstile;
  if (isRecord(turnstile) && stored?.turnstile && turnstile.secret === maskPlain(stored.turnstile.secret)) {
    incoming = { ...incoming, turnstile: { ...turnstile, secret: stored.turnstile.secret } };
  }
  if (!isRecord(incoming) || !Array.isArray(incoming.webhooks) || !stored?.webhooks) return incoming;
  const known = new Map(stored.webhooks.map((w) => [w.id, w.secret]));
  return {
    ...incoming,
    webhooks: incoming.webhooks.map((w: unknown) => {
      if (!isRecord(w) || typeof w.secret !== 'string' || typeof w.id !== 'string') return w;
      const secret = known.get(w.id);
      return secret && w.secret === maskSecret(secret) ? { ...w, secret } : w;
    }),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
