/**
 * One Durable Object for the whole instance: which sites exist, for the instance owner's list.
 * Written when a site's config is saved (admin traffic), never on the beacon path.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { LazySchema, tableNames } from './lazy-schema';

export type SiteEntry = { site: string; createdAt: number; updatedAt: number; status: 'active' | 'deleting'; deletion: { startedAt: number; remaining: number | null } | null };

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
    this.schema = new LazySchema(ctx.storage.sql, TABLES, tableNames(ctx.storage.sql));
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

  /** Deletion started (or progressed): the site stays listed as `deleting` until every object holding its data is empty. */
  markDeleting(site: string, startedAt: number, remaining: number | null) {
    this.schema.ensure('sites');
    this.ctx.storage.sql.exec(
      `INSERT INTO sites (site, created_at, updated_at, status, deletion) VALUES (?, ?, ?, 'deleting', ?)
       ON CONFLICT (site) DO UPDATE SET status = 'deleting', updated_at = excluded.updated_at, deletion = excluded.deletion`,
      site, startedAt, startedAt, JSON.stringify({ startedAt, remaining }),
    );
  }

  /** Every object of the site is empty: it is no longer listed. */
  forget(site: string) {
    if (this.schema.has('sites')) this.ctx.storage.sql.exec('DELETE FROM sites WHERE site = ?', site);
  }
}
