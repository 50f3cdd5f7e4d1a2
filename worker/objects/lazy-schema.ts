/**
 * Tables created on first write. A Durable Object that is only read, or that refuses a request,
 * must store nothing: a read of an unknown site or visitor would otherwise leave empty tables
 * (billed, and never cleaned up, since nothing ever sets an alarm for them).
 */

/** Names of the object's tables (and views and triggers), read once when it starts. */
export function tableNames(sql: SqlStorage): Set<string> {
  return new Set(sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type IN ('table', 'view', 'trigger')").toArray().map((r) => r.name));
}

export class LazySchema {
  /**
   * @param ddl per table, the statements that create it (and its indexes)
   * @param existing what `tableNames` found when the object started (shared by its stores)
   */
  constructor(
    private readonly sql: SqlStorage,
    private readonly ddl: Record<string, readonly string[]>,
    private readonly existing: Set<string>,
  ) {}

  has(table: string): boolean {
    return this.existing.has(table);
  }

  /** Creates the table on first use (call it inside the write's transaction, so a rollback takes it too). */
  ensure(table: string) {
    if (this.existing.has(table)) return;
    for (const statement of this.ddl[table] ?? []) this.sql.exec(statement);
    this.existing.add(table);
  }

  /** After a rolled-back transaction or deleteAll: what was noted may not exist. */
  reload() {
    this.existing.clear();
    for (const name of tableNames(this.sql)) this.existing.add(name);
  }
}
