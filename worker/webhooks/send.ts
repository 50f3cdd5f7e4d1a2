/** One delivery attempt: sign, POST with a timeout, no redirects, and classify the answer. */
import type { WebhookEndpoint } from '../schema/config';
import { parseRetryAfter } from './backoff';
import { classifyResponse, type AttemptVerdict } from './classify';
import type { LeadPayload } from './payload';
import { webhookHeaders } from './sign';
import { toSlackMessage } from './slack';
import { webhookUrlProblem } from './url-safety';

export type AttemptResult = { status: number | null; latencyMs: number; verdict: AttemptVerdict };

export async function sendWebhook(
  endpoint: WebhookEndpoint,
  messageId: string,
  payloadJson: string,
  opts: { timeoutMs: number; dev: boolean; now: () => number; fetch?: typeof fetch },
): Promise<AttemptResult> {
  const started = opts.now();
  const problem = webhookUrlProblem(endpoint.url, opts.dev);
  if (problem) return { status: null, latencyMs: 0, verdict: { kind: 'disable', error: `URL refused: ${problem}` } };
  const body = endpoint.format === 'slack' ? JSON.stringify(toSlackMessage(JSON.parse(payloadJson) as LeadPayload)) : payloadJson;
  try {
    const res = await (opts.fetch ?? fetch)(endpoint.url, {
      method: 'POST',
      headers: await webhookHeaders(endpoint.secret, messageId, body, started),
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    // Read (and bound) the body so the connection is released; receivers' bodies are ignored.
    await res.body?.cancel();
    const latencyMs = opts.now() - started;
    return { status: res.status, latencyMs, verdict: classifyResponse(res.status, parseRetryAfter(res.headers.get('retry-after'), opts.now())) };
  } catch (e) {
    const err = e as Error;
    const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
    return {
      status: null,
      latencyMs: opts.now() - started,
      verdict: { kind: 'retry', retryAfterMs: null, error: timedOut ? `timed out after ${opts.timeoutMs} ms` : `network error: ${err.message}` },
    };
  }
}
