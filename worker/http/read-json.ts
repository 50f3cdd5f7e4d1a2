/** Reads a JSON request body within a byte limit, with a clear 4xx for each way it can be wrong. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError, issuesMessage, zodIssues } from '../errors';

const ACCEPTED_TYPES = ['application/json', 'text/plain'];

/**
 * Accepts `application/json` and `text/plain` (what `sendBeacon` sends, which avoids a CORS
 * preflight). A missing content type is read as JSON.
 */
export async function readJsonBody(c: Context, maxBytes: number): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type && !ACCEPTED_TYPES.includes(type)) {
    throw new ApiError(415, 'unsupported_media_type', `content-type must be application/json or text/plain, got "${type}"`);
  }
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const text = await readLimited(c.req.raw, maxBytes);
  if (text.trim() === '') throw new ApiError(400, 'empty_body', 'the request body is empty; send a JSON document');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'invalid_json', `the body is not valid JSON: ${(e as Error).message}`);
  }
}

async function readLimited(req: Request, maxBytes: number): Promise<string> {
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(all);
  } catch {
    throw new ApiError(400, 'invalid_encoding', 'the body is not valid UTF-8');
  }
}

const tooLarge = (maxBytes: number) =>
  new ApiError(413, 'body_too_large', `the body exceeds the ${maxBytes}-byte limit`);

/** Validates with a zod schema, or throws a 400 listing every problem by path. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, code = 'invalid_body', what = 'invalid body'): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = zodIssues(parsed.error);
  throw new ApiError(400, code, issuesMessage(what, issues), issues);
}
