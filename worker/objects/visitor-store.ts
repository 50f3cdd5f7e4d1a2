/**
 * SQLite tables of a visitor's Durable Object. Every table is bounded: the state row, the
 * dedupe window, the capped timeline and stage history, and the outbox with its attempt log.
 */
import { LIMITS } from '../schema/limits';
import type { TimelineEntry, Transition, VisitorState } from '../visitor/apply-batch';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS state (k INTEGER PRIMARY KEY CHECK (k = 1), json TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, seq INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS seen_by_seq ON seen (seq)`,
  `CREATE TABLE IF NOT EXISTS timeline (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, json TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS transitions (seq INTEGER PRIMARY KEY AUTOINCREMENT, json TEXT NOT NULL)`,
];

export class VisitorStore {
  private seq = 0;

  constructor(private readonly sql: SqlStorage) {
    for (const stmt of SCHEMA) sql.exec(stmt);
    this.seq = sql.exec<{ m: number | null }>('SELECT max(seq) AS m FROM seen').one().m ?? 0;
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

  markSeen(ids: string[]) {
    for (const id of ids) this.sql.exec('INSERT INTO seen (id, seq) VALUES (?, ?)', id, ++this.seq);
    this.sql.exec('DELETE FROM seen WHERE seq <= ?', this.seq - LIMITS.dedupeWindow);
  }

  appendTimeline(entries: TimelineEntry[]) {
    for (const e of entries) this.sql.exec('INSERT INTO timeline (at, json) VALUES (?, ?)', e.at, JSON.stringify(e));
    this.sql.exec(
      'DELETE FROM timeline WHERE seq <= (SELECT max(seq) FROM timeline) - ?',
      LIMITS.timelineCap,
    );
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
    for (const t of transitions) this.sql.exec('INSERT INTO transitions (json) VALUES (?)', JSON.stringify(t));
    this.sql.exec(
      'DELETE FROM transitions WHERE seq <= (SELECT max(seq) FROM transitions) - ?',
      LIMITS.stageHistoryCap,
    );
  }

  /** Oldest first. */
  transitions(): Transition[] {
    return this.sql
      .exec<{ json: string }>('SELECT json FROM transitions ORDER BY seq')
      .toArray()
      .map((r) => JSON.parse(r.json) as Transition);
  }
}
