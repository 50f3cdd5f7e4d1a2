/**
 * Erasing a person reaches every object that holds a piece of it: its browsers (each a pointer to
 * it, maybe with an outbox still draining), the persons merged into it (pointers too), the
 * identifiers it owns and the site's rows under each of their ids. Used by the admin routes (a
 * GDPR request, by id or email) and by the person's own retention alarm, so that neither leaves a
 * browser pointing at a person that is gone.
 */
import { siteStub } from '../config/config-cache';
import type { Env } from '../env';
import { PERSON_ID_PATTERN } from '../schema/events';
import { visitorStub } from '../routes/stubs';
import { directoryOf, identityShard } from './directory-object';

/** What erasing a person must reach besides its own object (VisitorObject.personInfo). */
export type PersonReach = { browsers: string[]; identifiers: string[]; persons: string[] };

/**
 * The person's browsers and the persons merged into it: their index rows, objects and directory
 * entries. Browsers keep their erasure tombstone (an old queue cannot bring them back); a merged
 * person's pointer goes entirely.
 */
export async function eraseLinkedLeads(env: Env, site: string, reach: PersonReach) {
  const site$ = siteStub(env, site);
  for (const browser of reach.browsers) {
    await site$.forgetLead(browser);
    await visitorStub(env, site, browser).erase();
    await directoryOf(env, site, browser).forget(browser);
  }
  for (const other of reach.persons) {
    await site$.forgetLead(other);
    await visitorStub(env, site, other).erase({ tombstone: false });
    await directoryOf(env, site, other).forget(other);
  }
}

/**
 * Erases a person and everything of it in every object: the site's rows (its index row, funnel
 * stages, training label; each browser's), every browser's object (each keeps its erasure
 * tombstone), its identifiers, its directory entries, then the person's own object. Idempotent:
 * a retry after a failure finishes the job. An id that is not a person's erases that lead alone.
 */
export async function erasePerson(env: Env, site: string, asked: string): Promise<boolean> {
  // A person merged into another is that one now.
  const id = (PERSON_ID_PATTERN.test(asked) && (await visitorStub(env, site, asked).linkedTo())) || asked;
  // An email a lone browser owns: that browser is the person.
  const reach = PERSON_ID_PATTERN.test(id) ? await visitorStub(env, site, id).personInfo() : { browsers: [], identifiers: [], persons: [] };
  if (!reach) return false;
  await siteStub(env, site).forgetLead(id);
  await eraseLinkedLeads(env, site, reach);
  for (const key of reach.identifiers) await identityShard(env, site, key).release(key, id);
  await visitorStub(env, site, id).erase();
  await directoryOf(env, site, id).forget(id);
  return true;
}
