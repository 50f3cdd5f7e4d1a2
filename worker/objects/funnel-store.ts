/**
 * A site's funnel (SiteObject): which stages each lead reached and on which day, each stage at
 * most once per lead (a recycled lead that becomes SQL again is not counted twice), plus plain
 * counters for what has no lead behind it (bots, and counts from before per-lead rows). An erased
 * lead's rows keep counting under a random id, so erasure changes no figure and leaves no id.
 */
import type { Stage } from '../schema/config';
import type { LazySchema } from './lazy-schema';
import { DAY_MS, isoDay } from '../time';

/** Funnel rows: 'visitors' (first beacon), each stage reached, 'recycled' (sent back to nurture) and 'bots' (beacons not scored). */
export type FunnelStage = Stage | 'visitors' | 'recycled' | 'bots';
export const FUNNEL_STAGES: FunnelStage[] = ['visitors', 'known', 'mql', 'sql', 'sal', 'disqualified', 'recycled', 'bots'];

/** Per-lead stage rows older than this are dropped (the funnel reads at most 366 days; the cohort rate looks back as far). */
export const LEAD_STAGES_KEPT_DAYS = 800;

export const FUNNEL_TABLES = {
  funnel: ['CREATE TABLE funnel (day TEXT NOT NULL, stage TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, stage))'],
  lead_stages: [
    'CREATE TABLE lead_stages (id TEXT NOT NULL, stage TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (id, stage)) WITHOUT ROWID',
    'CREATE INDEX lead_stages_by_day ON lead_stages (stage, day)',
  ],
};

export type FunnelRow = { day: string; stage: FunnelStage; count: number };

export class FunnelStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly schema: LazySchema,
  ) {}

  /** A lead reached these stages at `at`; a stage it already reached is not counted again. */
  reached(id: string, stages: FunnelStage[], at: number) {
    if (stages.length === 0) return;
    this.schema.ensure('lead_stages');
    const day = isoDay(at);
    for (const stage of stages) this.sql.exec('INSERT OR IGNORE INTO lead_stages (id, stage, day) VALUES (?, ?, ?)', id, stage, day);
    // Pruned with the writes that grow the table, by index range: a few rows at a time.
    this.sql.exec('DELETE FROM lead_stages WHERE stage = ? AND day < ?', stages[0]!, isoDay(at - LEAD_STAGES_KEPT_DAYS * DAY_MS));
  }

  /** Adds to a day's plain counter (bots, and notices from before per-lead rows). */
  count(stage: FunnelStage, n: number, at: number) {
    this.schema.ensure('funnel');
    this.sql.exec(
      'INSERT INTO funnel (day, stage, count) VALUES (?, ?, ?) ON CONFLICT (day, stage) DO UPDATE SET count = count + excluded.count',
      isoDay(at), stage, n,
    );
  }

  /**
   * A browser joined a person: its stages become the person's, each stage still once per lead (on
   * the earlier of the two days when both reached it), so two lone leads that become one person
   * count as one.
   */
  merge(from: string, into: string) {
    if (!this.schema.has('lead_stages') || from === into) return;
    this.sql.exec(
      `UPDATE lead_stages SET day = (SELECT min(lead_stages.day, b.day) FROM lead_stages b WHERE b.id = ? AND b.stage = lead_stages.stage)
       WHERE id = ? AND stage IN (SELECT stage FROM lead_stages WHERE id = ?)`,
      from, into, from,
    );
    this.sql.exec('UPDATE OR IGNORE lead_stages SET id = ? WHERE id = ?', into, from);
    this.sql.exec('DELETE FROM lead_stages WHERE id = ?', from);
  }

  /** Erasure: the lead's rows keep counting, under an id that names no one. */
  anonymize(id: string) {
    if (!this.schema.has('lead_stages')) return;
    this.sql.exec('UPDATE lead_stages SET id = ? WHERE id = ?', `erased:${crypto.randomUUID()}`, id);
  }

  /** Per day and stage, between two ISO days (inclusive). */
  days(fromDay: string, toDay: string): FunnelRow[] {
    const rows: FunnelRow[] = [];
    if (this.schema.has('funnel')) {
      rows.push(...this.sql.exec<FunnelRow>('SELECT day, stage, count FROM funnel WHERE day >= ? AND day <= ?', fromDay, toDay).toArray());
    }
    if (this.schema.has('lead_stages')) {
      rows.push(...this.sql.exec<FunnelRow>('SELECT day, stage, count(*) AS count FROM lead_stages WHERE day >= ? AND day <= ? GROUP BY day, stage', fromDay, toDay).toArray());
    }
    return rows;
  }

  /**
   * The MQL-to-SQL cohort: leads that became MQL between the two days, and how many of them have
   * reached SQL since (on any day), so the rate can never pass 1.
   */
  cohort(fromDay: string, toDay: string): { mql: number; sql: number } {
    if (!this.schema.has('lead_stages')) return { mql: 0, sql: 0 };
    return this.sql
      .exec<{ mql: number; sql: number }>(
        `SELECT count(*) AS mql, count(s.id) AS sql FROM lead_stages m
         LEFT JOIN lead_stages s ON s.id = m.id AND s.stage = 'sql'
         WHERE m.stage = 'mql' AND m.day >= ? AND m.day <= ?`,
        fromDay, toDay,
      )
      .one();
  }

  /** The stages one lead reached, for its export. */
  ofLead(id: string): { stage: string; day: string }[] {
    if (!this.schema.has('lead_stages')) return [];
    return this.sql.exec<{ stage: string; day: string }>('SELECT stage, day FROM lead_stages WHERE id = ? ORDER BY day, stage', id).toArray();
  }
}
