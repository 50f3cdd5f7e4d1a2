/**
 * SQLite tables of a visitor's Durable Object. Every table is bounded: the state row, the
 * timeline, the dedupe window and the stage history (the outbox has its own store).
 *
 * A row written is what costs (billed per row, index rows included) and what takes the time
 * (a statement costs more CPU than the JSON it carries), so a typical beacon writes one row: its
 * state row, which also holds the newest timeline entries (`pending`). Once those reach
 * PENDING_FLUSH_ENTRIES entries or PENDING_FLUSH_CHARS characters they move, with the beacon's
 * own, to one timeline row, written with the state row in one statement (`flush_write`). The
 * entries carry their event ids, so the timeline is also the newest part of the dedupe window;
 * the ids of rows the timeline drops (in bulk, once it holds TIMELINE_TRIM_FACTOR times its cap) move to `seen` in one
 * row. Dedupe lookups use the ids held in memory, read from the three places once per object start.
 */
import { LIMITS } from '../schema/limits';
import type { TimelineEntry, Transition, VisitorState } from '../visitor/apply-batch';

/**
 * The timeline is cut back to LIMITS.timelineCap entries once it holds this many times that: a cut
 * is a transaction of several statements (delete rows, move their ids to `seen`), so it is
 * amortized over many beacons: a visitor sending batches of 20 cuts at every 15th beacon at 4,
 * every 5th at 2 (cuts at 2 cost 0.1-0.2x of the baseline's whole beacon, in noisy ranges: trials in
 * the CPU investigation of 2026-11-23 at c37fe34, see git history).
 */
export const TIMELINE_TRIM_FACTOR = 4;

/** Whether a timeline of `total` entries is due to be cut back (asked before a flush by `trimDue`, after it by `appendRow`). */
const timelineFull = (total: number) => total >= TIMELINE_TRIM_FACTOR * LIMITS.timelineCap;

/** Pending entries move to a timeline row at this many (most beacons carry one event)... */
export const PENDING_FLUSH_ENTRIES = 10;
/** ...or at this many characters of JSON, so the state row stays small (one 4 KiB page for a typical state). */
export const PENDING_FLUSH_CHARS = 2_500;

const TABLES: Record<string, string> = {
  /** The visitor's state, and the newest timeline entries (a JSON array, oldest first) not yet in `timeline`. */
  state: `CREATE TABLE state (k INTEGER PRIMARY KEY CHECK (k = 1), json TEXT NOT NULL, pending TEXT NOT NULL DEFAULT '[]')`,
  /** Timeline entries, one row per beacon (a JSON array, oldest first), with their time span for retention. */
  timeline: `CREATE TABLE timeline (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, oldest INTEGER NOT NULL, newest INTEGER NOT NULL, json TEXT NOT NULL)`,
  transitions: `CREATE TABLE transitions (seq INTEGER PRIMARY KEY, json TEXT NOT NULL)`,
};
/**
 * A flush as one statement: inserting into this view writes the timeline row and the state row
 * together (its trigger runs both inserts), and one statement is atomic by itself, so the
 * usual flush needs no transaction around it. Created at an object's first flush (most visitors
 * never have one, and schema rows are billed as rows written); dropped before a migration, since
 * the trigger names the tables, and created again at the next flush.
 */
const FLUSH_WRITE: Record<string, string> = {
  flush_write: `CREATE VIEW flush_write AS SELECT NULL AS state, NULL AS seq, NULL AS n, NULL AS oldest, NULL AS newest, NULL AS entries`,
  flush_write_rows: `CREATE TRIGGER flush_write_rows INSTEAD OF INSERT ON flush_write BEGIN
    INSERT INTO timeline (seq, n, oldest, newest, json) VALUES (NEW.seq, NEW.n, NEW.oldest, NEW.newest, NEW.entries);
    INSERT INTO state (k, json, pending) VALUES (1, NEW.state, '[]') ON CONFLICT (k) DO UPDATE SET json = excluded.json, pending = excluded.pending;
  END`,
};

/** Event ids no longer in the timeline (a JSON array per row); created when the first ones leave it. */
const SEEN_TABLE = `CREATE TABLE seen (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, ids TEXT NOT NULL)`;

/**
 * Objects stored by release 1 (a row per event id and per timeline entry, AUTOINCREMENT) are
 * rebuilt once, keeping every id and entry in order. The timeline is rebuilt first: ids it holds
 * are not copied to `seen` again. State rows without `pending` (release 1, and objects written
 * before the state row held entries) get an empty one.
 */
const MIGRATIONS: Record<string, { outdated: (ddl: string) => boolean; create: string; copy: string }> = {
  timeline: {
    outdated: (ddl) => !/\boldest INTEGER\b/i.test(ddl),
    create: TABLES.timeline!,
    copy: 'INSERT INTO timeline (n, oldest, newest, json) SELECT 1, at, at, json_array(json(json)) FROM old ORDER BY seq',
  },
  seen: {
    outdated: (ddl) => !/\bids TEXT\b/i.test(ddl),
    create: SEEN_TABLE,
    copy: `INSERT INTO seen (n, ids) SELECT count(*), json_group_array(id) FROM
             (SELECT id, (row_number() OVER (ORDER BY seq) - 1) / 1000 AS chunk FROM old
              WHERE id NOT IN (SELECT e.value ->> '$.id' FROM timeline t, json_each(t.json) e))
           GROUP BY chunk ORDER BY chunk`,
  },
  transitions: { outdated: (ddl) => /AUTOINCREMENT/i.test(ddl), create: TABLES.transitions!, copy: 'INSERT INTO transitions (seq, json) SELECT seq, json FROM old' },
  state: { outdated: (ddl) => !/\bpending TEXT\b/i.test(ddl), create: TABLES.state!, copy: 'INSERT INTO state (k, json) SELECT k, json FROM old' },
};


/** A stored row of event ids (timeline entries' or `seen`'s), oldest first in memory. */
type IdRow = { seq: number; n: number; ids: string[] };
type Window = { timeline: IdRow[]; timelineTotal: number; seen: IdRow[]; seenTotal: number; ids: Set<string> };

/** The entries held in the state row: their JSON as stored (appended to without parsing it again) and what the window needs. */
type Pending = { json: string; ids: string[]; oldest: number; newest: number };
/** What `save` writes, decided once (`plan`): the pending entries after this beacon, and whether they move to a timeline row. */
export type SavePlan = { entries: TimelineEntry[]; next: Pending; flush: boolean; oneStatement: boolean };
const NO_PENDING: Pending = { json: '[]', ids: [], oldest: Infinity, newest: -Infinity };

function pendingFrom(json: string): Pending {
  const entries = JSON.parse(json) as TimelineEntry[];
  return entries.length === 0 ? NO_PENDING : withEntries(NO_PENDING, entries, json);
}

/** `pending` plus `entries` (oldest first); `json` when the caller already has the whole array's JSON. */
function withEntries(pending: Pending, entries: TimelineEntry[], json?: string): Pending {
  let { oldest, newest } = pending;
  const ids = pending.ids.slice();
  for (const e of entries) {
    if (e.at < oldest) oldest = e.at;
    if (e.at > newest) newest = e.at;
    ids.push(e.id);
  }
  let whole = json;
  if (whole === undefined) {
    const added = JSON.stringify(entries);
    whole = pending.ids.length === 0 ? added : `${pending.json.slice(0, -1)},${added.slice(1)}`;
  }
  return { json: whole, ids, oldest, newest };
}

/**
 * Drops rows from the front (oldest) while the rows after them still hold `keep` items, and
 * returns them (delete them with one `WHERE seq <= last dropped seq`).
 */
function dropOldest(rows: IdRow[], total: number, keep: number, minRows: number): { dropped: IdRow[]; total: number } {
  const dropped: IdRow[] = [];
  while (rows.length > minRows && total - rows[0]!.n >= keep) {
    const oldest = rows.shift()!;
    total -= oldest.n;
    dropped.push(oldest);
  }
  return { dropped, total };
}

export class VisitorStore {
  /** The timeline's and the dedupe window's rows in memory; null until first needed (or after a rollback). */
  private window: Window | null = null;
  private pending: Pending = NO_PENDING;
  private hasSeenTable: boolean;
  /** Whether the flush_write view and its trigger exist (see FLUSH_WRITE). */
  private hasFlushWrite: boolean;
  /**
   * Whether the state, timeline and transitions tables exist. They are created by the first write,
   * never by a read: a visitor object that is only asked for a decision stores nothing.
   */
  private hasTables: boolean;

  /**
   * @param existing what `existingTables` found; outdated tables are migrated inside `transact`,
   * so a crash leaves the old layout intact; missing ones wait for the first write.
   */
  constructor(
    private readonly sql: SqlStorage,
    existing: Map<string, string>,
    private readonly transact: (fn: () => void) => void,
  ) {
    this.hasSeenTable = existing.has('seen');
    const missing = Object.keys(TABLES).filter((name) => !existing.has(name));
    this.hasTables = missing.length === 0;
    const outdated = Object.keys(MIGRATIONS).filter((name) => existing.has(name) && MIGRATIONS[name]!.outdated(existing.get(name)!));
    const migrating = outdated.length > 0;
    this.hasFlushWrite = !migrating && Object.keys(FLUSH_WRITE).every((name) => existing.has(name));
    if (!migrating) return;
    this.hasTables = true;
    transact(() => {
      // The trigger names the tables: it goes before they are renamed, and comes back at the next flush.
      if (migrating) {
        sql.exec('DROP TRIGGER IF EXISTS flush_write_rows');
        sql.exec('DROP VIEW IF EXISTS flush_write');
      }
      for (const name of missing) sql.exec(TABLES[name]!);
      for (const name of outdated) {
        sql.exec(`ALTER TABLE ${name} RENAME TO old`);
        sql.exec(MIGRATIONS[name]!.create);
        sql.exec(MIGRATIONS[name]!.copy);
        sql.exec('DROP TABLE old');
      }
    });
  }

  /** Creates the tables a visitor's first write needs (call inside that write's transaction). */
  private ensureTables() {
    if (this.hasTables) return;
    for (const ddl of Object.values(TABLES)) this.sql.exec(ddl.replace('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS'));
    this.hasTables = true;
  }

  loadState(): VisitorState | null {
    if (!this.hasTables) {
      this.pending = NO_PENDING;
      return null;
    }
    const row = this.sql.exec<{ json: string; pending: string }>('SELECT json, pending FROM state WHERE k = 1').toArray()[0];
    this.pending = row ? pendingFrom(row.pending) : NO_PENDING;
    return row ? (JSON.parse(row.json) as VisitorState) : null;
  }

  /**
   * Where a beacon's entries go, and whether `save` is one statement (atomic by itself): without
   * `flush` the state row alone takes them; with it, a timeline row too, in one statement unless
   * the windows must also be cut back. Pass the plan to `save`.
   */
  plan(entries: TimelineEntry[]): SavePlan {
    const next = entries.length === 0 ? this.pending : withEntries(this.pending, entries);
    const flush = this.mustFlush(next);
    // An object's first write creates its tables: more than one statement, so a transaction.
    const oneStatement = this.hasTables && (!flush || (this.hasFlushWrite && !this.trimDue(next.ids.length)));
    return { entries, next, flush, oneStatement };
  }

  /** Whether adding a timeline row of `n` entries would cut the timeline or `seen` back (errs towards yes). */
  private trimDue(n: number): boolean {
    const w = this.load();
    const total = w.timelineTotal + n;
    if (timelineFull(total)) return true;
    const oldestSeen = w.seen[0];
    return oldestSeen !== undefined && total + w.seenTotal - oldestSeen.n >= LIMITS.dedupeWindow;
  }

  private mustFlush(p: Pending): boolean {
    return p.ids.length >= PENDING_FLUSH_ENTRIES || p.json.length >= PENDING_FLUSH_CHARS;
  }

  /**
   * Saves the state row with a beacon's timeline entries (oldest first, as planned by `plan`),
   * which also remembers their event ids. Memory changes only after the statements ran; a
   * rolled-back transaction around them must be followed by `forgetCached()`.
   */
  save(state: VisitorState, { entries, next, flush, oneStatement }: SavePlan) {
    this.ensureTables();
    const w = this.load();
    if (flush && oneStatement) {
      const seq = this.nextTimelineSeq(w);
      this.sql.exec('INSERT INTO flush_write (state, seq, n, oldest, newest, entries) VALUES (?, ?, ?, ?, ?, ?)', JSON.stringify(state), seq, next.ids.length, next.oldest, next.newest, next.json);
      this.noteTimelineRow(w, seq, next.ids);
    } else {
      this.sql.exec(
        'INSERT INTO state (k, json, pending) VALUES (1, ?, ?) ON CONFLICT (k) DO UPDATE SET json = excluded.json, pending = excluded.pending',
        JSON.stringify(state),
        flush ? '[]' : next.json,
      );
      if (flush) {
        this.appendRow(w, next);
        this.ensureFlushWrite();
      }
    }
    this.pending = flush ? NO_PENDING : next;
    for (const e of entries) w.ids.add(e.id);
  }

  /** Memory holds every timeline row, so the next seq is known (no RETURNING to read back). */
  private nextTimelineSeq(w: Window): number {
    return (w.timeline.at(-1)?.seq ?? 0) + 1;
  }

  private noteTimelineRow(w: Window, seq: number, ids: string[]) {
    w.timeline.push({ seq, n: ids.length, ids });
    w.timelineTotal += ids.length;
  }

  /** The events whose ids were not applied before (within the dedupe window), in order. */
  unseen<T extends { id: string }>(events: T[]): T[] {
    const { ids: known } = this.load();
    return events.filter((e) => !known.has(e.id));
  }

  /**
   * Moves entries out of the state row into one timeline row. The timeline keeps at least the
   * newest LIMITS.timelineCap entries: once it holds TIMELINE_TRIM_FACTOR times that, its oldest rows go in one DELETE
   * and their ids to `seen` in one row. `seen` keeps the rest of the dedupe window: at least the
   * last LIMITS.dedupeWindow ids in all.
   */
  private appendRow(w: Window, entries: Pending) {
    const { ids } = entries;
    const seq = this.nextTimelineSeq(w);
    this.sql.exec('INSERT INTO timeline (seq, n, oldest, newest, json) VALUES (?, ?, ?, ?, ?)', seq, ids.length, entries.oldest, entries.newest, entries.json);
    this.noteTimelineRow(w, seq, ids);

    if (timelineFull(w.timelineTotal)) {
      const { dropped, total } = dropOldest(w.timeline, w.timelineTotal, LIMITS.timelineCap, 1);
      w.timelineTotal = total;
      if (dropped.length > 0) {
        this.sql.exec('DELETE FROM timeline WHERE seq <= ?', dropped.at(-1)!.seq);
        this.addSeenRow(w, dropped.flatMap((r) => r.ids));
      }
    }
    this.trimSeen(w);
  }

  /** `seen` keeps what the timeline does not of the last LIMITS.dedupeWindow ids. */
  private trimSeen(w: Window) {
    const { dropped } = dropOldest(w.seen, w.timelineTotal + w.seenTotal, LIMITS.dedupeWindow, 0);
    if (dropped.length === 0) return;
    w.seenTotal -= dropped.reduce((sum, r) => sum + r.n, 0);
    for (const row of dropped) for (const id of row.ids) w.ids.delete(id);
    this.sql.exec('DELETE FROM seen WHERE seq <= ?', dropped.at(-1)!.seq);
  }

  private addSeenRow(w: Window, ids: string[]) {
    this.ensureSeenTable();
    const { seq } = this.sql.exec<{ seq: number }>('INSERT INTO seen (n, ids) VALUES (?, ?) RETURNING seq', ids.length, JSON.stringify(ids)).one();
    w.seen.push({ seq, n: ids.length, ids });
    w.seenTotal += ids.length;
  }

  private ensureFlushWrite() {
    if (this.hasFlushWrite) return;
    for (const ddl of Object.values(FLUSH_WRITE)) this.sql.exec(ddl);
    this.hasFlushWrite = true;
  }

  private ensureSeenTable() {
    if (this.hasSeenTable) return;
    this.sql.exec(SEEN_TABLE);
    this.hasSeenTable = true;
  }

  /** Event ids remembered beyond the timeline (what a browser joining a person hands over with its timeline). */
  seenOnlyIds(): string[] {
    return this.load().seen.flatMap((r) => r.ids);
  }

  /**
   * Remembers ids applied elsewhere (a joining browser's, oldest first) for de-duplication, in rows
   * of at most 1,000, within the window's bound (call inside the change's transaction).
   */
  rememberIds(ids: string[]) {
    if (ids.length === 0) return;
    this.ensureTables();
    const w = this.load();
    const fresh = ids.filter((id) => !w.ids.has(id)).slice(-LIMITS.dedupeWindow);
    for (let i = 0; i < fresh.length; i += 1000) this.addSeenRow(w, fresh.slice(i, i + 1000));
    for (const id of fresh) w.ids.add(id);
    this.trimSeen(w);
  }

  /**
   * Removes timeline entries (a browser split off a person takes its own): the rest are rewritten
   * as one timeline row, oldest first. Call inside a transaction, before the state is saved.
   */
  removeEntries(drop: (e: TimelineEntry) => boolean) {
    if (!this.hasTables) return;
    const rows = this.sql.exec<{ json: string }>('SELECT json FROM timeline ORDER BY seq').toArray();
    const entries = [...rows.flatMap((r) => JSON.parse(r.json) as TimelineEntry[]), ...(JSON.parse(this.pending.json) as TimelineEntry[])];
    const kept = entries.filter((e) => !drop(e));
    if (kept.length === entries.length) return;
    this.sql.exec('DELETE FROM timeline');
    this.sql.exec("UPDATE state SET pending = '[]'");
    this.pending = NO_PENDING;
    if (kept.length > 0) {
      const row = withEntries(NO_PENDING, kept);
      this.sql.exec('INSERT INTO timeline (seq, n, oldest, newest, json) VALUES (1, ?, ?, ?, ?)', row.ids.length, row.oldest, row.newest, row.json);
    }
    this.window = null;
  }

  /** Forgets this visitor's state, timeline, stage history and ids (it joined a person, which holds them now). */
  dropAll() {
    for (const name of ['flush_write_rows']) this.sql.exec(`DROP TRIGGER IF EXISTS ${name}`);
    this.sql.exec('DROP VIEW IF EXISTS flush_write');
    for (const name of ['state', 'timeline', 'transitions', 'seen']) this.sql.exec(`DROP TABLE IF EXISTS ${name}`);
    this.hasTables = false;
    this.hasSeenTable = false;
    this.hasFlushWrite = false;
    this.window = null;
    this.pending = NO_PENDING;
  }

  /** After a rolled-back transaction: what memory holds may never have been stored. */
  forgetCached() {
    this.window = null;
    const names = new Set(this.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE name IN ('state', 'timeline', 'transitions', 'seen', 'flush_write', 'flush_write_rows')").toArray().map((r) => r.name));
    this.hasTables = Object.keys(TABLES).every((name) => names.has(name));
    this.hasSeenTable = names.has('seen');
    this.hasFlushWrite = names.has('flush_write') && names.has('flush_write_rows');
    this.pending = this.hasTables ? pendingFrom(this.sql.exec<{ pending: string }>('SELECT pending FROM state WHERE k = 1').toArray()[0]?.pending ?? '[]') : NO_PENDING;
  }

  private load(): Window {
    if (this.window) return this.window;
    const timeline = !this.hasTables ? [] : this.sql
      .exec<{ seq: number; n: number; ids: string }>(
        "SELECT seq, n, (SELECT json_group_array(e.value ->> '$.id') FROM json_each(timeline.json) e) AS ids FROM timeline ORDER BY seq",
      )
      .toArray()
      .map((r) => ({ seq: r.seq, n: r.n, ids: JSON.parse(r.ids) as string[] }));
    const seen = this.hasSeenTable
      ? this.sql
          .exec<{ seq: number; n: number; ids: string }>('SELECT seq, n, ids FROM seen ORDER BY seq')
          .toArray()
          .map((r) => ({ seq: r.seq, n: r.n, ids: JSON.parse(r.ids) as string[] }))
      : [];
    const ids = new Set<string>(this.pending.ids);
    for (const row of [...seen, ...timeline]) for (const id of row.ids) ids.add(id);
    const sum = (rows: IdRow[]) => rows.reduce((total, r) => total + r.n, 0);
    this.window = { timeline, timelineTotal: sum(timeline), seen, seenTotal: sum(seen), ids };
    return this.window;
  }

  /** Newest first, at most `limit`. */
  timeline(limit: number = LIMITS.timelineCap): TimelineEntry[] {
    const out: TimelineEntry[] = [];
    if (!this.hasTables) return out;
    const take = (json: string) => {
      const entries = JSON.parse(json) as TimelineEntry[];
      for (let i = entries.length - 1; i >= 0 && out.length < limit; i--) out.push(entries[i]!);
    };
    take(this.pending.json);
    if (out.length >= limit) return out;
    for (const row of this.sql.exec<{ json: string }>('SELECT json FROM timeline ORDER BY seq DESC')) {
      take(row.json);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Retention: forgets timeline events that happened before `cutoff` (their ids stay in the
   * dedupe window, in `seen`). Returns how many.
   */
  purgeTimelineBefore(cutoff: number): number {
    if (!this.hasTables) return 0;
    const w = this.load();
    const purgedIds: string[] = [];
    try {
      this.transact(() => {
        for (const row of this.sql.exec<{ json: string }>('DELETE FROM timeline WHERE newest < ? RETURNING json', cutoff).toArray()) {
          for (const e of JSON.parse(row.json) as TimelineEntry[]) purgedIds.push(e.id);
        }
        // Rows that straddle the cutoff keep their newer entries.
        const straddling = this.sql.exec<{ seq: number; json: string }>('SELECT seq, json FROM timeline WHERE oldest < ?', cutoff).toArray();
        for (const row of straddling) {
          const entries = JSON.parse(row.json) as TimelineEntry[];
          const kept = entries.filter((e) => e.at >= cutoff);
          for (const e of entries) if (e.at < cutoff) purgedIds.push(e.id);
          const oldest = Math.min(...kept.map((e) => e.at));
          this.sql.exec('UPDATE timeline SET n = ?, oldest = ?, json = ? WHERE seq = ?', kept.length, oldest, JSON.stringify(kept), row.seq);
        }
        if (this.pending.oldest < cutoff) {
          const entries = JSON.parse(this.pending.json) as TimelineEntry[];
          for (const e of entries) if (e.at < cutoff) purgedIds.push(e.id);
          this.sql.exec('UPDATE state SET pending = ? WHERE k = 1', JSON.stringify(entries.filter((e) => e.at >= cutoff)));
        }
        if (purgedIds.length > 0) this.addSeenRow(w, purgedIds);
      });
    } finally {
      // The rows changed (or rolled back) under the in-memory copies: read them again.
      this.forgetCached();
    }
    return purgedIds.length;
  }

  oldestTimelineAt(): number | null {
    if (!this.hasTables) return null;
    const stored = this.sql.exec<{ m: number | null }>('SELECT min(oldest) AS m FROM timeline').one().m;
    const oldest = Math.min(stored ?? Infinity, this.pending.oldest);
    return oldest === Infinity ? null : oldest;
  }

  appendTransitions(transitions: Transition[]) {
    if (transitions.length === 0) return;
    this.ensureTables();
    this.sql.exec('INSERT INTO transitions (json) SELECT value FROM json_each(?) ORDER BY key', JSON.stringify(transitions));
    this.sql.exec('DELETE FROM transitions WHERE seq <= (SELECT max(seq) FROM transitions) - ?', LIMITS.stageHistoryCap);
  }

  /** Oldest first. */
  transitions(): Transition[] {
    if (!this.hasTables) return [];
    return this.sql
      .exec<{ json: string }>('SELECT json FROM transitions ORDER BY seq')
      .toArray()
      .map((r) => JSON.parse(r.json) as Transition);
  }
}
