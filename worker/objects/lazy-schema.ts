/**
 * Tables created on first write. A Durable Object that is only read, or that refuses a request,
 * must store nothing: a read of an unknown site or visitor would otherwise leave empty tables
 * (billed, and never cleaned up, since nothing ever sets an alarm for them).
 */

/** Table (and view, index and trigger) name to its CREATE statement, read once when an object starts (one query, shared by its stores). */
export function existingTables(sql: SqlStorage): Map<string, string> {
  const rows = sql.exec<{ name: string; sql: string | null }>("SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'view', 'trigger')").toArray();
  return new Map(rows.map((r) => [r.name, r.sql ?? '']));
}

export class LazySchema {
  /**
   * @param ddl per table, the statements that create it (and its indexes)
   * @param existing what `existingTables` found when the object started
   */
  constructor(
    private readonly sql: SqlStorage,
    private readonly ddl: Record<string, readonly string[]>,
    private readonly existing: Map<string, string>,
  ) {}

  has(table: string): boolean {
    return this.existing.has(table);
  }

  /** The CREATE statement a table was made with ('' when it does not exist). */
  definition(table: string): string {
    return this.existing.get(table) ?? '';
  }

  /** Creates the table on first use (call it inside the write's transaction, so a rollback takes it too). */
  ensure(table: string) {
    if (this.existing.has(table)) return;
    for (const statement of this.ddl[table] ?? []) this.sql.exec(statement);
    this.existing.set(table, this.ddl[table]?.[0] ?? '');
  }

  /** After a rolled-back transaction or deleteAll: what was noted may not exist. */
  reload() {
    this.existing.clear();
    for (const [name, ddl] of existingTables(this.sql)) this.existing.set(name, ddl);
  }
}
