/** SQLite tables of a site's Durable Object: config versions and funnel counters. */
import type { SiteConfigInput, Stage } from '../schema/config';

/** Funnel rows: 'visitors' (first beacon), each stage reached, 'recycled' (sent back to nurture) and 'bots' (beacons not scored). */
export type FunnelStage = Stage | 'visitors' | 'recycled' | 'bots';
export const FUNNEL_STAGES: FunnelStage[] = ['visitors', 'known', 'mql', 'sql', 'sal', 'disqualified', 'recycled', 'bots'];

/** A lead's row in the site's index: what the leads table shows, as of the last notice. */
export type LeadSnapshot = {
  id: string;
  stage: Stage;
  score: number;
  fit: number;
  traits: { name?: string; email?: string; company?: string; title?: string };
  topics: string[];
  lastSeen: number;
  stageSince: number;
  verdict: { verdict: string; action?: string; reason?: string; at: number } | null;
  updatedAt: number;
};

export type LeadQuery = { stage?: Stage; sort: 'score' | 'lastSeen'; limit: number; offset: number };

/** Leads kept in a site's index; past this the least recently seen are dropped. */
export const LEADS_INDEX_CAP = 100_000;
import { LIMITS } from '../schema/limits';

export type ConfigVersion = { version: number; savedAt: number; note: string | null; document: SiteConfigInput };

export class SiteStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS config_versions (
      version INTEGER PRIMARY KEY, saved_at INTEGER NOT NULL, note TEXT, document TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS funnel (
      day TEXT NOT NULL, stage TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, stage))`);
    sql.exec(`CREATE TABLE IF NOT EXISTS notices (id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
    sql.exec('CREATE INDEX IF NOT EXISTS notices_by_time ON notices (at)');
    sql.exec(`CREATE TABLE IF NOT EXISTS leads (
      id TEXT PRIMARY KEY, stage TEXT NOT NULL, score REAL NOT NULL, last_seen INTEGER NOT NULL,
      updated_at INTEGER NOT NULL, json TEXT NOT NULL)`);
    sql.exec('CREATE INDEX IF NOT EXISTS leads_by_score ON leads (score DESC)');
    sql.exec('CREATE INDEX IF NOT EXISTS leads_by_seen ON leads (last_seen DESC)');
    sql.exec('CREATE INDEX IF NOT EXISTS leads_by_stage ON leads (stage, score DESC)');
    // Erased leads: a notice still in flight when a visitor was erased must not bring it back.
    sql.exec('CREATE TABLE IF NOT EXISTS erased (id TEXT PRIMARY KEY, at INTEGER NOT NULL)');
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

  /** Applies a visitor's notice once per id (notices are delivered at least once): funnel counts and the lead's row. */
  applyNotice(noticeId: string, stages: FunnelStage[], at: number, lead: LeadSnapshot | null): boolean {
    const seen = this.sql.exec('SELECT 1 FROM notices WHERE id = ?', noticeId).toArray().length > 0;
    if (seen) return false;
    this.sql.exec('INSERT INTO notices (id, at) VALUES (?, ?)', noticeId, at);
    if (lead) this.upsertLead(lead);
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

  /** Adds to a day's count without a notice id (bot counts are approximate by design). */
  addToFunnel(stage: FunnelStage, n: number, at: number) {
    this.sql.exec(
      'INSERT INTO funnel (day, stage, count) VALUES (?, ?, ?) ON CONFLICT (day, stage) DO UPDATE SET count = count + excluded.count',
      new Date(at).toISOString().slice(0, 10),
      stage,
      n,
    );
  }

  private leadCount: number | null = null;

  private upsertLead(lead: LeadSnapshot) {
    const erased = this.sql.exec<{ at: number }>('SELECT at FROM erased WHERE id = ?', lead.id).toArray()[0];
    if (erased && erased.at >= lead.updatedAt) return;
    const exists = this.sql.exec('SELECT 1 FROM leads WHERE id = ?', lead.id).toArray().length > 0;
    if (exists) {
      // Notices of one visitor arrive in order, but a redelivered old one must not win.
      this.sql.exec(
        'UPDATE leads SET stage = ?, score = ?, last_seen = ?, updated_at = ?, json = ? WHERE id = ? AND updated_at <= ?',
        lead.stage, lead.score, lead.lastSeen, lead.updatedAt, JSON.stringify(lead), lead.id, lead.updatedAt,
      );
      return;
    }
    this.sql.exec(
      'INSERT INTO leads (id, stage, score, last_seen, updated_at, json) VALUES (?, ?, ?, ?, ?, ?)',
      lead.id, lead.stage, lead.score, lead.lastSeen, lead.updatedAt, JSON.stringify(lead),
    );
    this.leadCount = (this.leadCount ?? this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM leads').one().n - 1) + 1;
    if (this.leadCount > LEADS_INDEX_CAP) {
      this.sql.exec('DELETE FROM leads WHERE id = (SELECT id FROM leads ORDER BY last_seen ASC LIMIT 1)');
      this.leadCount -= 1;
    }
  }

  /** Was this lead erased at or after `at`? (A late label for it must not bring it back.) */
  erasedSince(id: string, at: number): boolean {
    const erased = this.sql.exec<{ at: number }>('SELECT at FROM erased WHERE id = ?', id).toArray()[0];
    return erased !== undefined && erased.at >= at;
  }

  forgetLead(id: string, at: number): boolean {
    this.sql.exec('INSERT INTO erased (id, at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at', id, at);
    // Notices are retried for days at most; older tombstones can go.
    this.sql.exec('DELETE FROM erased WHERE at < ?', at - 30 * 24 * 3600 * 1000);
    const removed = this.sql.exec('DELETE FROM leads WHERE id = ?', id).rowsWritten > 0;
    if (removed && this.leadCount !== null) this.leadCount -= 1;
    return removed;
  }

  leads(q: LeadQuery): { leads: LeadSnapshot[]; total: number } {
    const where = q.stage ? 'WHERE stage = ?' : '';
    const args = q.stage ? [q.stage] : [];
    const order = q.sort === 'score' ? 'score DESC, last_seen DESC' : 'last_seen DESC';
    const leads = this.sql
      .exec<{ json: string }>(`SELECT json FROM leads ${where} ORDER BY ${order}, id LIMIT ? OFFSET ?`, ...args, q.limit, q.offset)
      .toArray()
      .map((r) => JSON.parse(r.json) as LeadSnapshot);
    const total = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM leads ${where}`, ...args).one().n;
    return { leads, total };
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
