/** A site's audit log (SiteObject): every change made with a key, newest first, bounded. */
import type { PrincipalRole } from '../access/roles';
import type { LazySchema } from './lazy-schema';

/** Entries kept per site; past this the oldest go (README limits). */
export const AUDIT_KEPT = 10_000;

export const AUDIT_TABLES = {
  audit: [
    `CREATE TABLE audit (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, key_id TEXT NOT NULL, role TEXT NOT NULL,
      action TEXT NOT NULL, target TEXT, detail TEXT NOT NULL)`,
  ],
};

/** What changed: plain values only (it crosses RPC and is stored as JSON). */
export type AuditDetail = Record<string, string | number | boolean | null | string[]>;

export type AuditEntry = {
  at: number;
  keyId: string;
  role: PrincipalRole;
  /** What was done, e.g. `config.save`, `key.create`, `visitor.verdict`. */
  action: string;
  /** What it was done to (a visitor id, a key id, a config version). */
  target: string | null;
  /** What changed, as plain data. */
  detail: AuditDetail;
};

type Raw = { seq: number; at: number; key_id: string; role: PrincipalRole; action: string; target: string | null; detail: string };

export class AuditStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly schema: LazySchema,
  ) {}

  record(entry: AuditEntry) {
    this.schema.ensure('audit');
    const { seq } = this.sql
      .exec<{ seq: number }>(
        'INSERT INTO audit (at, key_id, role, action, target, detail) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq',
        entry.at, entry.keyId, entry.role, entry.action, entry.target, JSON.stringify(entry.detail),
      )
      .one();
    if (seq % 100 === 0) this.sql.exec('DELETE FROM audit WHERE seq <= ?', seq - AUDIT_KEPT);
  }

  /** Newest first, entries older than `before` (a cursor: the last seq of the previous page). */
  page(before: number | null, limit: number): { entries: (AuditEntry & { seq: number })[]; next: number | null } {
    if (!this.schema.has('audit')) return { entries: [], next: null };
    const rows = this.sql
      .exec<Raw>('SELECT * FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?', before ?? Number.MAX_SAFE_INTEGER, limit + 1)
      .toArray();
    const entries = rows.slice(0, limit).map((r) => ({
      seq: r.seq, at: r.at, keyId: r.key_id, role: r.role, action: r.action, target: r.target, detail: JSON.parse(r.detail) as AuditDetail,
    }));
    return { entries, next: rows.length > limit ? entries.at(-1)!.seq : null };
  }
}
