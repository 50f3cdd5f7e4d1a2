/**
 * The site's re-staging pass (SiteObject): after a save that changes who passes a stage, every
 * lead in the index is re-evaluated by its own object, RESTAGE_BATCH leads per alarm, walking the
 * index by id from a stored cursor, so the pass survives restarts and never bursts.
 */
import type { LazySchema } from './lazy-schema';

/** Leads re-evaluated per alarm, and the pause between alarms: at most 25 leads a second (README). */
export const RESTAGE_BATCH = 25;
export const RESTAGE_PAUSE_MS = 1_000;

export const RESTAGE_TABLES = {
  restage: [
    `CREATE TABLE restage (k INTEGER PRIMARY KEY CHECK (k = 1), site TEXT NOT NULL, version INTEGER NOT NULL, alert INTEGER NOT NULL, admin_base_url TEXT NOT NULL,
      cursor TEXT NOT NULL, processed INTEGER NOT NULL, moved INTEGER NOT NULL, total INTEGER NOT NULL,
      status TEXT NOT NULL, started_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
  ],
};

export type RestageJob = {
  site: string;
  /** The config version the pass applies. */
  version: number;
  /** Whether leads moved by the pass alert sales (their webhooks), or move quietly. */
  alert: boolean;
  /** Origin of the marketer view, for links in the alerts it causes. */
  adminBaseUrl: string;
  /** The last lead id handled (the index is walked in id order). */
  cursor: string;
  processed: number;
  moved: number;
  total: number;
  status: 'running' | 'done';
  startedAt: number;
  updatedAt: number;
};

type Raw = { site: string; version: number; alert: number; admin_base_url: string; cursor: string; processed: number; moved: number; total: number; status: RestageJob['status']; started_at: number; updated_at: number };

export class RestageStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly schema: LazySchema,
  ) {}

  current(): RestageJob | null {
    if (!this.schema.has('restage')) return null;
    const r = this.sql.exec<Raw>('SELECT * FROM restage WHERE k = 1').toArray()[0];
    return r ? { site: r.site, version: r.version, alert: r.alert === 1, adminBaseUrl: r.admin_base_url, cursor: r.cursor, processed: r.processed, moved: r.moved, total: r.total, status: r.status, startedAt: r.started_at, updatedAt: r.updated_at } : null;
  }

  /** Starts a pass (replacing any running one: the newest config is the one to apply). */
  start(job: Pick<RestageJob, 'site' | 'version' | 'alert' | 'adminBaseUrl' | 'total'>, now: number) {
    this.schema.ensure('restage');
    this.sql.exec(
      `INSERT INTO restage (k, site, version, alert, admin_base_url, cursor, processed, moved, total, status, started_at, updated_at)
       VALUES (1, ?, ?, ?, ?, '', 0, 0, ?, 'running', ?, ?)
       ON CONFLICT (k) DO UPDATE SET site = excluded.site, version = excluded.version, alert = excluded.alert,
         admin_base_url = excluded.admin_base_url, cursor = '', processed = 0, moved = 0, total = excluded.total, status = 'running',
         started_at = excluded.started_at, updated_at = excluded.updated_at`,
      job.site, job.version, job.alert ? 1 : 0, job.adminBaseUrl, job.total, now, now,
    );
  }

  advance(cursor: string, processed: number, moved: number, done: boolean, now: number) {
    this.sql.exec(
      'UPDATE restage SET cursor = ?, processed = processed + ?, moved = moved + ?, status = ?, updated_at = ? WHERE k = 1',
      cursor, processed, moved, done ? 'done' : 'running', now,
    );
  }
}
