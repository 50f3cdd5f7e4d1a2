/**
 * A data-subject access request's answer: everything held about a lead, from every object. Its
 * own object's (profile with every timeline entry, verdict, aggregates, deliveries), the site's
 * (index row, funnel stages, training label), its directory shard's; for a person, each browser's
 * leftovers too (its outbox log, an index row from before it joined).
 */
import { siteStub } from '../config/config-cache';
import type { Env } from '../env';
import { directoryOf } from '../objects/directory-object';
import { FOLDED } from '../people/parts';
import type { SiteConfig } from '../schema/config';
import { visitorStub } from './stubs';

/** Null when no object holds anything under this id. */
export async function exportLead(env: Env, site: string, id: string, config: SiteConfig) {
  const [data, held, firstDay] = await Promise.all([visitorStub(env, site, id).exportData(config, Date.now()), siteStub(env, site).exportLead(id), directoryOf(env, site, id).firstDay(id)]);
  if (!data && !held.index && !held.training) return null;
  const linked = (data?.profile.person?.browsers ?? []).filter((b) => b.anonymousId !== FOLDED);
  const browsers = await Promise.all(
    linked.map(async (b) => ({ anonymousId: b.anonymousId, deliveries: await visitorStub(env, site, b.anonymousId).deliveries(), leadsIndex: (await siteStub(env, site).exportLead(b.anonymousId)).index })),
  );
  return {
    site,
    id,
    ...(data ?? {}),
    leadsIndex: held.index,
    funnelStages: held.stages,
    trainingLabel: held.training,
    directory: firstDay ? { firstDay } : null,
    ...(data?.profile.person ? { browsers } : {}),
  };
}
