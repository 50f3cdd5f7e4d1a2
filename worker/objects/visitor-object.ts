/**
 * One Durable Object per (site, anonymous id). It serializes a visitor's writes, so there are no
 * locks and no lost updates. It loads and saves; the logic lives in pure modules.
 */
import { DurableObject } from 'cloudflare:workers';
import { classifyTraffic, type TrafficRequest } from '../abuse/bots';
import { take, type Bucket } from '../abuse/token-bucket';
import { outcomeLabel, verdictLabel, type OutcomeInput } from '../calibration/labels';
import { forgetSiteConfig, loadSiteConfig, siteStub, type LoadedConfig } from '../config/config-cache';
import { isDev, type Env } from '../env';
import { readRoutedBatch, type BatchError, type BatchRoute } from '../http/batch-body';
import { resolveConfig, type SiteConfig, type SiteConfigInput, type Stage } from '../schema/config';
import type { CollectResponse } from '../schema/responses';
import { computeScore, scoreTotals } from '../scoring/score';
import { decide, type Decision } from '../decisions/decide';
import { applyBatch, newVisitorState, type VisitorState } from '../visitor/apply-batch';
import { NO_EVENTS, planChange, type VisitorChange } from '../visitor/change';
import { nextRetentionCheck, retentionNow } from '../visitor/retention';
import { applyVerdict, type VerdictInput } from '../visitor/verdict';
import type { Verdict } from '../webhooks/payload';
import { buildProfile, type VisitorProfile } from '../visitor/profile';
import { dispatchDue } from '../webhooks/dispatch';
import type { SiteNotice } from '../webhooks/plan';
import { OutboxStore } from './outbox-store';
import { existingTables, VisitorStore } from './visitor-store';

export type IngestMeta = { receivedAt: number; adminBaseUrl: string };
/** What the Worker knows of a beacon it has not parsed: the object it was routed to, and who sent it. */
export type BeaconMeta = IngestMeta & BatchRoute & { traffic: TrafficRequest };
export type IngestResult =
  /** The beacon's answer (a CollectResponse) as JSON, ready to send: one string crosses the RPC back. */
  | string
  | { retryAfterMs: number }
  /** Not recorded: the batch is invalid, or flagged as automation the site does not allow. */
  | { error: BatchError }
  | { bot: 'crawler' | 'automation' }
  /** The object could not read the site config: call again with the Worker's copy. */
  | { configUnavailable: true };

/** Test seams: throw at the two moments a crash matters. Never set outside tests. */
export type FaultHooks = { midTransaction?: () => void; afterCommit?: () => void };

export class VisitorObject extends DurableObject<Env> {
  private store: VisitorStore;
  private outbox: OutboxStore;
  private state: VisitorState | null;
  /** The site config this object last used; beacons say which version they expect. */
  private loaded: LoadedConfig | null = null;
  private pumping: Promise<void> | null = null;
  /** Beacon budget; in memory on purpose (an eviction refills it, which is harmless). */
  private bucket: Bucket | null = null;
  faults: FaultHooks = {};

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    [this.store, this.outbox] = this.openStores();
    this.state = this.store.loadState();
  }

  private openStores(): [VisitorStore, OutboxStore] {
    const { sql } = this.ctx.storage;
    const existing = existingTables(sql);
    return [new VisitorStore(sql, existing, (fn) => this.ctx.storage.transactionSync(fn)), new OutboxStore(sql, existing)];
  }

  /**
   * Validates a beacon's body (the only parse it gets) and applies its batch exactly once per
   * event id, in one atomic write. The caller sends the config version it checked the
   * site against rather than the config, which would otherwise be copied into every beacon's call.
   */
  async ingest(body: string, configVersion: number, meta: BeaconMeta, fallback?: SiteConfigInput): Promise<IngestResult> {
    const read = readRoutedBatch(body, meta);
    if ('error' in read) return read;
    const { batch } = read;
    const config = this.configIfCurrent(configVersion) ?? (await this.configOrFallback(batch.site, configVersion, fallback));
    if (!config) return { configUnavailable: true };
    if (batch.context?.automated) {
      const kind = classifyTraffic(meta.traffic, true, config.bots.allowAutomated);
      if (kind === 'crawler' || kind === 'automation') return { bot: kind };
    }
    // Nothing below awaits: the read of the dedupe window and the commit cannot interleave with another beacon.
    const limit = take(this.bucket, meta.receivedAt, { capacity: config.rateLimits.visitorBurst, refillPerSecond: config.rateLimits.visitorPerSecond });
    this.bucket = limit.bucket;
    if (!limit.ok) return { retryAfterMs: limit.retryAfterMs };
    const prev = this.state ?? newVisitorState(batch.site, batch.anonymousId, meta.receivedAt);
    // A batch's ids are distinct (validated), so what is not fresh is a duplicate of an applied event.
    const fresh = this.store.unseen(batch.events);
    const duplicates = batch.events.length - fresh.length;
    if (fresh.length === 0) return this.answer(prev, config, meta.receivedAt, 0, duplicates);
    const outcome = applyBatch(prev, fresh, batch.sentAt, config, meta.receivedAt);
    this.commit(outcome.state, config, meta, {
      isNewVisitor: this.state === null,
      timeline: outcome.timeline,
      transitions: outcome.transitions,
      demoRequests: outcome.demoRequests,
    });
    return this.answer(outcome.state, config, meta.receivedAt, fresh.length, duplicates);
  }

  private answer(state: VisitorState, config: SiteConfig, now: number, accepted: number, duplicates: number): string {
    const response: CollectResponse = { ...this.decision(state, config, now), accepted, duplicates, tracked: true };
    return JSON.stringify(response);
  }

  /** Records sales' verdict: stage change, verdict webhook and funnel count, in one transaction. */
  async verdict(input: VerdictInput, configVersion: number, meta: IngestMeta): Promise<{ ok: true; stage: Stage; verdict: Verdict } | { ok: false; status: 404 | 409; message: string }> {
    const config = this.state && (await this.configAt(this.state.site, configVersion));
    // Checked after the await: an erase may have run meanwhile.
    if (!this.state || !config) return { ok: false, status: 404, message: 'no such visitor' };
    const score = computeScore(this.state.aggregates, config, meta.receivedAt);
    const outcome = applyVerdict(this.state, input, score.total, score.fit, meta.receivedAt);
    if (!outcome.ok) return { ok: false, status: 409, message: outcome.message };
    this.commit(outcome.state, config, meta, {
      ...NO_EVENTS,
      transitions: outcome.transition ? [outcome.transition] : [],
      verdict: { ...outcome.verdict, funnelStage: outcome.funnelStage },
      training: verdictLabel(this.state, input, config, meta.receivedAt),
    });
    return { ok: true, stage: outcome.state.stage, verdict: outcome.verdict };
  }

  /** Records a won/lost outcome as the lead's training label (sent to the site object through the outbox). */
  async outcome(input: OutcomeInput, configVersion: number, meta: IngestMeta): Promise<{ ok: true; stage: Stage } | { ok: false; status: 404 | 409; message: string }> {
    const config = this.state && (await this.configAt(this.state.site, configVersion));
    // Checked after the await: an erase may have run meanwhile.
    if (!this.state || !config) return { ok: false, status: 404, message: 'no such visitor' };
    const label = outcomeLabel(this.state, input, config, meta.receivedAt);
    if (!label.ok) return { ok: false, status: 409, message: label.message };
    this.commit(this.state, config, meta, { ...NO_EVENTS, transitions: [], training: label.update });
    return { ok: true, stage: this.state.stage };
  }

  /**
   * Persists a change and the outbox rows it causes atomically, then starts delivering them
   * (the alarm, armed in the same breath, is the backup).
   */
  private commit(next: VisitorState, config: SiteConfig, meta: IngestMeta, change: VisitorChange) {
    const now = meta.receivedAt;
    const planned = planChange(next, change, config, {
      now,
      adminBaseUrl: meta.adminBaseUrl,
      recentTimeline: (limit) => this.store.timeline(limit),
      newId: () => crypto.randomUUID(),
    });
    // Most beacons are one statement (the state row, or it and a timeline row through a trigger): atomic by itself, and a
    // transaction around it costs more CPU than the write.
    const save = this.store.plan(change.timeline);
    try {
      if (save.oneStatement && planned.rows.length === 0 && change.transitions.length === 0) this.store.save(planned.state, save);
      else {
        this.ctx.storage.transactionSync(() => {
          this.store.save(planned.state, save);
          this.faults.midTransaction?.();
          this.store.appendTransitions(change.transitions);
          for (const row of planned.rows) this.outbox.add(row);
        });
      }
    } catch (e) {
      // Rolled back: what the store just noted in memory was never stored.
      this.store.forgetCached();
      throw e;
    }
    this.state = planned.state;
    if (planned.rows.length > 0) {
      void this.ctx.storage.setAlarm(now + 5_000);
      this.faults.afterCommit?.();
      this.ctx.waitUntil(this.pump());
    }
  }

  /** The current decision, without recording anything (a visitor never seen gets the anonymous one). */
  async decide(site: string, anonymousId: string, configVersion: number, now: number): Promise<Decision> {
    const config = await this.configAt(site, configVersion);
    return this.decision(this.state ?? newVisitorState(site, anonymousId, now), config, now);
  }

  profile(config: SiteConfig, now: number): VisitorProfile | null {
    if (!this.state) return null;
    return buildProfile(this.state, this.store.transitions(), this.store.timeline(), config, now);
  }

  deliveries() {
    return this.outbox.log();
  }

  /** Queues a finished delivery again with the same webhook-id. */
  async redeliver(id: string, now: number): Promise<boolean> {
    if (!this.outbox.requeue(id, now)) return false;
    await this.ctx.storage.setAlarm(now + 5_000);
    this.ctx.waitUntil(this.pump());
    return true;
  }

  /** Erases everything about this visitor: state, timeline, pending deliveries, alarm. */
  async erase(): Promise<boolean> {
    const existed = this.state !== null;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    [this.store, this.outbox] = this.openStores();
    this.state = null;
    return existed;
  }

  override async alarm() {
    // Reload the config: endpoints and retention may have changed since the last beacon.
    this.loaded = null;
    const config = await this.currentConfig();
    if (config && this.state) {
      const due = retentionNow(this.state, config.retentionDays, Date.now());
      if (due.eraseVisitor) {
        const { site, anonymousId } = this.state;
        await this.erase();
        await siteStub(this.env, site).forgetLead(anonymousId);
        return;
      }
      this.store.purgeTimelineBefore(due.purgeBefore);
    }
    await this.pump();
  }

  /** Everything stored about this visitor, for a data-subject access request. */
  exportData(config: SiteConfig, now: number) {
    if (!this.state) return null;
    return {
      exportedAt: new Date(now).toISOString(),
      profile: buildProfile(this.state, this.store.transitions(), this.store.timeline(), config, now),
      verdict: this.state.verdict ?? null,
      aggregates: this.state.aggregates,
      deliveries: this.deliveries(),
    };
  }

  private decision(state: VisitorState, config: SiteConfig, now: number): Decision {
    const score = scoreTotals(state.aggregates, config, now);
    return decide({ anonymousId: state.anonymousId, stage: state.stage, score: score.total, aggregates: state.aggregates }, config, now);
  }

  /** One delivery loop at a time; the alarm is re-armed for whatever is still pending. */
  private pump(): Promise<void> {
    this.pumping ??= this.runPump()
      // The alarm stays armed as the backup, so a failed loop only delays delivery.
      .catch((e: Error) => console.warn('delivery loop interrupted; the alarm will retry:', e.message))
      .finally(() => {
        this.pumping = null;
      });
    return this.pumping;
  }

  private async currentConfig(): Promise<SiteConfig | null> {
    if (!this.state) return null;
    this.loaded ??= await loadSiteConfig(this.env, this.state.site);
    return this.loaded?.config ?? null;
  }

  /** The config this object holds, if it is at `version` or newer (no await: the common case). */
  private configIfCurrent(version: number): SiteConfig | null {
    return this.loaded && this.loaded.version >= version ? this.loaded.config : null;
  }

  /**
   * The site config at `version` or newer (versions only grow). This object keeps the one it
   * last used and reads the isolate's cache, then the site object, only when a caller has seen
   * a newer version.
   */
  private async configAt(site: string, version: number): Promise<SiteConfig> {
    const current = this.configIfCurrent(version);
    if (current) return current;
    let loaded = await loadSiteConfig(this.env, site);
    if (!loaded || loaded.version < version) {
      forgetSiteConfig(site);
      loaded = await loadSiteConfig(this.env, site);
    }
    // The caller found this site a moment ago and sites are never deleted.
    if (!loaded) throw new Error(`site "${site}" has no config`);
    this.loaded = loaded;
    return loaded.config;
  }

  /**
   * configAt, or when the site object cannot be read, the copy the Worker sent (it serves beacons
   * from memory while the site object is down); null asks the Worker for that copy.
   */
  private async configOrFallback(site: string, version: number, fallback: SiteConfigInput | undefined): Promise<SiteConfig | null> {
    try {
      return await this.configAt(site, version);
    } catch (e) {
      if (!fallback) return null;
      const resolved = resolveConfig(fallback);
      if (!resolved.ok) throw e;
      console.warn(`site "${site}": config unreadable, using the Worker's copy of version ${version}:`, (e as Error).message);
      return resolved.config;
    }
  }

  private async runPump() {
    const config = await this.currentConfig();
    if (!config || !this.state) return;
    const { site } = this.state;
    const nextDue = await dispatchDue({
      outbox: this.outbox,
      config,
      now: Date.now,
      dev: isDev(this.env),
      notifySite: async (row) => {
        const notice = JSON.parse(row.payload) as SiteNotice;
        await siteStub(this.env, site).recordNotice(row.id, notice.stages, notice.at, notice.lead, notice.training);
      },
      disableEndpoint: async (endpointId) => {
        await siteStub(this.env, site).disableWebhook(endpointId);
        forgetSiteConfig(site);
        this.loaded = null;
      },
    });
    // One alarm serves both: the next delivery retry and the next retention check.
    const retention = nextRetentionCheck(this.state, this.store.oldestTimelineAt(), config.retentionDays);
    const next = [nextDue, retention].filter((t): t is number => t !== null);
    if (next.length === 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.min(...next));
  }
}
