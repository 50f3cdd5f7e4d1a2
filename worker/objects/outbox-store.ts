/**
 * The transactional outbox of a visitor: rows written in the same storage transaction as the
 * transition that causes them, delivered at least once afterwards, each attempt logged.
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
  attempts: number;
  nextAt: number;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
};

export type AttemptLog = { attempt: number; at: number; status: number | null; latencyMs: number; error: string | null };

/** Finished deliveries kept for the log; pending ones are never dropped. */
const FINISHED_KEPT = 200;
const ATTEMPTS_KEPT_PER_ROW = 20;

type Raw = {
  seq: number; id: string; kind: OutboxKind; target: string; event_type: string; payload: string;
  created_at: number; status: OutboxStatus; attempts: number; next_at: number;
  last_status: number | null; last_error: string | null; delivered_at: number | null;
};

const fromRaw = (r: Raw): OutboxRow => ({
  seq: r.seq, id: r.id, kind: r.kind, target: r.target, eventType: r.event_type, payload: r.payload,
  createdAt: r.created_at, status: r.status, attempts: r.attempts, nextAt: r.next_at,
  lastStatus: r.last_status, lastError: r.last_error, deliveredAt: r.delivered_at,
});

export class OutboxStore {
  /** The attempt log exists once a webhook was attempted (most visitors only ever send site notices). */
  private hasAttemptLog: boolean;

  /**
   * @param existing the object's tables (`existingTables`): only missing ones are created. Rows
   * are keyed by rowid without AUTOINCREMENT (which writes a sqlite_sequence row per insert):
   * finished rows are kept, so seq still only grows; objects created by release 1 keep theirs.
   */
  constructor(
    private readonly sql: SqlStorage,
    existing: Map<string, string>,
  ) {
    if (!existing.has('outbox')) {
      sql.exec(`CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
        target TEXT NOT NULL, event_type TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
        last_status INTEGER, last_error TEXT, delivered_at INTEGER)`);
      sql.exec('CREATE INDEX outbox_pending ON outbox (status, next_at)');
    }
    this.hasAttemptLog = existing.has('attempts');
  }

  add(row: Pick<OutboxRow, 'id' | 'kind' | 'target' | 'eventType' | 'payload' | 'createdAt' | 'nextAt'>) {
    this.sql.exec(
      `INSERT INTO outbox (id, kind, target, event_type, payload, created_at, status, next_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
      row.id, row.kind, row.target, row.eventType, row.payload, row.createdAt, row.nextAt,
    );
  }

  /** Pending rows in creation order. */
  pending(): OutboxRow[] {
    return this.sql.exec<Raw>("SELECT * FROM outbox WHERE status = 'pending' ORDER BY seq").toArray().map(fromRaw);
  }

  get(id: string): OutboxRow | null {
    const r = this.sql.exec<Raw>('SELECT * FROM outbox WHERE id = ?', id).toArray()[0];
    return r ? fromRaw(r) : null;
  }

  /** Newest first, webhooks only. */
  list(limit = 100): OutboxRow[] {
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

  /** Holds a row while an attempt is in flight, so an overlapping alarm does not send it twice. */
  lease(id: string, until: number) {
    this.sql.exec('UPDATE outbox SET next_at = ? WHERE id = ?', until, id);
  }

  recordAttempt(row: Pick<OutboxRow, 'id' | 'kind'>, log: AttemptLog, next: { status: OutboxStatus; nextAt: number }) {
    const { id } = row;
    // Only webhook attempts are ever shown (the delivery log); a site notice's would be rows written for nothing.
    if (row.kind === 'webhook') {
      if (!this.hasAttemptLog) {
        this.sql.exec(`CREATE TABLE IF NOT EXISTS attempts (
          outbox_id TEXT NOT NULL, attempt INTEGER NOT NULL, at INTEGER NOT NULL, status INTEGER,
          latency_ms INTEGER NOT NULL, error TEXT, PRIMARY KEY (outbox_id, attempt))`);
        this.hasAttemptLog = true;
      }
      this.sql.exec(
        'INSERT OR REPLACE INTO attempts (outbox_id, attempt, at, status, latency_ms, error) VALUES (?, ?, ?, ?, ?, ?)',
        id, log.attempt, log.at, log.status, log.latencyMs, log.error,
      );
      this.sql.exec('DELETE FROM attempts WHERE outbox_id = ? AND attempt <= ?', id, log.attempt - ATTEMPTS_KEPT_PER_ROW);
    }
    this.sql.exec(
      `UPDATE outbox SET attempts = ?, status = ?, next_at = ?, last_status = ?, last_error = ?,
       delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END WHERE id = ?`,
      log.attempt, next.status, next.nextAt, log.status, log.error, next.status, log.at, id,
    );
    if (next.status !== 'pending') this.pruneFinished();
  }

  /** Puts a finished delivery back in the queue (the redeliver route). */
  requeue(id: string, now: number): boolean {
    const row = this.get(id);
    if (!row || row.kind !== 'webhook' || row.status === 'pending') return false;
    this.sql.exec("UPDATE outbox SET status = 'pending', next_at = ? WHERE id = ?", now, id);
    return true;
  }

  cancel(id: string, reason: string) {
    this.sql.exec("UPDATE outbox SET status = 'cancelled', last_error = ? WHERE id = ?", reason, id);
  }

  nextDue(): number | null {
    return this.sql.exec<{ m: number | null }>("SELECT min(next_at) AS m FROM outbox WHERE status = 'pending'").one().m;
  }

  private pruneFinished() {
    if (this.hasAttemptLog) this.sql.exec(
      `DELETE FROM attempts WHERE outbox_id IN (SELECT id FROM outbox WHERE status != 'pending'
         ORDER BY seq DESC LIMIT -1 OFFSET ?)`,
      FINISHED_KEPT,
    );
    this.sql.exec(
      `DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE status != 'pending'
         ORDER BY seq DESC LIMIT -1 OFFSET ?)`,
      FINISHED_KEPT,
    );
  }
}
