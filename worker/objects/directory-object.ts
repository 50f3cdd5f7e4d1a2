/**
 * Every visitor of a site, in DIRECTORY_SHARDS objects chosen by a hash of the visitor id: it
 * counts first visits per day (the funnel's "visitors") without a write to the site object per
 * visitor, and it is how a site deletion finds every visitor object (Durable Objects cannot be
 * listed). Each shard hears about a visitor twice at most: its first beacon (through the visitor's
 * outbox, so at least once) and its erasure.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { visitorStub } from '../routes/stubs';
import { isoDay } from '../time';
import { instanceStub } from './instance-object';
import { existingTables, LazySchema } from './lazy-schema';

/** Shards per site: at ten million new visitors a day, about 4 first-visit notices a second each. */
export const DIRECTORY_SHARDS = 32;
/** Visitor objects a deletion sweep erases per alarm, per shard (32 shards sweep at once). */
const SWEEP_BATCH = 25;
/** Once a shard is empty it looks again after this long (an isolate may have served the site from its 2 s config cache meanwhile). */
const SWEEP_SETTLE_MS = 10_000;

const TABLES = {
  visitors: ['CREATE TABLE visitors (aid TEXT PRIMARY KEY, first_day TEXT NOT NULL) WITHOUT ROWID'],
  days: ['CREATE TABLE days (day TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID'],
  /** Identifiers (`email:…`, `userId:…`) whose shard this is: one owner each, and today's links. */
  identities: ['CREATE TABLE identities (key TEXT PRIMARY KEY, person TEXT NOT NULL, day TEXT NOT NULL, links INTEGER NOT NULL) WITHOUT ROWID'],
  sweep: ['CREATE TABLE sweep (k INTEGER PRIMARY KEY CHECK (k = 1), site TEXT NOT NULL, shard INTEGER NOT NULL, started_at INTEGER NOT NULL, settled INTEGER NOT NULL DEFAULT 0)'],
};

/**
 * The shard of a visitor id (FNV-1a, 32 bits): stable across releases, since it names storage.
 * @example shardOf('a-1') // a number in [0, 32)
 */
export function shardOf(anonymousId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < anonymousId.length; i++) {
    h ^= anonymousId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % DIRECTORY_SHARDS;
}

export function directoryStub(env: Env, site: string, shard: number) {
  // Site keys cannot contain "#", so the name is unambiguous.
  return env.DIRECTORY.get(env.DIRECTORY.idFromName(`${site}#${shard}`));
}

export const directoryOf = (env: Env, site: string, anonymousId: string) => directoryStub(env, site, shardOf(anonymousId));
/** The shard that owns an identifier key (`email:…`, `userId:…`). */
export const identityShard = (env: Env, site: string, key: string) => directoryStub(env, site, shardOf(key));

export class DirectoryObject extends DurableObject<Env> {
  private readonly schema: LazySchema;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = new LazySchema(ctx.storage.sql, TABLES, existingTables(ctx.storage.sql));
  }

  private get sql() {
    return this.ctx.storage.sql;
  }

  /**
   * Who owns an identifier, claiming it for `candidate` when nobody does: race-free, as one shard
   * serializes its identifiers. `linking` (a browser joining): counts against the identifier's
   * links today, refused past `perDay`.
   */
  claim(key: string, candidate: string, at: number, opts: { linking: boolean; perDay: number }): { person: string; created: boolean } | { refused: 'daily_limit' } {
    return this.ctx.storage.transactionSync(() => {
      this.schema.ensure('identities');
      const day = isoDay(at);
      const row = this.sql.exec<{ person: string; day: string; links: number }>('SELECT person, day, links FROM identities WHERE key = ?', key).toArray()[0];
      if (!row) {
        this.sql.exec('INSERT INTO identities (key, person, day, links) VALUES (?, ?, ?, ?)', key, candidate, day, opts.linking ? 1 : 0);
        return { person: candidate, created: true };
      }
      if (!opts.linking || row.person === candidate) return { person: row.person, created: false };
      const today = row.day === day ? row.links : 0;
      if (today >= opts.perDay) return { refused: 'daily_limit' as const };
      this.sql.exec('UPDATE identities SET day = ?, links = ? WHERE key = ?', day, today + 1, key);
      return { person: row.person, created: false };
    });
  }

  /** The person an identifier belongs to, if any. */
  ownerOf(key: string): string | null {
    if (!this.schema.has('identities')) return null;
    return this.sql.exec<{ person: string }>('SELECT person FROM identities WHERE key = ?', key).toArray()[0]?.person ?? null;
  }

  /** A browser that owned an identifier became a person: the person owns it now. */
  reassign(key: string, from: string, to: string) {
    if (this.schema.has('identities')) this.sql.exec('UPDATE identities SET person = ? WHERE key = ? AND person = ?', to, key, from);
  }

  /** The person (or lone browser) was erased: its identifiers leave (only if still its own). */
  release(key: string, person: string) {
    if (this.schema.has('identities')) this.sql.exec('DELETE FROM identities WHERE key = ? AND person = ?', key, person);
  }

  /** A visitor's first beacon (at least once): counted on its first day, once. A person's object is registered (for a site deletion's sweep), never counted. */
  async seen(site: string, anonymousId: string, at: number, person = false) {
    if (this.sweeping()) {
      // The site is being deleted: a visitor that slipped in is erased rather than registered.
      await visitorStub(this.env, site, anonymousId).erase({ tombstone: false });
      return;
    }
    this.ctx.storage.transactionSync(() => {
      this.schema.ensure('visitors');
      this.schema.ensure('days');
      const day = isoDay(at);
      const added = this.sql.exec('INSERT OR IGNORE INTO visitors (aid, first_day) VALUES (?, ?) RETURNING aid', anonymousId, day).toArray().length;
      if (added && !person) this.sql.exec('INSERT INTO days (day, n) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET n = n + 1', day);
    });
  }

  /** The visitor was erased: its id leaves (the day's count stays: it names no one). */
  forget(anonymousId: string) {
    if (this.schema.has('visitors')) this.sql.exec('DELETE FROM visitors WHERE aid = ?', anonymousId);
  }

  firstDay(anonymousId: string): string | null {
    if (!this.schema.has('visitors')) return null;
    return this.sql.exec<{ first_day: string }>('SELECT first_day FROM visitors WHERE aid = ?', anonymousId).toArray()[0]?.first_day ?? null;
  }

  /** First visits per day between two ISO days (inclusive). */
  counts(fromDay: string, toDay: string): { day: string; n: number }[] {
    if (!this.schema.has('days')) return [];
    return this.sql.exec<{ day: string; n: number }>('SELECT day, n FROM days WHERE day >= ? AND day <= ?', fromDay, toDay).toArray();
  }

  /** Site deletion: erase every visitor object this shard knows, then itself (alarm by alarm). */
  async startSweep(site: string, shard: number, at: number) {
    this.schema.ensure('sweep');
    this.sql.exec('INSERT INTO sweep (k, site, shard, started_at) VALUES (1, ?, ?, ?) ON CONFLICT (k) DO NOTHING', site, shard, at);
    await this.ctx.storage.setAlarm(Date.now());
  }

  private sweeping(): { site: string; shard: number; settled: number } | null {
    if (!this.schema.has('sweep')) return null;
    return this.sql.exec<{ site: string; shard: number; settled: number }>('SELECT site, shard, settled FROM sweep WHERE k = 1').toArray()[0] ?? null;
  }

  override async alarm() {
    const sweep = this.sweeping();
    if (!sweep) return;
    const { shard } = sweep;
    const batch = this.schema.has('visitors') ? this.sql.exec<{ aid: string }>('SELECT aid FROM visitors LIMIT ?', SWEEP_BATCH).toArray() : [];
    // Erase first, forget after: a failed erase keeps its row, and the next alarm tries again.
    for (const { aid } of batch) {
      await visitorStub(this.env, sweep.site, aid).erase({ tombstone: false });
      this.sql.exec('DELETE FROM visitors WHERE aid = ?', aid);
    }
    const remaining = this.schema.has('visitors') ? this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM visitors').one().n : 0;
    if (remaining > 0 || !sweep.settled) {
      if (remaining === 0) this.sql.exec('UPDATE sweep SET settled = 1');
      await instanceStub(this.env).sweepProgress(sweep.site, shard, remaining, false, DIRECTORY_SHARDS);
      await this.ctx.storage.setAlarm(Date.now() + (remaining > 0 ? 0 : SWEEP_SETTLE_MS));
      return;
    }
    await instanceStub(this.env).sweepProgress(sweep.site, shard, 0, true, DIRECTORY_SHARDS);
    await this.ctx.storage.deleteAll();
    this.schema.reload();
  }
}
