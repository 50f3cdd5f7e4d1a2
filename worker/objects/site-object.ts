/**
 * One Durable Object per site: its config (with versions) and its funnel counters. Written on
 * config changes and stage transitions only, never on every beacon.
 */
import { DurableObject } from 'cloudflare:workers';
import { DEMO_CONFIG } from '../config/demo-config';
import type { Env } from '../env';
import type { SiteConfigInput } from '../schema/config';
import { SiteStore, type ConfigVersion, type FunnelStage, type LeadQuery, type LeadSnapshot } from './site-store';

/** Sites whose config is embedded in the Worker and seeded on first use. */
const EMBEDDED: Record<string, SiteConfigInput> = { demo: DEMO_CONFIG };

export class SiteObject extends DurableObject<Env> {
  private readonly store: SiteStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new SiteStore(ctx.storage.sql);
  }

  /** The current config document, seeding an embedded default; null for an unknown site. */
  getConfig(site: string): ConfigVersion | null {
    const current = this.store.current();
    if (current) return current;
    const embedded = Object.hasOwn(EMBEDDED, site) ? EMBEDDED[site] : undefined;
    if (!embedded) return null;
    this.store.save(embedded, 'embedded default', Date.now());
    return this.store.current();
  }

  /** Saves an already-validated document as the new current version. */
  putConfig(document: SiteConfigInput, note: string | null): ConfigVersion {
    this.store.save(document, note, Date.now());
    return this.store.current()!;
  }

  /** A receiver answered 410 Gone: save a new version with that endpoint turned off. */
  disableWebhook(endpointId: string): boolean {
    const current = this.store.current();
    const hooks = current?.document.webhooks ?? [];
    if (!current || !hooks.some((w) => w.id === endpointId && w.enabled !== false)) return false;
    const document = { ...current.document, webhooks: hooks.map((w) => (w.id === endpointId ? { ...w, enabled: false } : w)) };
    this.store.save(document, `webhook "${endpointId}" disabled: the receiver answered 410 Gone`, Date.now());
    return true;
  }

  versions() {
    return this.store.versions();
  }

  version(version: number): ConfigVersion | null {
    return this.store.version(version);
  }

  /** A visitor object reports stages reached and its index row (at least once; the id makes repeats harmless). */
  recordNotice(noticeId: string, stages: FunnelStage[], at: number, lead: LeadSnapshot | null): boolean {
    return this.store.applyNotice(noticeId, stages, at, lead);
  }

  countBots(n: number, at: number) {
    this.store.addToFunnel('bots', n, at);
  }

  leads(query: LeadQuery) {
    return this.store.leads(query);
  }

  forgetLead(id: string): boolean {
    return this.store.forgetLead(id);
  }

  funnel(fromDay: string, toDay: string) {
    return this.store.funnel(fromDay, toDay);
  }
}
