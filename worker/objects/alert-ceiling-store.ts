/**
 * A site's demo-request alerts per clock hour, against its ceiling (`alerts.demoRequestsPerHour`):
 * visitor objects claim a slot before an alert's first attempt. Bounded: the ids of alerts let
 * through this hour and the last (so a repeated claim keeps its slot), and counters for 48 hours.
 */

import type { LazySchema } from './lazy-schema';

const HOUR_MS = 3_600_000;
/** Hours of counters kept (the stats show the last 24). */
const HOURS_KEPT = 48;

export type AlertCounts = { allowed: number; suppressed: number };
export type DemoAlertStats = { thisHour: AlertCounts; last24Hours: AlertCounts };

export const ALERT_TABLES = {
  demo_alert_claims: ['CREATE TABLE demo_alert_claims (id TEXT PRIMARY KEY, hour INTEGER NOT NULL)'],
  demo_alert_hours: ['CREATE TABLE demo_alert_hours (hour INTEGER PRIMARY KEY, allowed INTEGER NOT NULL, suppressed INTEGER NOT NULL)'],
};

export class AlertCeilingStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly schema: LazySchema,
  ) {}

  /**
   * Takes one of this hour's `perHour` slots for alert `id`, or counts it as suppressed. A claim
   * repeated for an alert let through keeps its slot; a repeated suppressed claim counts again
   * (it only happens when the visitor object failed to record the first answer).
   * @example store.claim('msg_1', Date.now(), 100) // true while fewer than 100 went out this hour
   */
  claim(id: string, now: number, perHour: number): boolean {
    this.schema.ensure('demo_alert_claims');
    this.schema.ensure('demo_alert_hours');
    const hour = Math.floor(now / HOUR_MS);
    if (this.sql.exec('SELECT 1 FROM demo_alert_claims WHERE id = ?', id).toArray().length > 0) return true;
    const counts = this.sql.exec<{ allowed: number }>('SELECT allowed FROM demo_alert_hours WHERE hour = ?', hour).toArray()[0];
    // The hour's first claim clears what is no longer needed.
    if (!counts) this.prune(hour);
    const allowed = (counts?.allowed ?? 0) < perHour;
    if (allowed) this.sql.exec('INSERT INTO demo_alert_claims (id, hour) VALUES (?, ?)', id, hour);
    this.sql.exec(
      `INSERT INTO demo_alert_hours (hour, allowed, suppressed) VALUES (?, ?, ?)
       ON CONFLICT (hour) DO UPDATE SET allowed = allowed + excluded.allowed, suppressed = suppressed + excluded.suppressed`,
      hour, allowed ? 1 : 0, allowed ? 0 : 1,
    );
    return allowed;
  }

  /** Alerts let through and suppressed, this clock hour and over the last 24. */
  stats(now: number): DemoAlertStats {
    const hour = Math.floor(now / HOUR_MS);
    if (!this.schema.has('demo_alert_hours')) return { thisHour: { allowed: 0, suppressed: 0 }, last24Hours: { allowed: 0, suppressed: 0 } };
    const rows = this.sql
      .exec<{ hour: number; allowed: number; suppressed: number }>('SELECT hour, allowed, suppressed FROM demo_alert_hours WHERE hour > ?', hour - 24)
      .toArray();
    const sum = (rs: typeof rows): AlertCounts => ({ allowed: rs.reduce((n, r) => n + r.allowed, 0), suppressed: rs.reduce((n, r) => n + r.suppressed, 0) });
    return { thisHour: sum(rows.filter((r) => r.hour === hour)), last24Hours: sum(rows) };
  }

  private prune(hour: number) {
    this.sql.exec('DELETE FROM demo_alert_claims WHERE hour < ?', hour - 1);
    this.sql.exec('DELETE FROM demo_alert_hours WHERE hour <= ?', hour - HOURS_KEPT);
  }
}
