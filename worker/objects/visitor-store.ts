/**
 * SQLite tables of a visitor's Durable Object. Every table is bounded: the state row, the
 * dedupe window, the capped timeline and stage history (the outbox has its own store).
 *
 * A row written is what costs (billed per row, index rows included) and what takes the time
 * (about 5 µs each in workerd, far more than the lookups), so a beacon writes one row of event
 * ids and one row of timeline entries however many events it carries, not one of each per event.
 * Dedupe lookups use the ids held in memory, read from those rows once per object start.
 */
import { LIMITS } from '../schema/limits';
import type { TimelineEntry, Transition, VisitorState } from '../visitor/apply-batch';

const TABLES: Record<string, string> = {
  state: `CREATE TABLE state (k INTEGER PRIMARY KEY CHECK (k = 1), json TEXT NOT NULL)`,
  /** Event ids applied, one row per beacon (a JSON array). */
  seen: `CREATE TABLE seen (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, ids TEXT NOT NULL)`,
  /** Timeline entries, one row per beacon (a JSON array, oldest first), with their time span for retention. */
  timeline: `CREATE TABLE timeline (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, oldest INTEGER NOT NULL, newest INTEGER NOT NULL, json TEXT NOT NULL)`,
  transitions: `CREATE TABLE transitions (seq INTEGER PRIMARY KEY, json TEXT NOT NULL)`,
};

/**
 * Objects stored by release 1 (a row per event id and per timeline entry, AUTOINCREMENT) are
 * rebuilt once, keeping every id and entry in order.
 */
const MIGRATIONS: Record<string, { outdated: (ddl: string) => boolean; copy: string }> = {
  seen: {
    outdated: (ddl) => !/\bids TEXT\b/i.test(ddl),
    copy: `INSERT INTO seen (n, ids) SELECT count(*), json_group_array(id) FROM
             (SELECT id, (row_number() OVER (ORDER BY seq) - 1) / 1000 AS chunk FROM old) GROUP BY chunk ORDER BY chunk`,
  },
  timeline: {
    outdated: (ddl) => !/\boldest INTEGER\b/i.test(ddl),
    copy: 'INSERT INTO timeline (n, oldest, newest, json) SELECT 1, at, at, json_array(json(json)) FROM old ORDER BY seq',
  },
  transitions: { outdated: (ddl) => /AUTOINCREMENT/i.test(ddl), copy: 'INSERT INTO transitions (seq, json) SELECT seq, json FROM old' },
};

/** Table name to its CREATE statement, read once when an object starts (one query, not a CREATE per table). */
export function existingTables(sql: SqlStorage): Map<string, string> {
  const rows = sql.exec<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table'").toArray();
  return new Map(rows.map((r) => [r.name, r.sql]));
}

type SeenChunk = { seq: number; n: number; ids: string[] };
type RowCount = { seq: number; n: number };

/**
 * Drops rows from the front (oldest) while the rows after them still hold `keep` items, and
 * returns them (delete them with one `WHERE seq <= last dropped seq`).
 */
function dropOldest<T extends RowCount>(rows: T[], total: number, keep: number): { dropped: T[]; total: number } {
  const dropped: T[] = [];
  while (rows.length > 1 && total - rows[0]!.n >= keep) {
    const oldest = rows.shift()!;
    total -= oldest.n;
    dropped.push(oldest);
  }
  return { dropped, total };
}

export class VisitorStore {
  /** The dedupe window in memory, oldest row first; null until first needed (or after a rollback). */
  private seen: { ids: Set<string>; chunks: SeenChunk[] } | null = null;
  /** Entries per timeline row, oldest first, with their total; null until first needed. */
  private timelineRows: { rows: RowCount[]; total: number } | null = null;

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
    const window = this.window();
    return new Set(ids.filter((id) => window.ids.has(id)));
  }

  /**
   * Remembers ids (new ones: the caller filtered them) in one row, and drops the oldest rows
   * while the newer ones still hold the whole window: at least the last LIMITS.dedupeWindow
   * ids are remembered, at most one beacon's worth more.
   */
  markSeen(ids: string[]) {
    if (ids.length === 0) return;
    const window = this.window();
    const seq = this.sql.exec<{ seq: number }>('INSERT INTO seen (n, ids) VALUES (?, ?) RETURNING seq', ids.length, JSON.stringify(ids)).one().seq;
    window.chunks.push({ seq, n: ids.length, ids });
    for (const id of ids) window.ids.add(id);
    const { dropped } = dropOldest(window.chunks, window.ids.size, LIMITS.dedupeWindow);
    if (dropped.length === 0) return;
    for (const chunk of dropped) for (const id of chunk.ids) window.ids.delete(id);
    this.sql.exec('DELETE FROM seen WHERE seq <= ?', dropped.at(-1)!.seq);
  }

  /** After a rolled-back transaction: what memory holds may never have been stored. */
  forgetCached() {
    this.seen = null;
    this.timelineRows = null;
  }

  private window() {
    if (!this.seen) {
      const chunks = this.sql
        .exec<{ seq: number; ids: string }>('SELECT seq, ids FROM seen ORDER BY seq')
        .toArray()
        .map((r) => {
          const ids = JSON.parse(r.ids) as string[];
          return { seq: r.seq, n: ids.length, ids };
        });
      this.seen = { chunks, ids: new Set(chunks.flatMap((c) => c.ids)) };
    }
    return this.seen;
  }

  /** One row for the beacon's entries (oldest first); rows older than the newest LIMITS.timelineCap entries are dropped. */
  appendTimeline(entries: TimelineEntry[]) {
    if (entries.length === 0) return;
    let oldest = entries[0]!.at;
    let newest = oldest;
    for (const e of entries) {
      oldest = Math.min(oldest, e.at);
      newest = Math.max(newest, e.at);
    }
    const counts = (this.timelineRows ??= this.loadTimelineCounts());
    const { seq } = this.sql
      .exec<{ seq: number }>('INSERT INTO timeline (n, oldest, newest, json) VALUES (?, ?, ?, ?) RETURNING seq', entries.length, oldest, newest, JSON.stringify(entries))
      .one();
    counts.rows.push({ seq, n: entries.length });
    const { dropped, total } = dropOldest(counts.rows, counts.total + entries.length, LIMITS.timelineCap);
    counts.total = total;
    if (dropped.length > 0) this.sql.exec('DELETE FROM timeline WHERE seq <= ?', dropped.at(-1)!.seq);
  }

  private loadTimelineCounts() {
    const rows = this.sql.exec<RowCount>('SELECT seq, n FROM timeline ORDER BY seq').toArray();
    return { rows, total: rows.reduce((sum, r) => sum + r.n, 0) };
  }

  /** Newest first, at most `limit`. */
  timeline(limit: number = LIMITS.timelineCap): TimelineEntry[] {
    const out: TimelineEntry[] = [];
    for (const row of this.sql.exec<{ json: string }>('SELECT json FROM timeline ORDER BY seq DESC')) {
      const entries = JSON.parse(row.json) as TimelineEntry[];
      for (let i = entries.length - 1; i >= 0 && out.length < limit; i--) out.push(entries[i]!);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Retention: forgets timeline events that happened before `cutoff`. Returns how many. */
  purgeTimelineBefore(cutoff: number): number {
    this.timelineRows = null;
    let purged = this.sql.exec<{ n: number }>('DELETE FROM timeline WHERE newest < ? RETURNING n', cutoff).toArray().reduce((sum, r) => sum + r.n, 0);
    // Rows that straddle the cutoff keep their newer entries.
    const straddling = this.sql.exec<{ seq: number; json: string }>('SELECT seq, json FROM timeline WHERE oldest < ?', cutoff).toArray();
    for (const row of straddling) {
      const entries = JSON.parse(row.json) as TimelineEntry[];
      const kept = entries.filter((e) => e.at >= cutoff);
      purged += entries.length - kept.length;
      const oldest = Math.min(...kept.map((e) => e.at));
      this.sql.exec('UPDATE timeline SET n = ?, oldest = ?, json = ? WHERE seq = ?', kept.length, oldest, JSON.stringify(kept), row.seq);
    }
    return purged;
  }

  oldestTimelineAt(): number | null {
    return this.sql.exec<{ m: number | null }>('SELECT min(oldest) AS m FROM timeline').one().m;
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
