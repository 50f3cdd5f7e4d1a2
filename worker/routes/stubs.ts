/** Where a visitor's Durable Object lives: one per (site, anonymous id). */
import type { Env } from '../env';

export function visitorStub(env: Env, site: string, anonymousId: string) {
  // Site keys cannot contain "/", so the name is unambiguous.
  return env.VISITOR.get(env.VISITOR.idFromName(`${site}/${anonymousId}`));
}

/**
 * The object that holds a lead: the visitor's, or, for a browser that joined a person (or a person
 * merged into another), the person's (sales' alerts name the browser that triggered them; its
 * verdict is the person's).
 */
export async function leadStub(env: Env, site: string, id: string) {
  let stub = visitorStub(env, site, id);
  // A pointer may lead to a person that joined another since: follow a few steps.
  for (let step = 0; step < 3; step++) {
    const next = await stub.linkedTo();
    if (!next) break;
    stub = visitorStub(env, site, next);
  }
  return stub;
}
