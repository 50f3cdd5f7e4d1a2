/** A site's API keys (SiteObject): only each key's SHA-256 is stored; revoking deletes the row. */
import type { Role } from '../access/roles';
import type { LazySchema } from './lazy-schema';

/** Keys one site may hold at once (README limits). */
export const KEYS_PER_SITE = 100;
/** `lastUsedAt` is written at most this often per key (an admin view polling every second would write a row a second). */
const LAST_USED_EVERY_MS = 60_000;

export const KEY_TABLES = {
  keys: [
    `CREATE TABLE keys (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, label TEXT NOT NULL,
      rep_id TEXT, created_at INTEGER NOT NULL, last_used_at INTEGER)`,
  ],
};

export type KeyRecord = { id: string; role: Role; label: string; repId: string | null; createdAt: number; lastUsedAt: number | null };
type Raw = { id: string; role: Role; label: string; rep_id: string | null; created_at: number; last_used_at: number | null };
const fromRaw = (r: Raw): KeyRecord => ({ id: r.id, role: r.role, label: r.label, repId: r.rep_id, createdAt: r.created_at, lastUsedAt: r.last_used_at });

export class KeyStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly schema: LazySchema,
  ) {}

  /** Adds a key; false when the site already holds KEYS_PER_SITE keys. */
  add(key: Omit<KeyRecord, 'lastUsedAt'> & { hash: string }): boolean {
    this.schema.ensure('keys');
    if (this.count() >= KEYS_PER_SITE) return false;
    this.sql.exec(
      'INSERT INTO keys (id, hash, role, label, rep_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      key.id, key.hash, key.role, key.label, key.repId, key.createdAt,
    );
    return true;
  }

  list(): KeyRecord[] {
    if (!this.schema.has('keys')) return [];
    return this.sql.exec<Raw>('SELECT id, role, label, rep_id, created_at, last_used_at FROM keys ORDER BY created_at, id').toArray().map(fromRaw);
  }

  revoke(id: string): KeyRecord | null {
    if (!this.schema.has('keys')) return null;
    const row = this.sql.exec<Raw>('DELETE FROM keys WHERE id = ? RETURNING id, role, label, rep_id, created_at, last_used_at', id).toArray()[0];
    return row ? fromRaw(row) : null;
  }

  /** The key with this hash, noting its use; null for an unknown (or revoked) key. */
  authenticate(hash: string, now: number): KeyRecord | null {
    if (!this.schema.has('keys')) return null;
    const row = this.sql.exec<Raw>('SELECT id, role, label, rep_id, created_at, last_used_at FROM keys WHERE hash = ?', hash).toArray()[0];
    if (!row) return null;
    if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_EVERY_MS) {
      this.sql.exec('UPDATE keys SET last_used_at = ? WHERE id = ?', now, row.id);
      row.last_used_at = now;
    }
    return fromRaw(row);
  }

  /** Hashes of the keys that may send events without an Origin (the config cache carries them to beacons). */
  serverHashes(): string[] {
    if (!this.schema.has('keys')) return [];
    return this.sql.exec<{ hash: string }>("SELECT hash FROM keys WHERE role IN ('server', 'owner')").toArray().map((r) => r.hash);
  }

  private count(): number {
    return this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM keys').one().n;
  }
}
