/** Reads a JSON request body within a byte limit, with a clear 4xx for each way it can be wrong. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError, issuesMessage, zodIssues } from '../errors';

const ACCEPTED_TYPES = ['application/json', 'text/plain'];
const COMMON_TYPES = new Set(['text/plain;charset=UTF-8', 'application/json', 'text/plain']);

/**
 * Accepts `application/json` and `text/plain` (what `sendBeacon` sends, which avoids a CORS
 * preflight). A missing content type is read as JSON.
 */
export async function readJsonBody(c: Context, maxBytes: number): Promise<unknown> {
  return (await readJsonText(c, maxBytes)).value;
}

/** As readJsonBody, with the text it parsed (a caller may forward it instead of serializing the value again). */
export async function readJsonText(c: Context, maxBytes: number): Promise<{ text: string; value: unknown }> {
  const text = await readBodyText(c.req.raw, maxBytes);
  return { text, value: parseJson(text) };
}

/** The body as text, with readJsonBody's checks (type, size, encoding, not empty), without parsing it. */
export async function readBodyText(req: Request, maxBytes: number): Promise<string> {
  const header = req.headers.get('content-type');
  // What sendBeacon and fetch with JSON send is accepted as it comes; anything else is normalized first.
  if (header !== null && !COMMON_TYPES.has(header)) {
    const type = header.split(';')[0]!.trim().toLowerCase();
    if (type && !ACCEPTED_TYPES.includes(type)) {
      throw new ApiError(415, 'unsupported_media_type', `content-type must be application/json or text/plain, got "${type}"`);
    }
  }
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  // A declared length is enforced by the runtime, so the body can be read in one piece.
  const bytes = Number.isFinite(declared) ? new Uint8Array(await req.arrayBuffer()) : await readLimited(req, maxBytes);
  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
  const text = decodeUtf8(bytes);
  if (text.trim() === '') throw new ApiError(400, 'empty_body', 'the request body is empty; send a JSON document');
  return text;
}

/** JSON.parse, or a 400 naming where the text stops being JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'invalid_json', `the body is not valid JSON: ${(e as Error).message}`);
  }
}

/** Stateless with `fatal` and no streaming, so one decoder serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new ApiError(400, 'invalid_encoding', 'the body is not valid UTF-8');
  }
}

/** A body without a declared length (chunked): stop reading as soon as it passes the limit. */
async function readLimited(req: Request, maxBytes: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array(0);
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
  return all;
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
