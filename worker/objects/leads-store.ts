/**
 * A site's leads index (SiteObject): one row per known visitor and beyond, as of its last notice,
 * for the leads table. Bounded: past LEADS_INDEX_CAP the weakest early-stage lead leaves, never
 * an SQL, a SAL or a lead with a recent verdict. Erased leads leave a tombstone for a while, so a
 * notice still in flight cannot bring them back.
 */
import type { Stage } from '../schema/config';
import type { Counters } from './counters';
import type { LazySchema } from './lazy-schema';
import { DAY_MS } from '../time';

/** A lead's row in the site's index: what the leads table shows, as of the last notice. */
export type LeadSnapshot = {
  id: string;
  stage: Stage;
  score: number;
  fit: number;
  traits: { name?: string; email?: string; company?: string; title?: string };
  topics: string[];
  lastSeen: number;
  stageSince: number;
  verdict: { verdict: string; action?: string; reason?: string; at: number } | null;
  updatedAt: number;
  /** A person's row (one lead across browsers): its id (also `id`) and how many browsers it was seen on. */
  personId?: string;
  browsers?: number;
};

export type LeadQuery = { stage?: Stage; sort: 'score' | 'lastSeen'; limit: number; offset: number };

/** Leads kept in a site's index; past this the weakest early-stage lead leaves (README limits). */
export const LEADS_INDEX_CAP = 100_000;
/** A verdict this recent protects a lead from eviction (sales is still working it). */
export const VERDICT_PROTECTS_DAYS = 90;
/** Erasure tombstones are kept this long: notices are retried for hours, never this long. */
const TOMBSTONE_DAYS = 30;

/** Who leaves first when the index is full: early stages, then the lowest score, then the least recently seen. */
const EVICTION_ORDER: Stage[] = ['known', 'disqualified', 'mql'];

export const LEADS_TABLES = {
  leads: [
    `CREATE TABLE leads (id TEXT PRIMARY KEY, stage TEXT NOT NULL, score REAL NOT NULL, last_seen INTEGER NOT NULL,
      updated_at INTEGER NOT NULL, json TEXT NOT NULL, verdict_at INTEGER)`,
    'CREATE INDEX leads_by_score ON leads (score DESC)',
    'CREATE INDEX leads_by_seen ON leads (last_seen DESC)',
    'CREATE INDEX leads_by_stage ON leads (stage, score DESC)',
  ],
  erased: ['CREATE TABLE erased (id TEXT PRIMARY KEY, at INTEGER NOT NULL)'],
  /** Leads that joined a person (a browser, or a person merged into another), kept as long as tombstones. */
  joined: ['CREATE TABLE joined (id TEXT PRIMARY KEY, person TEXT NOT NULL, at INTEGER NOT NULL)'],
};

export class LeadsStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly schema: LazySchema,
    private readonly counters: Counters,
    private readonly cap: number = LEADS_INDEX_CAP,
  ) {
    // Indexes written before leads carried their verdict time: the column is added once.
    if (schema.has('leads') && !/\bverdict_at\b/.test(schema.definition('leads'))) {
      sql.exec('ALTER TABLE leads ADD COLUMN verdict_at INTEGER');
      sql.exec("UPDATE leads SET verdict_at = json_extract(json, '$.verdict.at')");
    }
  }

  /** Inserts or refreshes a lead's row (a redelivered older notice never wins); false when the lead was erased since. */
  upsert(lead: LeadSnapshot): boolean {
    if (this.erasedSince(lead.id, lead.updatedAt)) return false;
    this.schema.ensure('leads');
    const json = JSON.stringify(lead);
    const verdictAt = lead.verdict?.at ?? null;
    const updated = this.sql.exec(
      'UPDATE leads SET stage = ?, score = ?, last_seen = ?, updated_at = ?, json = ?, verdict_at = ? WHERE id = ? AND updated_at <= ? RETURNING id',
      lead.stage, lead.score, lead.lastSeen, lead.updatedAt, json, verdictAt, lead.id, lead.updatedAt,
    ).toArray().length;
    if (updated > 0 || this.has(lead.id)) return true;
    this.sql.exec(
      'INSERT INTO leads (id, stage, score, last_seen, updated_at, json, verdict_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      lead.id, lead.stage, lead.score, lead.lastSeen, lead.updatedAt, json, verdictAt,
    );
    const count = this.counters.add('leads', 1, () => this.countRows() - 1);
    if (count > this.cap) this.evictOne(lead.updatedAt);
    return true;
  }

  /** Removes the weakest lead that may leave; none may (all protected): the index stays over the cap by their number. */
  private evictOne(now: number) {
    const protectedSince = now - VERDICT_PROTECTS_DAYS * DAY_MS;
    for (const stage of EVICTION_ORDER) {
      const victim = this.sql
        .exec<{ id: string }>('SELECT id FROM leads WHERE stage = ? AND (verdict_at IS NULL OR verdict_at < ?) ORDER BY score ASC, last_seen ASC LIMIT 1', stage, protectedSince)
        .toArray()[0];
      if (!victim) continue;
      this.sql.exec('DELETE FROM leads WHERE id = ?', victim.id);
      this.counters.add('leads', -1);
      this.counters.add('leads_evicted', 1);
      return;
    }
  }

  private has(id: string): boolean {
    return this.sql.exec('SELECT 1 FROM leads WHERE id = ?', id).toArray().length > 0;
  }

  private countRows(): number {
    return this.schema.has('leads') ? this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM leads').one().n : 0;
  }

  /** Was this lead erased at or after `at`? (A late notice or label for it must not bring it back.) */
  erasedSince(id: string, at: number): boolean {
    if (!this.schema.has('erased')) return false;
    const erased = this.sql.exec<{ at: number }>('SELECT at FROM erased WHERE id = ?', id).toArray()[0];
    return erased !== undefined && erased.at >= at;
  }

  /**
   * A lead joined a person: its row goes and a tombstone stays, as for an erasure, and the person
   * it joined is remembered, so a notice of its still in flight counts for the person (joinedInto).
   */
  joined(id: string, person: string, at: number) {
    this.forget(id, at);
    this.schema.ensure('joined');
    this.sql.exec('INSERT OR REPLACE INTO joined (id, person, at) VALUES (?, ?, ?)', id, person, at);
    this.sql.exec('DELETE FROM joined WHERE at < ?', at - TOMBSTONE_DAYS * DAY_MS);
  }

  /** The person a lead that joined one belongs to now (following persons merged since), or null. */
  joinedInto(id: string): string | null {
    if (!this.schema.has('joined')) return null;
    let into: string | null = null;
    // Merges go one way (the larger id joins the smaller), so the chain ends; the bound is a guard.
    for (let hop = 0, at = id; hop < 8; hop++) {
      const row = this.sql.exec<{ person: string }>('SELECT person FROM joined WHERE id = ?', at).toArray()[0];
      if (!row) break;
      into = at = row.person;
    }
    return into;
  }

  /** Erasure: removes the row and leaves a tombstone. Returns whether a row was removed. */
  forget(id: string, at: number): boolean {
    // Erased, not joined: a notice of it in flight must count for no one.
    if (this.schema.has('joined')) this.sql.exec('DELETE FROM joined WHERE id = ?', id);
    this.schema.ensure('erased');
    this.sql.exec('INSERT INTO erased (id, at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at', id, at);
    this.sql.exec('DELETE FROM erased WHERE at < ?', at - TOMBSTONE_DAYS * DAY_MS);
    if (!this.schema.has('leads')) return false;
    const removed = this.sql.exec('DELETE FROM leads WHERE id = ? RETURNING id', id).toArray().length > 0;
    if (removed) this.counters.add('leads', -1, () => this.countRows() + 1);
    return removed;
  }

  /** Up to `limit` lead ids after `cursor`, in id order (the re-staging pass walks the index with it). */
  idsAfter(cursor: string, limit: number): string[] {
    if (!this.schema.has('leads')) return [];
    return this.sql.exec<{ id: string }>('SELECT id FROM leads WHERE id > ? ORDER BY id LIMIT ?', cursor, limit).toArray().map((r) => r.id);
  }

  /** Stage, score, fit and verdict of every lead a score can still move (for a re-staging preview). */
  *movable(): Generator<Pick<LeadSnapshot, 'stage' | 'score' | 'fit' | 'verdict'>> {
    if (!this.schema.has('leads')) return;
    for (const r of this.sql.exec<{ stage: LeadSnapshot['stage']; score: number; fit: number | null; verdict: string | null }>(
      "SELECT stage, score, json_extract(json, '$.fit') AS fit, json_extract(json, '$.verdict') AS verdict FROM leads WHERE stage IN ('known', 'mql')",
    )) {
      yield { stage: r.stage, score: r.score, fit: r.fit ?? 0, verdict: r.verdict ? (JSON.parse(r.verdict) as LeadSnapshot['verdict']) : null };
    }
  }

  count(): number {
    return this.counters.get('leads') ?? this.countRows();
  }

  get(id: string): LeadSnapshot | null {
    if (!this.schema.has('leads')) return null;
    const row = this.sql.exec<{ json: string }>('SELECT json FROM leads WHERE id = ?', id).toArray()[0];
    return row ? (JSON.parse(row.json) as LeadSnapshot) : null;
  }

  page(q: LeadQuery): { leads: LeadSnapshot[]; total: number; evicted: number } {
    const evicted = this.counters.get('leads_evicted') ?? 0;
    if (!this.schema.has('leads')) return { leads: [], total: 0, evicted };
    const where = q.stage ? 'WHERE stage = ?' : '';
    const args = q.stage ? [q.stage] : [];
    const order = q.sort === 'score' ? 'score DESC, last_seen DESC' : 'last_seen DESC';
    const leads = this.sql
      .exec<{ json: string }>(`SELECT json FROM leads ${where} ORDER BY ${order}, id LIMIT ? OFFSET ?`, ...args, q.limit, q.offset)
      .toArray()
      .map((r) => JSON.parse(r.json) as LeadSnapshot);
    const total = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM leads ${where}`, ...args).one().n;
    return { leads, total, evicted };
  }
}
