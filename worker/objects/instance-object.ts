/**
 * One Durable Object for the whole instance: which sites exist, for the instance owner's list.
 * Written when a site's config is saved (admin traffic), never on the beacon path.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { existingTables, LazySchema } from './lazy-schema';

/** A deletion in progress: visitor objects left per directory shard, and which shards are done. */
export type Deletion = { startedAt: number; remaining: Record<string, number>; done: number[] };
export type SiteEntry = { site: string; createdAt: number; updatedAt: number; status: 'active' | 'deleting'; deletion: Deletion | null };

const TABLES = {
  sites: [`CREATE TABLE sites (site TEXT PRIMARY KEY, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, status TEXT NOT NULL, deletion TEXT)`],
};

type Raw = { site: string; created_at: number; updated_at: number; status: SiteEntry['status']; deletion: string | null };

export function instanceStub(env: Env) {
  return env.INSTANCE.get(env.INSTANCE.idFromName('instance'));
}

export class InstanceObject extends DurableObject<Env> {
  private readonly schema: LazySchema;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = new LazySchema(ctx.storage.sql, TABLES, existingTables(ctx.storage.sql));
  }

  /** A site's config was saved: it exists (idempotent). */
  register(site: string, at: number) {
    this.schema.ensure('sites');
    this.ctx.storage.sql.exec(
      `INSERT INTO sites (site, created_at, updated_at, status) VALUES (?, ?, ?, 'active')
       ON CONFLICT (site) DO UPDATE SET updated_at = excluded.updated_at`,
      site, at, at,
    );
  }

  list(): SiteEntry[] {
    if (!this.schema.has('sites')) return [];
    return this.ctx.storage.sql
      .exec<Raw>('SELECT * FROM sites ORDER BY site')
      .toArray()
      .map((r) => ({ site: r.site, createdAt: r.created_at, updatedAt: r.updated_at, status: r.status, deletion: r.deletion ? JSON.parse(r.deletion) : null }));
  }

  get(site: string): SiteEntry | null {
    return this.list().find((s) => s.site === site) ?? null;
  }

  /** Deletion started: the site stays listed as `deleting` until every directory shard reports it is empty. */
  markDeleting(site: string, startedAt: number) {
    this.schema.ensure('sites');
    const deletion: Deletion = { startedAt, remaining: {}, done: [] };
    this.ctx.storage.sql.exec(
      `INSERT INTO sites (site, created_at, updated_at, status, deletion) VALUES (?, ?, ?, 'deleting', ?)
       ON CONFLICT (site) DO UPDATE SET status = 'deleting', updated_at = excluded.updated_at, deletion = excluded.deletion`,
      site, startedAt, startedAt, JSON.stringify(deletion),
    );
  }

  /** A directory shard's sweep progressed; once all `shards` are done the site is no longer listed. */
  sweepProgress(site: string, shard: number, remaining: number, done: boolean, shards: number) {
    const entry = this.get(site);
    if (!entry?.deletion) return;
    const d = entry.deletion;
    d.remaining[String(shard)] = remaining;
    if (done && !d.done.includes(shard)) d.done.push(shard);
    if (d.done.length >= shards) {
      this.ctx.storage.sql.exec('DELETE FROM sites WHERE site = ?', site);
      return;
    }
    this.ctx.storage.sql.exec('UPDATE sites SET deletion = ?, updated_at = ? WHERE site = ?', JSON.stringify(d), Date.now(), site);
  }
}
