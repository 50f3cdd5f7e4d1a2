/** SQLite tables of a site's Durable Object: config versions and funnel counters. */
import type { SiteConfigInput, Stage } from '../schema/config';

/** Funnel rows: 'visitors' (first beacon) and each stage reached. */
export type FunnelStage = Stage | 'visitors';
import { LIMITS } from '../schema/limits';

export type ConfigVersion = { version: number; savedAt: number; note: string | null; document: SiteConfigInput };

export class SiteStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS config_versions (
      version INTEGER PRIMARY KEY, saved_at INTEGER NOT NULL, note TEXT, document TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS funnel (
      day TEXT NOT NULL, stage TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, stage))`);
    sql.exec(`CREATE TABLE IF NOT EXISTS notices (id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
  }

  current(): ConfigVersion | null {
    const row = this.sql
      .exec<{ version: number; saved_at: number; note: string | null; document: string }>(
        'SELECT version, saved_at, note, document FROM config_versions ORDER BY version DESC LIMIT 1',
      )
      .toArray()[0];
    return row ? { version: row.version, savedAt: row.saved_at, note: row.note, document: JSON.parse(row.document) } : null;
  }

  version(version: number): ConfigVersion | null {
    const row = this.sql
      .exec<{ version: number; saved_at: number; note: string | null; document: string }>(
        'SELECT version, saved_at, note, document FROM config_versions WHERE version = ?',
        version,
      )
      .toArray()[0];
    return row ? { version: row.version, savedAt: row.saved_at, note: row.note, document: JSON.parse(row.document) } : null;
  }

  versions(): Omit<ConfigVersion, 'document'>[] {
    return this.sql
      .exec<{ version: number; saved_at: number; note: string | null }>(
        'SELECT version, saved_at, note FROM config_versions ORDER BY version DESC',
      )
      .toArray()
      .map((r) => ({ version: r.version, savedAt: r.saved_at, note: r.note }));
  }

  /** Appends a version (the newest is current) and drops the oldest past the cap. */
  save(document: SiteConfigInput, note: string | null, now: number): number {
    const next = (this.current()?.version ?? 0) + 1;
    this.sql.exec(
      'INSERT INTO config_versions (version, saved_at, note, document) VALUES (?, ?, ?, ?)',
      next,
      now,
      note,
      JSON.stringify(document),
    );
    this.sql.exec('DELETE FROM config_versions WHERE version <= ?', next - LIMITS.configVersionsKept);
    return next;
  }

  /** Counts each stage reached once per notice id (notices are delivered at least once). */
  countReached(noticeId: string, stages: FunnelStage[], at: number): boolean {
    const seen = this.sql.exec('SELECT 1 FROM notices WHERE id = ?', noticeId).toArray().length > 0;
    if (seen) return false;
    this.sql.exec('INSERT INTO notices (id, at) VALUES (?, ?)', noticeId, at);
    const day = new Date(at).toISOString().slice(0, 10);
    for (const stage of stages) {
      this.sql.exec(
        'INSERT INTO funnel (day, stage, count) VALUES (?, ?, 1) ON CONFLICT (day, stage) DO UPDATE SET count = count + 1',
        day,
        stage,
      );
    }
    // Notices are retried for at most a few days; older ids cannot come back.
    this.sql.exec('DELETE FROM notices WHERE at < ?', at - 30 * 24 * 3600 * 1000);
    return true;
  }

  funnel(fromDay: string, toDay: string): { day: string; stage: FunnelStage; count: number }[] {
    return this.sql
      .exec<{ day: string; stage: FunnelStage; count: number }>(
        'SELECT day, stage, count FROM funnel WHERE day >= ? AND day <= ? ORDER BY day',
        fromDay,
        toDay,
      )
      .toArray();
  }
}
