/**
 * A site's labelled leads for calibration, in its Durable Object's SQLite: one row per visitor
 * (live) or imported lead, bounded (oldest labels dropped past the cap).
 */
import { LABEL_RANK, type LabelSource, type RowOrigin, type TrainingRow, type TrainingUpdate } from '../calibration/training-row';

/** Labelled leads kept per site; past this the oldest labels are dropped. */
export const TRAINING_ROWS_CAP = 10_000;

export type TrainingSummary = {
  rows: number;
  cap: number;
  bySource: Record<LabelSource, number>;
  byOrigin: Record<RowOrigin, number>;
  oldest: number | null;
  newest: number | null;
};

const keyOf = (origin: RowOrigin, id: string) => `${origin}/${id}`;

export class TrainingStore {
  private count: number | null = null;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS training_rows (
      key TEXT PRIMARY KEY, origin TEXT NOT NULL, source TEXT NOT NULL, at INTEGER NOT NULL, json TEXT NOT NULL)`);
    sql.exec('CREATE INDEX IF NOT EXISTS training_by_time ON training_rows (at)');
  }

  /**
   * Applies a label from a visitor (a later outcome replaces anything; a verdict never replaces an
   * outcome; an unlabel drops a verdict's label only). Returns what happened.
   */
  apply(update: TrainingUpdate): 'saved' | 'kept' | 'removed' | 'none' {
    if (update.kind === 'unlabel') {
      const removed = this.sql.exec(
        "DELETE FROM training_rows WHERE key = ? AND source IN ('accepted', 'disqualified') AND at <= ?",
        keyOf('live', update.id),
        update.at,
      ).rowsWritten;
      if (removed > 0) this.count = null;
      return removed > 0 ? 'removed' : 'none';
    }
    const existing = this.sql
      .exec<{ source: LabelSource; at: number }>('SELECT source, at FROM training_rows WHERE key = ?', keyOf(update.row.origin, update.row.id))
      .toArray()[0];
    if (existing) {
      const rank = LABEL_RANK[existing.source] - LABEL_RANK[update.row.source];
      if (rank > 0 || (rank === 0 && existing.at > update.row.at)) return 'kept';
    }
    this.put(update.row);
    return 'saved';
  }

  /** Imported history: replaces rows with the same id. */
  importRows(rows: TrainingRow[]): number {
    for (const row of rows) this.put(row);
    return rows.length;
  }

  all(): TrainingRow[] {
    return this.sql.exec<{ json: string }>('SELECT json FROM training_rows ORDER BY key').toArray().map((r) => JSON.parse(r.json) as TrainingRow);
  }

  /** Erasure of a visitor takes its label too. */
  forget(id: string): boolean {
    const removed = this.sql.exec('DELETE FROM training_rows WHERE key = ?', keyOf('live', id)).rowsWritten > 0;
    if (removed) this.count = null;
    return removed;
  }

  /** Drops every row of one origin (or all). */
  clear(origin?: RowOrigin): number {
    const removed = origin
      ? this.sql.exec('DELETE FROM training_rows WHERE origin = ?', origin).rowsWritten
      : this.sql.exec('DELETE FROM training_rows').rowsWritten;
    this.count = null;
    return removed;
  }

  summary(): TrainingSummary {
    const bySource = { won: 0, lost: 0, accepted: 0, disqualified: 0 } as Record<LabelSource, number>;
    const byOrigin = { live: 0, import: 0 } as Record<RowOrigin, number>;
    for (const r of this.sql.exec<{ origin: RowOrigin; source: LabelSource; n: number }>('SELECT origin, source, count(*) AS n FROM training_rows GROUP BY origin, source')) {
      bySource[r.source] += r.n;
      byOrigin[r.origin] += r.n;
    }
    const span = this.sql.exec<{ lo: number | null; hi: number | null; n: number }>('SELECT min(at) AS lo, max(at) AS hi, count(*) AS n FROM training_rows').one();
    return { rows: span.n, cap: TRAINING_ROWS_CAP, bySource, byOrigin, oldest: span.lo, newest: span.hi };
  }

  private put(row: TrainingRow) {
    const key = keyOf(row.origin, row.id);
    const existed = this.sql.exec('SELECT 1 FROM training_rows WHERE key = ?', key).toArray().length > 0;
    this.sql.exec(
      'INSERT OR REPLACE INTO training_rows (key, origin, source, at, json) VALUES (?, ?, ?, ?, ?)',
      key, row.origin, row.source, row.at, JSON.stringify(row),
    );
    if (existed) return;
    this.count = (this.count ?? this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM training_rows').one().n - 1) + 1;
    if (this.count > TRAINING_ROWS_CAP) {
      const over = this.count - TRAINING_ROWS_CAP;
      this.sql.exec('DELETE FROM training_rows WHERE key IN (SELECT key FROM training_rows ORDER BY at ASC, key ASC LIMIT ?)', over);
      this.count = TRAINING_ROWS_CAP;
    }
  }
}
