/**
 * A site's labelled leads for calibration, in its Durable Object's SQLite: one row per visitor
 * (live) or imported lead, bounded (oldest labels dropped past the cap).
 */
import { LABEL_RANK, type LabelSource, type RowOrigin, type TrainingRow, type TrainingUpdate } from '../calibration/training-row';
import type { Counters } from './counters';
import type { LazySchema } from './lazy-schema';

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

/** The row count, kept in a counters row (see counters.ts). */
const COUNT = 'training_rows';

const keyOf = (origin: RowOrigin, id: string) => `${origin}/${id}`;

export const TRAINING_TABLES = {
  training_rows: [
    'CREATE TABLE training_rows (key TEXT PRIMARY KEY, origin TEXT NOT NULL, source TEXT NOT NULL, at INTEGER NOT NULL, json TEXT NOT NULL)',
    'CREATE INDEX training_by_time ON training_rows (at)',
  ],
};

export class TrainingStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly schema: LazySchema,
    private readonly counters: Counters,
  ) {}

  /**
   * Applies a label from a visitor (a later outcome replaces anything; a verdict never replaces an
   * outcome; an unlabel drops a verdict's label only). Returns what happened.
   */
  apply(update: TrainingUpdate): 'saved' | 'kept' | 'removed' | 'none' {
    if (update.kind === 'unlabel') {
      if (!this.schema.has('training_rows')) return 'none';
      const removed = this.sql.exec(
        "DELETE FROM training_rows WHERE key = ? AND source IN ('accepted', 'disqualified') AND at <= ? RETURNING key",
        keyOf('live', update.id),
        update.at,
      ).toArray().length;
      if (removed > 0) this.counters.add(COUNT, -removed, () => this.countRows() + removed);
      return removed > 0 ? 'removed' : 'none';
    }
    this.schema.ensure('training_rows');
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
    this.schema.ensure('training_rows');
    for (const row of rows) this.put(row);
    return rows.length;
  }

  all(): TrainingRow[] {
    if (!this.schema.has('training_rows')) return [];
    return this.sql.exec<{ json: string }>('SELECT json FROM training_rows ORDER BY key').toArray().map((r) => JSON.parse(r.json) as TrainingRow);
  }

  /** Erasure of a visitor takes its label too. */
  forget(id: string): boolean {
    if (!this.schema.has('training_rows')) return false;
    const removed = this.sql.exec('DELETE FROM training_rows WHERE key = ? RETURNING key', keyOf('live', id)).toArray().length > 0;
    if (removed) this.counters.add(COUNT, -1, () => this.countRows() + 1);
    return removed;
  }

  /** One lead's live label, for its export. */
  get(id: string): TrainingRow | null {
    if (!this.schema.has('training_rows')) return null;
    const row = this.sql.exec<{ json: string }>('SELECT json FROM training_rows WHERE key = ?', keyOf('live', id)).toArray()[0];
    return row ? (JSON.parse(row.json) as TrainingRow) : null;
  }

  /** Drops every row of one origin (or all). */
  clear(origin?: RowOrigin): number {
    if (!this.schema.has('training_rows')) return 0;
    // RETURNING counts the rows themselves (rowsWritten would count their index entries too).
    const removed = origin
      ? this.sql.exec('DELETE FROM training_rows WHERE origin = ? RETURNING key', origin).toArray().length
      : this.sql.exec('DELETE FROM training_rows RETURNING key').toArray().length;
    this.counters.add(COUNT, -removed, () => this.countRows() + removed);
    return removed;
  }

  summary(): TrainingSummary {
    if (!this.schema.has('training_rows')) return { rows: 0, cap: TRAINING_ROWS_CAP, bySource: { won: 0, lost: 0, accepted: 0, disqualified: 0 }, byOrigin: { live: 0, import: 0 }, oldest: null, newest: null };
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
    const count = this.counters.add(COUNT, 1, () => this.countRows() - 1);
    if (count > TRAINING_ROWS_CAP) {
      const over = count - TRAINING_ROWS_CAP;
      this.sql.exec('DELETE FROM training_rows WHERE key IN (SELECT key FROM training_rows ORDER BY at ASC, key ASC LIMIT ?)', over);
      this.counters.add(COUNT, -over);
    }
  }

  private countRows(): number {
    return this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM training_rows').one().n;
  }
}
