/** Random ids for visitors, sessions and events (event ids make re-sends harmless: the Worker dedupes). */

/** crypto.randomUUID where the page is a secure context (https, localhost), else 128 random bits in hex. */
export function uuid(): string {
  return crypto.randomUUID?.() ?? Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => (b + 256).toString(16).slice(1)).join('');
}

/** What the Worker accepts as an id (and what a stored id must look like to be reused). */
export const isId = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(v);
