/**
 * One Durable Object per site: its config (with versions) and its funnel counters. Written on
 * config changes and stage transitions only, never on every beacon.
 */
import { DurableObject } from 'cloudflare:workers';
import { DEMO_CONFIG } from '../config/demo-config';
import type { Env } from '../env';
import { calibrate, type CalibrationResult } from '../calibration/calibrate';
import { CalibrationError, type CalibrateOptions } from '../calibration/options';
import type { RowOrigin, TrainingRow, TrainingUpdate } from '../calibration/training-row';
import { maskDocument } from '../config/secrets';
import { resolveConfig, type SiteConfigInput } from '../schema/config';
import { AlertCeilingStore, type DemoAlertStats } from './alert-ceiling-store';
import { SiteStore, type ConfigVersion, type FunnelStage, type LeadQuery, type LeadSnapshot } from './site-store';
import { TrainingStore } from './training-store';

const EMBEDDED_NOTE = 'embedded default';

/** Sites whose config is embedded in the Worker and seeded on first use. */
const EMBEDDED: Record<string, SiteConfigInput> = { demo: DEMO_CONFIG };

export class SiteObject extends DurableObject<Env> {
  private readonly store: SiteStore;
  private readonly training: TrainingStore;
  private readonly alerts: AlertCeilingStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new SiteStore(ctx.storage.sql);
    this.training = new TrainingStore(ctx.storage.sql);
    this.alerts = new AlertCeilingStore(ctx.storage.sql);
  }

  /**
   * The current config document, seeding an embedded default; null for an unknown site. A site
   * still on an embedded default that no one has edited follows the embedded document when a new
   * release changes it (a saved version of its own is never overwritten).
   */
  getConfig(site: string): ConfigVersion | null {
    const current = this.store.current();
    const embedded = Object.hasOwn(EMBEDDED, site) ? EMBEDDED[site] : undefined;
    if (current && !(embedded && current.note === EMBEDDED_NOTE && JSON.stringify(current.document) !== JSON.stringify(embedded))) {
      return current;
    }
    if (!embedded) return null;
    this.store.save(embedded, EMBEDDED_NOTE, Date.now());
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

  /** A visitor object reports stages reached, its index row and any training label (at least once; the id makes repeats harmless). */
  recordNotice(noticeId: string, stages: FunnelStage[], at: number, lead: LeadSnapshot | null, training?: TrainingUpdate): boolean {
    return this.ctx.storage.transactionSync(() => {
      const applied = this.store.applyNotice(noticeId, stages, at, lead);
      if (applied && training) {
        const id = training.kind === 'label' ? training.row.id : training.id;
        const at = training.kind === 'label' ? training.row.at : training.at;
        if (!this.store.erasedSince(id, at)) this.training.apply(training);
      }
      return applied;
    });
  }

  /**
   * A visitor object asks before the first attempt of a demo-request alert: true while the site is
   * under `perHour` such alerts this clock hour (idempotent per outbox row id).
   */
  claimDemoAlert(id: string, perHour: number): boolean {
    return this.ctx.storage.transactionSync(() => this.alerts.claim(id, Date.now(), perHour));
  }

  /** Demo-request alerts let through and suppressed by the hourly ceiling (GET /v1/admin/sites/:site). */
  demoAlertStats(): DemoAlertStats {
    return this.alerts.stats(Date.now());
  }

  countBots(n: number, at: number) {
    this.store.addToFunnel('bots', n, at);
  }

  leads(query: LeadQuery) {
    return this.store.leads(query);
  }

  forgetLead(id: string): boolean {
    const labelled = this.training.forget(id);
    return this.store.forgetLead(id, Date.now()) || labelled;
  }

  importTraining(rows: TrainingRow[]): number {
    return this.ctx.storage.transactionSync(() => this.training.importRows(rows));
  }

  trainingSummary() {
    return this.training.summary();
  }

  clearTraining(origin?: RowOrigin): number {
    return this.training.clear(origin);
  }

  /** Fits on the site's labelled leads against its current config (worker/calibration). */
  calibrate(site: string, options: CalibrateOptions): { ok: true; version: number; result: CalibrationResult } | { ok: false; code: string; message: string } {
    const current = this.getConfig(site);
    const resolved = current ? resolveConfig(current.document) : null;
    if (!current || !resolved?.ok) return { ok: false, code: 'unknown_site', message: `no site with key "${site}"` };
    try {
      return { ok: true, version: current.version, result: calibrate(this.training.all(), maskDocument(current.document), resolved.config, options) };
    } catch (e) {
      if (e instanceof CalibrationError) return { ok: false, code: e.code, message: e.message };
      throw e;
    }
  }

  funnel(fromDay: string, toDay: string) {
    return this.store.funnel(fromDay, toDay);
  }
}
