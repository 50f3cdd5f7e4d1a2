/**
 * Named counts kept in a row each, written in the same transaction as the rows they count: a
 * rolled-back transaction takes its count changes with it (a count held in memory would drift).
 */
import type { LazySchema } from './lazy-schema';

export const COUNTER_TABLES = { counters: ['CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID'] };

export class Counters {
  constructor(
    private readonly sql: SqlStorage,
    private readonly schema: LazySchema,
  ) {}

  get(name: string): number | null {
    if (!this.schema.has('counters')) return null;
    return this.sql.exec<{ n: number }>('SELECT n FROM counters WHERE name = ?', name).toArray()[0]?.n ?? null;
  }

  /** Adds `by` to a count, first setting it to `initial()` when it was never kept (older objects). Returns the new count. */
  add(name: string, by: number, initial: () => number = () => 0): number {
    this.schema.ensure('counters');
    const known = this.get(name);
    const n = (known ?? initial()) + by;
    this.sql.exec('INSERT INTO counters (name, n) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET n = excluded.n', name, n);
    return n;
  }
}
