/**
 * The transactional outbox of a visitor: rows written in the same storage transaction as the
 * transition that causes them, delivered at least once afterwards, each webhook attempt logged.
 * Reads of an object that never had a row create nothing: the tables come with the first row.
 */
import type { LeadPayload } from '../webhooks/payload';

export type OutboxKind = 'webhook' | 'site';
export type OutboxStatus = 'pending' | 'delivered' | 'failed' | 'cancelled';

export type OutboxRow = {
  seq: number;
  id: string;
  kind: OutboxKind;
  /** Webhook endpoint id, or 'site' for notices to the site object. */
  target: string;
  eventType: string;
  payload: string;
  createdAt: number;
  status: OutboxStatus;
  /** Attempts made, over the row's whole life (redeliveries included). */
  attempts: number;
  /** Attempts made before the current retry schedule started (a redelivery starts a new one). */
  scheduleFrom: number;
  nextAt: number;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
};

export type AttemptLog = { attempt: number; at: number; status: number | null; latencyMs: number; error: string | null };

/** Finished webhook deliveries kept for the log; pending ones are never dropped. Site notices are deleted once delivered. */
export const FINISHED_KEPT = 200;
const ATTEMPTS_KEPT_PER_ROW = 20;

const OUTBOX_TABLE = `CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
  target TEXT NOT NULL, event_type TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
  last_status INTEGER, last_error TEXT, delivered_at INTEGER, schedule_from INTEGER NOT NULL DEFAULT 0)`;
const OUTBOX_INDEX = 'CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (status, next_at)';
const ATTEMPTS_TABLE = `CREATE TABLE IF NOT EXISTS attempts (
  outbox_id TEXT NOT NULL, attempt INTEGER NOT NULL, at INTEGER NOT NULL, status INTEGER,
  latency_ms INTEGER NOT NULL, error TEXT, PRIMARY KEY (outbox_id, attempt))`;

type Raw = {
  seq: number; id: string; kind: OutboxKind; target: string; event_type: string; payload: string;
  created_at: number; status: OutboxStatus; attempts: number; next_at: number;
  last_status: number | null; last_error: string | null; delivered_at: number | null;
  /** Absent from tables created before redeliveries restarted the schedule. */
  schedule_from?: number;
};

const fromRaw = (r: Raw): OutboxRow => ({
  seq: r.seq, id: r.id, kind: r.kind, target: r.target, eventType: r.event_type, payload: r.payload,
  createdAt: r.created_at, status: r.status, attempts: r.attempts, scheduleFrom: r.schedule_from ?? 0, nextAt: r.next_at,
  lastStatus: r.last_status, lastError: r.last_error, deliveredAt: r.delivered_at,
});

export class OutboxStore {
  /**
   * Whether the outbox table is known to exist. Set by reads that saw it, not by `add`: the first
   * row is added inside the caller's transaction, which may still roll the table back.
   */
  private hasOutbox: boolean;
  /** The attempt log exists once a webhook was attempted (most visitors only ever send site notices). */
  private hasAttemptLog: boolean;
  /** Tables created by earlier releases lack `schedule_from` until the first redelivery adds it. */
  private hasScheduleFrom: boolean;

  /**
   * @param existing the object's tables (`existingTables`). Nothing is created here. Rows are keyed
   * by rowid without AUTOINCREMENT (which writes a sqlite_sequence row per insert): finished rows
   * are kept, so seq still only grows; objects created by release 1 keep theirs.
   */
  constructor(
    private readonly sql: SqlStorage,
    existing: Map<string, string>,
  ) {
    this.hasOutbox = existing.has('outbox');
    this.hasAttemptLog = existing.has('attempts');
    this.hasScheduleFrom = !this.hasOutbox || /\bschedule_from\b/.test(existing.get('outbox')!);
  }

  /** Adds a pending row, creating the tables with the first one. */
  add(row: Pick<OutboxRow, 'id' | 'kind' | 'target' | 'eventType' | 'payload' | 'createdAt' | 'nextAt'>) {
    if (!this.hasOutbox) {
      this.sql.exec(OUTBOX_TABLE);
      this.sql.exec(OUTBOX_INDEX);
    }
    this.sql.exec(
      `INSERT INTO outbox (id, kind, target, event_type, payload, created_at, status, next_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
      row.id, row.kind, row.target, row.eventType, row.payload, row.createdAt, row.nextAt,
    );
  }

  /** Whether there is an outbox to read (checked in storage until it is seen once). */
  private exists(): boolean {
    if (!this.hasOutbox) {
      this.hasOutbox = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").toArray().length > 0;
    }
    return this.hasOutbox;
  }

  /** Targets with a row due at `now`. */
  dueTargets(now: number): string[] {
    if (!this.exists()) return [];
    return this.sql
      .exec<{ target: string }>("SELECT DISTINCT target FROM outbox WHERE status = 'pending' AND next_at <= ?", now)
      .toArray()
      .map((r) => r.target);
  }

  /** One target's rows due at `now`, oldest first. */
  due(target: string, now: number): OutboxRow[] {
    if (!this.exists()) return [];
    return this.sql
      .exec<Raw>("SELECT * FROM outbox WHERE status = 'pending' AND next_at <= ? AND target = ? ORDER BY seq", now, target)
      .toArray()
      .map(fromRaw);
  }

  /** Per target with pending rows, when its earliest one is due. */
  nextByTarget(): { target: string; nextAt: number }[] {
    if (!this.exists()) return [];
    return this.sql
      .exec<{ target: string; next_at: number }>("SELECT target, min(next_at) AS next_at FROM outbox WHERE status = 'pending' GROUP BY target")
      .toArray()
      .map((r) => ({ target: r.target, nextAt: r.next_at }));
  }

  get(id: string): OutboxRow | null {
    if (!this.exists()) return null;
    const r = this.sql.exec<Raw>('SELECT * FROM outbox WHERE id = ?', id).toArray()[0];
    return r ? fromRaw(r) : null;
  }

  /** Newest first, webhooks only. */
  list(limit = 100): OutboxRow[] {
    if (!this.exists()) return [];
    return this.sql
      .exec<Raw>("SELECT * FROM outbox WHERE kind = 'webhook' ORDER BY seq DESC LIMIT ?", limit)
      .toArray()
      .map(fromRaw);
  }

  /** The webhook delivery log as the admin API shows it: newest first, with every attempt and the payload. */
  log(limit = 100) {
    return this.list(limit).map((row) => ({
      id: row.id,
      endpoint: row.target,
      type: row.eventType,
      status: row.status,
      attempts: row.attempts,
      createdAt: row.createdAt,
      nextAttemptAt: row.status === 'pending' ? row.nextAt : null,
      deliveredAt: row.deliveredAt,
      lastStatus: row.lastStatus,
      lastError: row.lastError,
      log: this.attempts(row.id),
      payload: JSON.parse(row.payload) as LeadPayload,
    }));
  }

  attempts(id: string): AttemptLog[] {
    if (!this.hasAttemptLog) return [];
    return this.sql
      .exec<{ attempt: number; at: number; status: number | null; latency_ms: number; error: string | null }>(
        'SELECT attempt, at, status, latency_ms, error FROM attempts WHERE outbox_id = ? ORDER BY attempt',
        id,
      )
      .toArray()
      .map((a) => ({ attempt: a.attempt, at: a.at, status: a.status, latencyMs: a.latency_ms, error: a.error }));
  }

  /** Holds a row while an attempt is in flight, so a restarted object does not send it again at once. */
  lease(id: string, until: number) {
    this.sql.exec('UPDATE outbox SET next_at = ? WHERE id = ?', until, id);
  }

  /**
   * Records an attempt and what follows it. The row is updated first, and nothing else is written
   * when it is gone: an attempt that outlived an erase must not bring a table back.
   * @returns false when the row no longer exists
   */
  recordAttempt(row: Pick<OutboxRow, 'id' | 'kind'>, log: AttemptLog, next: { status: OutboxStatus; nextAt: number }): boolean {
    const { id } = row;
    if (row.kind === 'site' && next.status === 'delivered') {
      // The site object keeps the notice's id (repeats are harmless): nothing here needs the row any more.
      return this.sql.exec('DELETE FROM outbox WHERE id = ?', id).rowsWritten > 0;
    }
    const updated = this.sql.exec(
      `UPDATE outbox SET attempts = ?, status = ?, next_at = ?, last_status = ?, last_error = ?,
       delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END WHERE id = ?`,
      log.attempt, next.status, next.nextAt, log.status, log.error, next.status, log.at, id,
    ).rowsWritten;
    if (updated === 0) return false;
    // Only webhook attempts are ever shown (the delivery log); a site notice's would be rows written for nothing.
    if (row.kind === 'webhook') {
      if (!this.hasAttemptLog) {
        this.sql.exec(ATTEMPTS_TABLE);
        this.hasAttemptLog = true;
      }
      this.sql.exec(
        'INSERT OR REPLACE INTO attempts (outbox_id, attempt, at, status, latency_ms, error) VALUES (?, ?, ?, ?, ?, ?)',
        id, log.attempt, log.at, log.status, log.latencyMs, log.error,
      );
      this.sql.exec('DELETE FROM attempts WHERE outbox_id = ? AND attempt <= ?', id, log.attempt - ATTEMPTS_KEPT_PER_ROW);
    }
    if (next.status !== 'pending') this.pruneFinished();
    return true;
  }

  /** Puts a finished webhook delivery back in the queue with a full retry schedule (the redeliver route). */
  requeue(id: string, now: number): boolean {
    const row = this.get(id);
    if (!row || row.kind !== 'webhook' || row.status === 'pending') return false;
    if (!this.hasScheduleFrom) {
      this.sql.exec('ALTER TABLE outbox ADD COLUMN schedule_from INTEGER NOT NULL DEFAULT 0');
      this.hasScheduleFrom = true;
    }
    this.sql.exec("UPDATE outbox SET status = 'pending', next_at = ?, schedule_from = attempts WHERE id = ?", now, id);
    return true;
  }

  /** Ends a pending row without sending it (endpoint gone or disabled, alert over the site's ceiling). */
  cancel(id: string, reason: string) {
    this.sql.exec("UPDATE outbox SET status = 'cancelled', last_error = ? WHERE id = ?", reason, id);
    this.pruneFinished();
  }

  /**
   * Retention: finished deliveries created before `cutoff` go with their attempts (their payloads
   * copy the visitor's timeline of that time). Pending ones stay: they are still being delivered.
   */
  purgeFinishedBefore(cutoff: number): number {
    if (!this.exists()) return 0;
    if (this.hasAttemptLog) this.sql.exec("DELETE FROM attempts WHERE outbox_id IN (SELECT id FROM outbox WHERE status != 'pending' AND created_at < ?)", cutoff);
    return this.sql.exec("DELETE FROM outbox WHERE status != 'pending' AND created_at < ? RETURNING seq", cutoff).toArray().length;
  }

  /** Keeps the newest FINISHED_KEPT finished webhook rows; drops finished site notices (rows from before they were deleted on delivery). */
  private pruneFinished() {
    if (this.hasAttemptLog) this.sql.exec(
      `DELETE FROM attempts WHERE outbox_id IN (SELECT id FROM outbox WHERE kind = 'webhook' AND status != 'pending'
         ORDER BY seq DESC LIMIT -1 OFFSET ?)`,
      FINISHED_KEPT,
    );
    this.sql.exec(
      `DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE kind = 'webhook' AND status != 'pending'
         ORDER BY seq DESC LIMIT -1 OFFSET ?)`,
      FINISHED_KEPT,
    );
    this.sql.exec("DELETE FROM outbox WHERE kind = 'site' AND status != 'pending'");
  }
}
