/**
 * One Durable Object per site: its config (with versions), keys and audit log, the leads index,
 * the funnel and the training rows. Written on config changes, stage transitions and admin
 * actions, never on every beacon. It loads and saves; each table family has its own store.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Role } from '../access/roles';
import type { RowOrigin, TrainingRow, TrainingUpdate } from '../calibration/training-row';
import { DEMO_CONFIG } from '../config/demo-config';
import { DEMO_KEYS } from '../config/dev-keys';
import { isDev, type Env } from '../env';
import type { SiteConfig, SiteConfigInput } from '../schema/config';
import { AUDIT_TABLES, AuditStore, type AuditEntry } from './audit-store';
import { CONFIG_TABLES, ConfigStore, type ConfigVersion } from './config-store';
import { COUNTER_TABLES, Counters } from './counters';
import { FUNNEL_TABLES, FunnelStore, type FunnelStage } from './funnel-store';
import { KEY_TABLES, KeyStore, type KeyRecord } from './key-store';
import { existingTables, LazySchema } from './lazy-schema';
import { LEADS_TABLES, LeadsStore, type LeadQuery, type LeadSnapshot } from './leads-store';
import { TRAINING_TABLES, TrainingStore } from './training-store';
import { ALERT_TABLES, AlertCeilingStore, type DemoAlertStats } from './alert-ceiling-store';
import { RESTAGE_BATCH, RESTAGE_PAUSE_MS, RESTAGE_TABLES, RestageStore, type RestageJob } from './restage-store';
import { previewRestage, type RestagePreview } from '../restage/preview';
import { visitorStub } from '../routes/stubs';

/** A config as beacons need it: the document and the hashes of the keys that may send without an Origin. */
export type SiteConfigRecord = ConfigVersion & { serverKeys: string[] };

const EMBEDDED_NOTE = 'embedded default';

/** Sites whose config is embedded in the Worker and seeded on first use. */
const EMBEDDED: Record<string, SiteConfigInput> = { demo: DEMO_CONFIG };

/** Test seams: make the object fail as if unreachable. Never set outside tests. */
export type SiteFaults = { unavailable?: boolean; forgetFails?: boolean };

const SECRET_TABLES = { secrets: ['CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID'] };
export const IDENTITY_REFUSALS = ['blocked', 'dailyLimit', 'badToken', 'conflict'] as const;
export type IdentityRefusal = (typeof IDENTITY_REFUSALS)[number];

export class SiteObject extends DurableObject<Env> {
  private schema: LazySchema;
  private configs: ConfigStore;
  private keys: KeyStore;
  private auditLog: AuditStore;
  private leadsIndex: LeadsStore;
  private funnelStore: FunnelStore;
  private training: TrainingStore;
  private restageJobs: RestageStore;
  private alerts: AlertCeilingStore;
  private counters: Counters;
  /** Local dev: the documented demo keys were checked for this instance. */
  private devKeysSeeded = false;
  faults: SiteFaults = {};

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const { sql } = ctx.storage;
    this.schema = new LazySchema(
      sql,
      { ...CONFIG_TABLES, ...KEY_TABLES, ...AUDIT_TABLES, ...LEADS_TABLES, ...FUNNEL_TABLES, ...TRAINING_TABLES, ...COUNTER_TABLES, ...RESTAGE_TABLES, ...ALERT_TABLES, ...SECRET_TABLES },
      existingTables(sql),
    );
    const counters = (this.counters = new Counters(sql, this.schema));
    this.configs = new ConfigStore(sql, this.schema);
    this.keys = new KeyStore(sql, this.schema);
    this.auditLog = new AuditStore(sql, this.schema);
    this.leadsIndex = new LeadsStore(sql, this.schema, counters);
    this.funnelStore = new FunnelStore(sql, this.schema);
    this.training = new TrainingStore(sql, this.schema, counters);
    this.restageJobs = new RestageStore(sql, this.schema);
    this.alerts = new AlertCeilingStore(sql, this.schema);
    // Notice ids were kept for 30 days by earlier releases (every part of a notice is idempotent now): dropped once.
    if (this.schema.has('notices')) {
      sql.exec('DROP TABLE notices');
      this.schema.reload();
    }
  }

  /** Runs a storage transaction; a rollback may leave the schema cache naming tables that were never created. */
  private transact<T>(fn: () => T): T {
    try {
      return this.ctx.storage.transactionSync(fn);
    } catch (e) {
      this.schema.reload();
      throw e;
    }
  }

  /**
   * The current config document, seeding an embedded default; null for an unknown site. A site
   * still on an embedded default that no one has edited follows the embedded document when a new
   * release changes it (a saved version of its own is never overwritten).
   */
  getConfig(site: string): SiteConfigRecord | null {
    if (this.faults.unavailable) throw new Error('site object unavailable (injected)');
    const current = this.currentConfig(site);
    return current && { ...current, serverKeys: this.keys.serverHashes() };
  }

  private currentConfig(site: string): ConfigVersion | null {
    const current = this.configs.current();
    const embedded = Object.hasOwn(EMBEDDED, site) ? EMBEDDED[site] : undefined;
    if (embedded) this.seedDevKeys(site);
    if (current && !(embedded && current.note === EMBEDDED_NOTE && JSON.stringify(current.document) !== JSON.stringify(embedded))) {
      return current;
    }
    if (!embedded) return null;
    this.configs.save(embedded, EMBEDDED_NOTE, Date.now());
    return this.configs.current();
  }

  /** Local dev only: the demo site holds the documented keys printed by `npm start` (never in production). */
  private seedDevKeys(site: string) {
    if (this.devKeysSeeded || site !== 'demo' || !isDev(this.env)) return;
    this.devKeysSeeded = true;
    const known = new Set(this.keys.list().map((k) => k.id));
    for (const k of DEMO_KEYS) {
      if (!known.has(k.id)) this.keys.add({ id: k.id, hash: k.hash, role: k.role, label: k.label, repId: k.repId ?? null, createdAt: Date.now() });
    }
  }

  /**
   * Saves an already-validated document as the new current version. With `ifVersion` (from the
   * request's If-Match), only over one of those versions, or over any with "*": checked and saved here,
   * in one call, so nothing (a 410 turning an endpoint off) can land in between.
   */
  putConfig(document: SiteConfigInput, note: string | null, ifVersion?: number[] | '*'): SiteConfigRecord | { conflict: number | null } {
    if (ifVersion !== undefined) {
      const current = this.configs.current()?.version ?? null;
      if (current === null || (ifVersion !== '*' && !ifVersion.includes(current))) return { conflict: current };
    }
    this.configs.save(document, note, Date.now());
    return { ...this.configs.current()!, serverKeys: this.keys.serverHashes() };
  }

  /** A receiver answered 410 Gone: save a new version with that endpoint turned off. */
  disableWebhook(endpointId: string): boolean {
    const current = this.configs.current();
    const hooks = current?.document.webhooks ?? [];
    if (!current || !hooks.some((w) => w.id === endpointId && w.enabled !== false)) return false;
    const document = { ...current.document, webhooks: hooks.map((w) => (w.id === endpointId ? { ...w, enabled: false } : w)) };
    this.configs.save(document, `webhook "${endpointId}" disabled: the receiver answered 410 Gone`, Date.now());
    return true;
  }

  versions() {
    return this.configs.versions();
  }

  version(version: number): ConfigVersion | null {
    return this.configs.version(version);
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
    if (this.faults.unavailable) throw new Error('site object unavailable (injected)');
    this.seedDevKeys(site);
    return this.keys.authenticate(hash, Date.now());
  }

  recordAudit(entry: AuditEntry) {
    this.auditLog.record(entry);
  }

  audit(before: number | null, limit: number) {
    return this.auditLog.page(before, limit);
  }

  /**
   * A visitor object reports stages reached, its index row and any training label (at least
   * once: each stage counts once per lead, the row keeps its newest version, labels are keyed).
   * `noticeId` is no longer needed; outbox rows written by earlier releases still pass it.
   */
  recordNotice(_noticeId: string, stages: FunnelStage[], at: number, lead: LeadSnapshot | null, training?: TrainingUpdate, absorbed?: string[]) {
    this.transact(() => {
      // Browsers that joined a person: their own rows go (the person's row is the lead now), and a notice of theirs still in flight cannot bring them back.
      for (const id of absorbed ?? []) {
        if (lead) {
          this.leadsIndex.joined(id, lead.id, at);
          this.funnelStore.merge(id, lead.id);
        } else this.leadsIndex.forget(id, at);
      }
      // Notices from earlier releases counted first visits here; the directory counts them now.
      const perLead = stages.filter((s) => s !== 'visitors');
      if (stages.includes('visitors')) this.funnelStore.count('visitors', 1, at);
      if (lead) {
        const erased = this.leadsIndex.erasedSince(lead.id, at);
        if (!erased) this.leadsIndex.upsert(lead);
        // A notice sent before its lead joined a person counts for the person (once per stage, as the stages it merged);
        // an erased lead's stages still count, under an id that names no one.
        const person = erased ? this.leadsIndex.joinedInto(lead.id) : null;
        const counted = person && !this.leadsIndex.erasedSince(person, at) ? person : erased ? `erased:${crypto.randomUUID()}` : lead.id;
        this.funnelStore.reached(counted, perLead, at);
      } else {
        for (const stage of perLead) this.funnelStore.count(stage, 1, at);
      }
      if (training) {
        const id = training.kind === 'label' ? training.row.id : training.id;
        const labelAt = training.kind === 'label' ? training.row.at : training.at;
        if (!this.leadsIndex.erasedSince(id, labelAt)) this.training.apply(training);
      }
    });
  }

  /**
   * A visitor object asks before the first attempt of a demo-request alert: true while the site is
   * under `perHour` such alerts this clock hour (idempotent per outbox row id).
   */
  claimDemoAlert(id: string, perHour: number): boolean {
    return this.transact(() => this.alerts.claim(id, Date.now(), perHour));
  }

  /**
   * The site's key for email link tokens (base64url of 32 random bytes), made on first use when
   * `create`; null when there is none yet (no token was ever issued, so none can be valid).
   */
  linkKey(create: boolean): string | null {
    const row = this.schema.has('secrets') ? this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM secrets WHERE name = 'link'").toArray()[0] : undefined;
    if (row || !create) return row?.value ?? null;
    const raw = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    this.schema.ensure('secrets');
    this.ctx.storage.sql.exec("INSERT INTO secrets (name, value) VALUES ('link', ?)", raw);
    return raw;
  }

  /** A refused link (a blocked value, an identifier's daily limit, a bad or expired link token): counted, shown with the site. */
  countIdentity(kind: IdentityRefusal) {
    this.transact(() => this.counters.add(`identity_${kind}`, 1));
  }

  identityStats(): Record<IdentityRefusal, number> {
    return Object.fromEntries(IDENTITY_REFUSALS.map((k) => [k, this.counters.get(`identity_${k}`) ?? 0])) as Record<IdentityRefusal, number>;
  }

  /** Demo-request alerts let through and suppressed by the hourly ceiling (GET /v1/admin/sites/:site). */
  demoAlertStats(): DemoAlertStats {
    return this.alerts.stats(Date.now());
  }

  countBots(n: number, at: number) {
    this.funnelStore.count('bots', n, at);
  }

  leads(query: LeadQuery) {
    return this.leadsIndex.page(query);
  }

  /** Erasure of one lead: its index row and training label go, its funnel rows stop naming it. */
  forgetLead(id: string): boolean {
    if (this.faults.forgetFails) throw new Error('forgetLead failed (injected)');
    return this.transact(() => {
      const labelled = this.training.forget(id);
      this.funnelStore.anonymize(id);
      return this.leadsIndex.forget(id, Date.now()) || labelled;
    });
  }

  /** What this object holds about one lead, for its export. */
  exportLead(id: string) {
    return { index: this.leadsIndex.get(id), stages: this.funnelStore.ofLead(id), training: this.training.get(id) };
  }

  importTraining(rows: TrainingRow[]): number {
    return this.transact(() => this.training.importRows(rows));
  }

  trainingSummary() {
    return this.training.summary();
  }

  clearTraining(origin?: RowOrigin): number {
    return this.transact(() => this.training.clear(origin));
  }

  /**
   * What calibration needs, read in one go: the Worker fits the model, so this object's config
   * reads and notices never wait behind seconds of calibration CPU.
   */
  calibrationInput(site: string): { version: number; document: SiteConfigInput; rows: TrainingRow[] } | null {
    const current = this.currentConfig(site);
    return current && { version: current.version, document: current.document, rows: this.training.all() };
  }

  funnel(fromDay: string, toDay: string) {
    return { rows: this.funnelStore.days(fromDay, toDay), cohort: this.funnelStore.cohort(fromDay, toDay) };
  }

  /** How many leads new stage thresholds would move, estimated from the index (before a save). */
  previewRestage(stages: SiteConfig['stages']): RestagePreview & { indexed: number } {
    return { ...previewRestage(this.leadsIndex.movable(), { stages } as SiteConfig), indexed: this.leadsIndex.count() };
  }

  /** Re-stages every indexed lead against config `version`, in the background (see restage-store.ts). */
  async startRestage(site: string, version: number, alert: boolean, adminBaseUrl: string): Promise<RestageJob> {
    this.restageJobs.start({ site, version, alert, adminBaseUrl, total: this.leadsIndex.count() }, Date.now());
    await this.ctx.storage.setAlarm(Date.now());
    return this.restageJobs.current()!;
  }

  restageStatus(): RestageJob | null {
    return this.restageJobs.current();
  }

  /** One step of the re-staging pass: RESTAGE_BATCH leads, each re-evaluated by its own object. */
  override async alarm() {
    const job = this.restageJobs.current();
    if (!job || job.status !== 'running') return;
    const ids = this.leadsIndex.idsAfter(job.cursor, RESTAGE_BATCH);
    let moved = 0;
    try {
      for (const id of ids) if (await visitorStub(this.env, job.site, id).restage(job.version, job.alert, job.adminBaseUrl)) moved += 1;
    } catch (e) {
      // The batch runs again from the same cursor (a lead already moved does not move twice: stages only go forward).
      console.warn('re-staging paused; retrying shortly:', (e as Error).message);
      await this.ctx.storage.setAlarm(Date.now() + 5 * RESTAGE_PAUSE_MS);
      return;
    }
    // A save during this step started a newer pass: leave it alone.
    if (this.restageJobs.current()?.startedAt !== job.startedAt) return;
    const done = ids.length < RESTAGE_BATCH;
    this.restageJobs.advance(ids.at(-1) ?? job.cursor, ids.length, moved, done, Date.now());
    if (!done) await this.ctx.storage.setAlarm(Date.now() + RESTAGE_PAUSE_MS);
  }

  /** Site deletion: everything this object holds goes at once (directory shards sweep the visitors). */
  async deleteSite() {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.schema.reload();
    this.devKeysSeeded = false;
  }
}
