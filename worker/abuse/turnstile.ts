/**
 * Cloudflare Turnstile on demo requests: the token the site's widget produced is checked with
 * siteverify (https://developers.cloudflare.com/turnstile/get-started/server-side-validation/),
 * once per demo request (a resent, already applied demo request is not checked again: a token is
 * single-use). The URL is configurable so tests run against a local stand-in.
 */
import type { Env } from '../env';

export const TURNSTILE_VERIFY_URL = 'https://challenges.cloudflare.com/turnstile/v0/siteverify';
const VERIFY_TIMEOUT_MS = 5_000;

export type TurnstileCheck = { ok: true } | { ok: false; reason: string; retryable: boolean };

/** siteverify's answer (the documented fields we read). */
type Siteverify = { success?: boolean; 'error-codes'?: string[] };

export async function verifyTurnstile(env: Env, secret: string, token: string | undefined, ip: string | null): Promise<TurnstileCheck> {
  if (!token) return { ok: false, reason: 'the demo request carries no Turnstile token (the form has no Turnstile widget, or it had not finished)', retryable: false };
  const body = new FormData();
  body.append('secret', secret);
  body.append('response', token);
  if (ip) body.append('remoteip', ip);
  let answer: Siteverify;
  try {
    const res = await fetch(env.TURNSTILE_VERIFY_URL ?? TURNSTILE_VERIFY_URL, { method: 'POST', body, signal: AbortSignal.timeout(VERIFY_TIMEOUT_MS) });
    if (!res.ok) return { ok: false, reason: `Turnstile siteverify answered ${res.status}`, retryable: true };
    answer = (await res.json()) as Siteverify;
  } catch (e) {
    return { ok: false, reason: `Turnstile siteverify unreachable: ${(e as Error).message}`, retryable: true };
  }
  if (answer.success === true) return { ok: true };
  return { ok: false, reason: `Turnstile refused the token (${(answer['error-codes'] ?? []).join(', ') || 'no reason given'})`, retryable: false };
}
