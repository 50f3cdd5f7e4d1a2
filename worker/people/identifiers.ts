/**
 * What links a browser to a person: an identify's `email` trait (trimmed, lower-cased) or its
 * `userId` (the site's own account id, the strongest). Blocked values never link, as Segment's
 * identity rules do it: a form's placeholder or a logged-out "0" must not pull strangers together.
 */
import type { LeadEvent } from '../schema/events';

export type IdentifierKind = 'email' | 'userId';
export type Identifier = { kind: IdentifierKind; value: string };
/** How a browser joined its person: its own claim (an identify from the page), a verified link (email token, server key), or a userId. */
export type LinkedBy = 'claimed' | 'verified' | 'userId';

/** Values that never link, whatever the site adds: empty, null-ish, anonymous, -1, and all zeros (separators aside). */
const ALWAYS_BLOCKED = new Set(['', 'null', 'undefined', 'anonymous', 'nil', 'none', '-1', '0', 'n/a', 'unknown']);
const ALL_ZEROS = /^[0._-]+$/;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Why a value may not link, or null when it may. `blocked`: the site's own list (compared case-insensitively, trimmed). */
export function blockedReason(id: Identifier, blocked: readonly string[]): string | null {
  const v = id.value.trim().toLowerCase();
  if (ALWAYS_BLOCKED.has(v) || ALL_ZEROS.test(v)) return `"${id.value}" is a placeholder, not a ${id.kind}`;
  if (blocked.some((b) => b.trim().toLowerCase() === v)) return `"${id.value}" is on the site's identity.blockedValues list`;
  return null;
}

/** The key an identifier is stored under (one owner per key per site). */
export function identifierKey(id: Identifier): string {
  return `${id.kind}:${id.kind === 'email' ? normalizeEmail(id.value) : id.value.trim()}`;
}

export function parseIdentifierKey(key: string): Identifier {
  const at = key.indexOf(':');
  return { kind: key.slice(0, at) as IdentifierKind, value: key.slice(at + 1) };
}

/**
 * The identifiers a batch's identify events name, strongest first (userId before email), each
 * once, latest value of each kind winning.
 */
export function identifiersIn(events: readonly LeadEvent[]): Identifier[] {
  let email: string | undefined;
  let userId: string | undefined;
  for (const e of events) {
    if (e.type !== 'identify') continue;
    if (e.userId) userId = e.userId;
    if (e.traits.email) email = normalizeEmail(e.traits.email);
  }
  const out: Identifier[] = [];
  if (userId !== undefined) out.push({ kind: 'userId', value: userId });
  if (email !== undefined) out.push({ kind: 'email', value: email });
  return out;
}
