/** A site's config document, versioned (SiteObject): the newest version is current; the last 50 are kept. */
import type { SiteConfigInput } from '../schema/config';
import { LIMITS } from '../schema/limits';
import type { LazySchema } from './lazy-schema';

export type ConfigVersion = { version: number; savedAt: number; note: string | null; document: SiteConfigInput };

export const CONFIG_TABLES = {
  config_versions: ['CREATE TABLE config_versions (version INTEGER PRIMARY KEY, saved_at INTEGER NOT NULL, note TEXT, document TEXT NOT NULL)'],
};

type Raw = { version: number; saved_at: number; note: string | null; document: string };
const fromRaw = (r: Raw): ConfigVersion => ({ version: r.version, savedAt: r.saved_at, note: r.note, document: JSON.parse(r.document) as SiteConfigInput });

export class ConfigStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly schema: LazySchema,
  ) {}

  current(): ConfigVersion | null {
    if (!this.schema.has('config_versions')) return null;
    const row = this.sql.exec<Raw>('SELECT version, saved_at, note, document FROM config_versions ORDER BY version DESC LIMIT 1').toArray()[0];
    return row ? fromRaw(row) : null;
  }

  version(version: number): ConfigVersion | null {
    if (!this.schema.has('config_versions')) return null;
    const row = this.sql.exec<Raw>('SELECT version, saved_at, note, document FROM config_versions WHERE version = ?', version).toArray()[0];
    return row ? fromRaw(row) : null;
  }

  versions(): Omit<ConfigVersion, 'document'>[] {
    if (!this.schema.has('config_versions')) return [];
    return this.sql
      .exec<{ version: number; saved_at: number; note: string | null }>('SELECT version, saved_at, note FROM config_versions ORDER BY version DESC')
      .toArray()
      .map((r) => ({ version: r.version, savedAt: r.saved_at, note: r.note }));
  }

  /** Appends a version (the newest is current) and drops the oldest past the cap. */
  save(document: SiteConfigInput, note: string | null, now: number): number {
    this.schema.ensure('config_versions');
    const next = (this.current()?.version ?? 0) + 1;
    this.sql.exec('INSERT INTO config_versions (version, saved_at, note, document) VALUES (?, ?, ?, ?)', next, now, note, JSON.stringify(document));
    this.sql.exec('DELETE FROM config_versions WHERE version <= ?', next - LIMITS.configVersionsKept);
    return next;
  }
}
