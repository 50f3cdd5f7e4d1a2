/** Where a visitor's Durable Object lives: one per (site, anonymous id). */
import type { Env } from '../env';

export function visitorStub(env: Env, site: string, anonymousId: string) {
  // Site keys cannot contain "/", so the name is unambiguous.
  return env.VISITOR.get(env.VISITOR.idFromName(`${site}/${anonymousId}`));
}
