/**
 * One Durable Object per site: its config (with versions) and its funnel counters. Written on
 * config changes and stage transitions only, never on every beacon.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Role } from '../access/roles';
import { DEMO_CONFIG } from '../config/demo-config';
import { DEMO_KEYS } from '../config/dev-keys';
import { isDev, type Env } from '../env';
import { calibrate, type CalibrationResult } from '../calibration/calibrate';
import { CalibrationError, type CalibrateOptions } from '../calibration/options';
import type { RowOrigin, TrainingRow, TrainingUpdate } from '../calibration/training-row';
import { maskDocument } from '../config/secrets';
import { resolveConfig, type SiteConfigInput } from '../schema/config';
import { AUDIT_TABLES, AuditStore, type AuditEntry } from './audit-store';
import { KEY_TABLES, KeyStore, type KeyRecord } from './key-store';
import { LazySchema, tableNames } from './lazy-schema';
import { SiteStore, type ConfigVersion, type FunnelStage, type LeadQuery, type LeadSnapshot } from './site-store';
import { TrainingStore } from './training-store';

/** A config as beacons need it: the document and the hashes of the keys that may send without an Origin. */
export type SiteConfigRecord = ConfigVersion & { serverKeys: string[] };

const EMBEDDED_NOTE = 'embedded default';

/** Sites whose config is embedded in the Worker and seeded on first use. */
const EMBEDDED: Record<string, SiteConfigInput> = { demo: DEMO_CONFIG };

export class SiteObject extends DurableObject<Env> {
  private readonly store: SiteStore;
  private readonly training: TrainingStore;
  private readonly schema: LazySchema;
  private readonly keys: KeyStore;
  private readonly auditLog: AuditStore;
  /** Local dev: the documented demo keys were checked for this instance. */
  private devKeysSeeded = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const { sql } = ctx.storage;
    this.store = new SiteStore(sql);
    this.training = new TrainingStore(sql);
    this.schema = new LazySchema(sql, { ...KEY_TABLES, ...AUDIT_TABLES }, tableNames(sql));
    this.keys = new KeyStore(sql, this.schema);
    this.auditLog = new AuditStore(sql, this.schema);
  }

  /**
   * The current config document, seeding an embedded default; null for an unknown site. A site
   * still on an embedded default that no one has edited follows the embedded document when a new
   * release changes it (a saved version of its own is never overwritten).
   */
  getConfig(site: string): SiteConfigRecord | null {
    const current = this.currentConfig(site);
    return current && { ...current, serverKeys: this.keys.serverHashes() };
  }

  private currentConfig(site: string): ConfigVersion | null {
    const current = this.store.current();
    const embedded = Object.hasOwn(EMBEDDED, site) ? EMBEDDED[site] : undefined;
    if (embedded) this.seedDevKeys(site);
    if (current && !(embedded && current.note === EMBEDDED_NOTE && JSON.stringify(current.document) !== JSON.stringify(embedded))) {
      return current;
    }
    if (!embedded) return null;
    this.store.save(embedded, EMBEDDED_NOTE, Date.now());
    return this.store.current();
  }

  /** Local dev only: the demo site holds the documented keys printed by `npm start` (never in production). */
  private seedDevKeys(site: string) {
    if (this.devKeysSeeded || site !== 'demo' || !isDev(this.env)) return;
    this.devKeysSeeded = true;
    const known = new Set(this.keys.list().map((k) => k.id));
    for (const k of DEMO_KEYS) if (!known.has(k.id)) this.keys.add({ ...k, repId: k.repId ?? null, createdAt: Date.now() });
  }

  /** Stores a new key (made and shown once by the Worker); false past KEYS_PER_SITE. */
  addKey(key: { id: string; hash: string; role: Role; label: string; repId: string | null; createdAt: number }): boolean {
    return this.keys.add(key);
  }

  listKeys(): KeyRecord[] {
    return this.keys.list();
  }

  revokeKey(id: string): KeyRecord | null {
    return this.keys.revoke(id);
  }

  /** The key with this SHA-256, or null (always read from storage: a revoked key never works again). */
  authenticate(hash: string, site: string): KeyRecord | null {
    this.seedDevKeys(site);
    return this.keys.authenticate(hash, Date.now());
  }

  recordAudit(entry: AuditEntry) {
    this.auditLog.record(entry);
  }

  audit(before: number | null, limit: number) {
    return this.auditLog.page(before, limit);
  }

  /** Saves an already-validated document as the new current version. */
  putConfig(document: SiteConfigInput, note: string | null): SiteConfigRecord {
    this.store.save(document, note, Date.now());
    return { ...this.store.current()!, serverKeys: this.keys.serverHashes() };
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
    const current = this.currentConfig(site);
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
