/** Where a visitor's Durable Object lives: one per (site, anonymous id). */
import type { Env } from '../env';

export function visitorStub(env: Env, site: string, anonymousId: string) {
  // Site keys cannot contain "/", so the name is unambiguous.
  return env.VISITOR.get(env.VISITOR.idFromName(`${site}/${anonymousId}`));
}

/**
 * The object that holds a lead: the visitor's, or, for a browser that joined a person, the
 * person's (sales' alerts name the browser that triggered them; its verdict is the person's).
 */
export async function leadStub(env: Env, site: string, id: string) {
  const stub = visitorStub(env, site, id);
  const person = id.startsWith('p~') ? null : await stub.linkedTo();
  return person ? visitorStub(env, site, person) : stub;
}
