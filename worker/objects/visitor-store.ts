/**
 * SQLite tables of a visitor's Durable Object. Every table is bounded: the state row, the
 * dedupe window, the capped timeline and stage history (the outbox has its own store).
 *
 * Rows written are what a visitor costs (each index row is billed), so the tables are keyed by
 * rowid: the dedupe table has one index (its id), not two, and no table uses AUTOINCREMENT (which
 * writes a sqlite_sequence row per insert). Batches are inserted with one statement through
 * json_each.
 */
import { LIMITS } from '../schema/limits';
import type { TimelineEntry, Transition, VisitorState } from '../visitor/apply-batch';

const TABLES: Record<string, string> = {
  state: `CREATE TABLE state (k INTEGER PRIMARY KEY CHECK (k = 1), json TEXT NOT NULL)`,
  seen: `CREATE TABLE seen (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)`,
  timeline: `CREATE TABLE timeline (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, json TEXT NOT NULL)`,
  transitions: `CREATE TABLE transitions (seq INTEGER PRIMARY KEY, json TEXT NOT NULL)`,
};

/**
 * Objects created before the rowid layout (release 1: seen keyed by id with a second index on
 * seq; AUTOINCREMENT timeline and transitions) are rebuilt once, keeping every row and its order.
 */
const MIGRATIONS: Record<string, { outdated: (ddl: string) => boolean; copy: string }> = {
  seen: { outdated: (ddl) => /id TEXT PRIMARY KEY/i.test(ddl), copy: 'INSERT INTO seen (seq, id) SELECT seq, id FROM old ORDER BY seq' },
  timeline: { outdated: (ddl) => /AUTOINCREMENT/i.test(ddl), copy: 'INSERT INTO timeline (seq, at, json) SELECT seq, at, json FROM old' },
  transitions: { outdated: (ddl) => /AUTOINCREMENT/i.test(ddl), copy: 'INSERT INTO transitions (seq, json) SELECT seq, json FROM old' },
};

/** Table name to its CREATE statement, read once when an object starts (one query, not a CREATE per table). */
export function existingTables(sql: SqlStorage): Map<string, string> {
  const rows = sql.exec<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table'").toArray();
  return new Map(rows.map((r) => [r.name, r.sql]));
}

export class VisitorStore {
  /**
   * @param existing what `existingTables` found; missing tables are created and outdated ones
   * migrated inside `transact`, so a crash leaves the old layout intact.
   */
  constructor(
    private readonly sql: SqlStorage,
    existing: Map<string, string>,
    transact: (fn: () => void) => void,
  ) {
    const work = Object.keys(TABLES).filter((name) => !existing.has(name) || MIGRATIONS[name]?.outdated(existing.get(name)!));
    if (work.length === 0) return;
    transact(() => {
      for (const name of work) {
        if (!existing.has(name)) {
          sql.exec(TABLES[name]!);
          continue;
        }
        sql.exec(`ALTER TABLE ${name} RENAME TO old`);
        sql.exec(TABLES[name]!);
        sql.exec(MIGRATIONS[name]!.copy);
        sql.exec('DROP TABLE old');
      }
    });
  }

  loadState(): VisitorState | null {
    const row = this.sql.exec<{ json: string }>('SELECT json FROM state WHERE k = 1').toArray()[0];
    return row ? (JSON.parse(row.json) as VisitorState) : null;
  }

  saveState(state: VisitorState) {
    this.sql.exec(
      'INSERT INTO state (k, json) VALUES (1, ?) ON CONFLICT (k) DO UPDATE SET json = excluded.json',
      JSON.stringify(state),
    );
  }

  /** Which of these event ids were applied before (within the dedupe window). */
  seenIds(ids: string[]): Set<string> {
    const rows = this.sql
      .exec<{ id: string }>('SELECT id FROM seen WHERE id IN (SELECT value FROM json_each(?))', JSON.stringify(ids))
      .toArray();
    return new Set(rows.map((r) => r.id));
  }

  /** Remembers ids (never seen before: the caller filtered them) and forgets the oldest past the window. */
  markSeen(ids: string[]) {
    if (ids.length === 0) return;
    this.sql.exec('INSERT INTO seen (id) SELECT value FROM json_each(?) ORDER BY key', JSON.stringify(ids));
    this.sql.exec('DELETE FROM seen WHERE seq <= (SELECT max(seq) FROM seen) - ?', LIMITS.dedupeWindow);
  }

  /** Oldest first in, capped at the newest LIMITS.timelineCap. */
  appendTimeline(entries: TimelineEntry[]) {
    if (entries.length === 0) return;
    this.sql.exec("INSERT INTO timeline (at, json) SELECT value ->> '$.at', value FROM json_each(?) ORDER BY key", JSON.stringify(entries));
    this.sql.exec('DELETE FROM timeline WHERE seq <= (SELECT max(seq) FROM timeline) - ?', LIMITS.timelineCap);
  }

  /** Newest first. */
  timeline(limit: number = LIMITS.timelineCap): TimelineEntry[] {
    return this.sql
      .exec<{ json: string }>('SELECT json FROM timeline ORDER BY seq DESC LIMIT ?', limit)
      .toArray()
      .map((r) => JSON.parse(r.json) as TimelineEntry);
  }

  /** Retention: forgets timeline events that happened before `cutoff`. */
  purgeTimelineBefore(cutoff: number): number {
    return this.sql.exec('DELETE FROM timeline WHERE at < ?', cutoff).rowsWritten;
  }

  oldestTimelineAt(): number | null {
    return this.sql.exec<{ m: number | null }>('SELECT min(at) AS m FROM timeline').one().m;
  }

  appendTransitions(transitions: Transition[]) {
    if (transitions.length === 0) return;
    this.sql.exec('INSERT INTO transitions (json) SELECT value FROM json_each(?) ORDER BY key', JSON.stringify(transitions));
    this.sql.exec('DELETE FROM transitions WHERE seq <= (SELECT max(seq) FROM transitions) - ?', LIMITS.stageHistoryCap);
  }

  /** Oldest first. */
  transitions(): Transition[] {
    return this.sql
      .exec<{ json: string }>('SELECT json FROM transitions ORDER BY seq')
      .toArray()
      .map((r) => JSON.parse(r.json) as Transition);
  }
}
