/** Where a visitor's Durable Object lives: one per (site, anonymous id). */
import type { Env } from '../env';

/**
 * Object ids by name, per namespace: idFromName hashes the name on every call, and a visitor's
 * beacons keep coming back to the same isolate. Bounded: cleared when full.
 */
const idsByName = new WeakMap<Env['VISITOR'], Map<string, DurableObjectId>>();
const MAX_CACHED_IDS = 10_000;

export function visitorStub(env: Env, site: string, anonymousId: string) {
  const ns = env.VISITOR;
  // Site keys cannot contain "/", so the name is unambiguous.
  const name = `${site}/${anonymousId}`;
  let ids = idsByName.get(ns);
  if (!ids) {
    ids = new Map();
    idsByName.set(ns, ids);
  }
  let id = ids.get(name);
  if (!id) {
    if (ids.size >= MAX_CACHED_IDS) ids.clear();
    id = ns.idFromName(name);
    ids.set(name, id);
  }
  return ns.get(id);
}
