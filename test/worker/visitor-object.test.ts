import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { BeaconMeta, IngestResult, VisitorObject } from '../../worker/objects/visitor-object';
import { siteStub } from '../../worker/config/config-cache';
import { visitorStub } from '../../worker/routes/stubs';
import { LIMITS } from '../../worker/schema/limits';
import { PENDING_FLUSH_ENTRIES, TIMELINE_TRIM_FACTOR } from '../../worker/objects/visitor-store';
import { DEMO_CONFIG } from '../../worker/config/demo-config';
import type { BatchInput } from '../../worker/schema/events';
import { journey, makeBatch, makeConfig, makeEvent, uid, ANA_EMAIL } from '../helpers/factories';
import { api, collect, eventually, profile } from './helpers';

/** What the Worker sends with a beacon it routed to this batch's object (a server-side call: no Origin). */
const beaconMeta = (batch: BatchInput): BeaconMeta => ({
  receivedAt: Date.now(),
  adminBaseUrl: 'http://localhost',
  clientIp: null,
  site: batch.site,
  anonymousId: batch.anonymousId,
  traffic: { origin: undefined, userAgent: undefined },
});
/** The beacon's answer, from what ingest returned (a recorded beacon's answer comes serialized). */
const answerOf = (result: IngestResult) => (typeof result === 'string' ? JSON.parse(result) : result);

/** What the object stores, counted from its tables (timeline entries are in the state row, then in timeline rows; ids that left the timeline are in `seen`). */
const rows = (site: string, aid: string) =>
  runInDurableObject(visitorStub(env as never, site, aid), (_i: VisitorObject, ctx) => {
    const pending = ctx.storage.sql.exec('SELECT json_array_length(pending) AS n FROM state').one().n as number;
    const timeline = pending + (ctx.storage.sql.exec('SELECT coalesce(sum(n), 0) AS n FROM timeline').one().n as number);
    const older = ctx.storage.sql.exec('SELECT coalesce(sum(n), 0) AS n FROM seen').one().n as number;
    return { seen: timeline + older, timeline, bytes: ctx.storage.sql.databaseSize };
  });

describe('visitor Durable Object', () => {
  it('keeps state bounded however many events one visitor sends', async () => {
    const aid = uid('heavy');
    const site = 'bounded';
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: { ...DEMO_CONFIG, webhooks: [], rateLimits: { visitorBurst: 100_000 } } });
    const sent: ReturnType<typeof makeBatch>[] = [];
    const send = async (n: number, size = 50) => {
      for (let i = 0; i < n; i += size) {
        const events = Array.from({ length: size }, (_, k) => makeEvent({ url: `http://localhost:8787/blog/post-${(i + k) % 7}`, topics: [`t${(i + k) % 30}`] }));
        const batch = makeBatch(events, { site, anonymousId: aid });
        sent.push(batch);
        expect((await collect(batch)).status).toBe(200);
      }
    };
    await send(LIMITS.dedupeWindow);
    const atWindow = await rows(site, aid);
    await send(2_000);
    await send(7, 7);
    const after = await rows(site, aid);
    // Kept whole, plus what bulk trimming leaves: the timeline is cut back to its cap once it holds TIMELINE_TRIM_FACTOR times it.
    for (const { seen, timeline } of [atWindow, after]) {
      expect(seen).toBeGreaterThanOrEqual(LIMITS.dedupeWindow);
      expect(seen).toBeLessThan(LIMITS.dedupeWindow + TIMELINE_TRIM_FACTOR * LIMITS.timelineCap + LIMITS.maxEventsPerBatch);
      expect(timeline).toBeGreaterThanOrEqual(LIMITS.timelineCap);
      expect(timeline).toBeLessThan(TIMELINE_TRIM_FACTOR * LIMITS.timelineCap + LIMITS.maxEventsPerBatch);
    }
    // SQLite reuses freed pages: 2,000 more events must not grow storage by more than a few pages.
    expect(after.bytes - atWindow.bytes).toBeLessThanOrEqual(64 * 1024);
    const p = await profile(site, aid);
    expect(p.body.eventCount).toBe(LIMITS.dedupeWindow + 2_007);
    expect(p.body.timeline).toHaveLength(LIMITS.timelineCap);
    expect(p.body.timeline[0].id).toBe(sent.at(-1)!.events.at(-1)!.id);
    expect(p.body.topics.length).toBeLessThanOrEqual(10);
    // The beacon holding the 10,000th newest event is still recognised when resent.
    const edge = sent[sent.length - 1 - LIMITS.dedupeWindow / 50]!;
    const resent = await collect(edge);
    expect(resent.body.duplicates).toBeGreaterThanOrEqual(43);
    expect(resent.body.accepted + resent.body.duplicates).toBe(50);
  }, 120_000);

  it('concurrent beacons for one visitor (many tabs) give the same state as sequential ones', async () => {
    const events = [journey.identify(), journey.download(), journey.webinar(), journey.pricing(), ...Array.from({ length: 16 }, () => makeEvent())];
    const sequential = uid('seq');
    for (const e of events) await collect(makeBatch([e], { anonymousId: sequential }));
    const concurrent = uid('con');
    await Promise.all(events.map((e) => collect(makeBatch([e], { anonymousId: concurrent }))));
    const [a, b] = [(await profile('demo', sequential)).body, (await profile('demo', concurrent)).body];
    expect(b.eventCount).toBe(a.eventCount);
    expect(b.stage).toBe(a.stage);
    expect(b.counts).toEqual(a.counts);
    expect(b.score.breakdown.map((l: any) => l.rule).sort()).toEqual(a.score.breakdown.map((l: any) => l.rule).sort());
    expect(b.score.total).toBeCloseTo(a.score.total, 0);
  }, 60_000);

  it('a one-event beacon writes one row; entries move to the timeline table in bulk and stay deduplicated', async () => {
    const aid = uid('rows');
    const beacons = Array.from({ length: PENDING_FLUSH_ENTRIES + 2 }, () => makeBatch([makeEvent()], { anonymousId: aid }));
    const stub = visitorStub(env as never, 'demo', aid);
    const stored = () =>
      runInDurableObject(stub, (instance: VisitorObject, ctx) => {
        const Fresh = instance.constructor as new (ctx: DurableObjectState, env: unknown) => VisitorObject;
        return {
          pending: ctx.storage.sql.exec('SELECT json_array_length(pending) AS n FROM state').one().n as number,
          timelineRows: ctx.storage.sql.exec('SELECT count(*) AS n FROM timeline').one().n as number,
          // What a restarted object shows: nothing held only in memory.
          shown: new Fresh(ctx, env).profile(makeConfig(), Date.now())!.timeline.map((e) => e.id),
        };
      });
    for (const b of beacons.slice(0, 3)) await collect(b);
    expect(await stored()).toEqual({ pending: 3, timelineRows: 0, shown: beacons.slice(0, 3).map((b) => b.events[0]!.id).reverse() });
    for (const b of beacons.slice(3)) await collect(b);
    const after = await stored();
    expect(after.timelineRows).toBe(1);
    expect(after.pending).toBe(beacons.length - PENDING_FLUSH_ENTRIES);
    expect(after.shown).toEqual(beacons.map((b) => b.events[0]!.id).reverse());
    // Resends are recognised wherever their entry sits (a timeline row, the state row), also by a restarted object.
    const resent = await runInDurableObject(stub, async (instance: VisitorObject, ctx) => {
      const Fresh = instance.constructor as new (ctx: DurableObjectState, env: unknown) => VisitorObject;
      const fresh = new Fresh(ctx, env);
      const meta = beaconMeta(beacons[0]!);
      return [answerOf(await fresh.ingest(JSON.stringify(beacons[0]), 0, meta)), answerOf(await fresh.ingest(JSON.stringify(beacons.at(-1)), 0, meta))];
    });
    expect(resent).toMatchObject([
      { accepted: 0, duplicates: 1 },
      { accepted: 0, duplicates: 1 },
    ]);
  });

  it('a flush is one statement: when its timeline row cannot be written, the state row is not written either', async () => {
    const aid = uid('flush');
    const stub = visitorStub(env as never, 'demo', aid);
    const events = (n: number) => Array.from({ length: n }, () => makeEvent());
    const schema = () => runInDurableObject(stub, (_i: VisitorObject, ctx) => ctx.storage.sql.exec("SELECT name FROM sqlite_master WHERE name LIKE 'flush_write%'").toArray().map((r) => r.name));
    // The first flush creates the view and its trigger (in a transaction); a visitor who never flushes has none.
    expect((await collect(makeBatch(events(2), { anonymousId: aid }))).status).toBe(200);
    expect(await schema()).toEqual([]);
    expect((await collect(makeBatch(events(PENDING_FLUSH_ENTRIES), { anonymousId: aid }))).status).toBe(200);
    expect((await schema()).sort()).toEqual(['flush_write', 'flush_write_rows']);
    expect((await collect(makeBatch(events(2), { anonymousId: aid }))).status).toBe(200);

    const stateRow = () => runInDurableObject(stub, (_i: VisitorObject, ctx) => ctx.storage.sql.exec('SELECT json, pending FROM state').one());
    const before = await stateRow();
    // A row behind the store's back takes the seq its next flush will use, so the trigger's timeline insert fails.
    await runInDurableObject(stub, (_i: VisitorObject, ctx) => {
      ctx.storage.sql.exec("INSERT INTO timeline (seq, n, oldest, newest, json) SELECT max(seq) + 1, 0, 0, 0, '[]' FROM timeline");
    });
    const flush = makeBatch(events(PENDING_FLUSH_ENTRIES), { anonymousId: aid });
    expect((await collect(flush)).status).toBe(500);
    expect(await stateRow()).toEqual(before);

    await runInDurableObject(stub, (_i: VisitorObject, ctx) => {
      ctx.storage.sql.exec('DELETE FROM timeline WHERE n = 0');
    });
    expect((await collect(flush)).body).toMatchObject({ accepted: PENDING_FLUSH_ENTRIES, duplicates: 0 });
    expect((await profile('demo', aid)).body.eventCount).toBe(2 * PENDING_FLUSH_ENTRIES + 4);
    const stored = await runInDurableObject(stub, (_i: VisitorObject, ctx) => ctx.storage.sql.exec('SELECT sum(n) AS n, count(*) AS r FROM timeline').one());
    expect(stored).toEqual({ n: 2 * PENDING_FLUSH_ENTRIES + 4, r: 2 });
  });

  it('survives eviction: a new instance over the same storage has the same visitor', async () => {
    const batch = makeBatch([journey.identify(), journey.download(), journey.webinar()]);
    await collect(batch);
    const stub = visitorStub(env as never, 'demo', batch.anonymousId);
    const reloaded = await runInDurableObject(stub, (instance: VisitorObject, ctx) => {
      const Fresh = instance.constructor as new (ctx: DurableObjectState, env: unknown) => VisitorObject;
      return new Fresh(ctx, env).profile(makeConfig(), Date.now());
    });
    expect(reloaded).toMatchObject({ stage: 'mql', eventCount: 3, traits: { email: expect.stringMatching(ANA_EMAIL) } });
    expect(reloaded?.stageHistory.map((t) => t.to)).toEqual(['known', 'mql']);
  });

  it('upgrades an object stored in the first release\'s layout, keeping its dedupe window, timeline and stage history', async () => {
    const first = makeBatch([journey.identify(), journey.download(), journey.webinar()]);
    await collect(first);
    const before = (await profile('demo', first.anonymousId)).body;
    const stub = visitorStub(env as never, 'demo', first.anonymousId);
    // Release 1 stored a row per event id (two indexes) and per timeline entry, with AUTOINCREMENT, and no entries in the state row.
    const RELEASE_1 = [
      // Release 1 wrote flushes with two statements, not through this view.
      'DROP TRIGGER IF EXISTS flush_write_rows',
      'DROP VIEW IF EXISTS flush_write',
      "INSERT INTO timeline (n, oldest, newest, json) SELECT json_array_length(pending), 0, 0, pending FROM state WHERE pending <> '[]'",
      'ALTER TABLE state RENAME TO current_layout',
      'CREATE TABLE state (k INTEGER PRIMARY KEY CHECK (k = 1), json TEXT NOT NULL)',
      'INSERT INTO state (k, json) SELECT k, json FROM current_layout',
      'DROP TABLE current_layout',
      'CREATE TABLE seen (id TEXT PRIMARY KEY, seq INTEGER NOT NULL)',
      "INSERT INTO seen (id, seq) SELECT j.value ->> '$.id', row_number() OVER (ORDER BY c.seq, j.key) FROM timeline c, json_each(c.json) j",
      // An id whose entry had already left the capped timeline.
      "INSERT INTO seen (id, seq) VALUES ('left-the-timeline', 0)",
      'CREATE INDEX seen_by_seq ON seen (seq)',
      'ALTER TABLE timeline RENAME TO current_layout',
      'CREATE TABLE timeline (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, json TEXT NOT NULL)',
      "INSERT INTO timeline (at, json) SELECT j.value ->> '$.at', j.value FROM current_layout c, json_each(c.json) j ORDER BY c.seq, j.key",
      'DROP TABLE current_layout',
      'ALTER TABLE transitions RENAME TO current_layout',
      'CREATE TABLE transitions (seq INTEGER PRIMARY KEY AUTOINCREMENT, json TEXT NOT NULL)',
      'INSERT INTO transitions (seq, json) SELECT seq, json FROM current_layout',
      'DROP TABLE current_layout',
    ];
    const layout = await runInDurableObject(stub, async (instance: VisitorObject, ctx) => {
      const { sql } = ctx.storage;
      ctx.storage.transactionSync(() => {
        for (const statement of RELEASE_1) sql.exec(statement);
      });
      const old = sql.exec<{ n: number }>('SELECT count(*) AS n FROM seen').one().n;
      if (old !== 4) throw new Error(`the release-1 layout should hold 4 ids, holds ${old}`);
      // A new instance over the old layout, as after a deploy; it alone is asked below (the
      // running one still holds the ids in memory, which would hide a lost dedupe window).
      const Fresh = instance.constructor as new (ctx: DurableObjectState, env: unknown) => VisitorObject;
      const upgraded = new Fresh(ctx, env);
      const meta = beaconMeta(first);
      const resend = answerOf(await upgraded.ingest(JSON.stringify(first), 0, meta));
      const older = answerOf(await upgraded.ingest(JSON.stringify(makeBatch([makeEvent({ id: 'left-the-timeline' })], { anonymousId: first.anonymousId })), 0, meta));
      const next = journey.pricing();
      const added = answerOf(await upgraded.ingest(JSON.stringify(makeBatch([next], { anonymousId: first.anonymousId })), 0, meta));
      return {
        ddl: Object.fromEntries(sql.exec<{ name: string; sql: string | null }>('SELECT name, sql FROM sqlite_master').toArray().map((r) => [r.name, r.sql ?? ''])),
        resend,
        older,
        added,
        next: next.id,
        profile: upgraded.profile(makeConfig(), Date.now()),
      };
    });
    const { ddl } = layout;
    expect(ddl.seen).toMatch(/ids TEXT/);
    expect(ddl.timeline).toMatch(/oldest INTEGER/);
    expect(ddl.transitions).not.toMatch(/AUTOINCREMENT/);
    expect(ddl.state).toMatch(/pending TEXT/);
    expect(ddl.seen_by_seq).toBeUndefined();
    expect(ddl.current_layout).toBeUndefined();
    // The dedupe window survived: the resend is recognised; the new event lands after the old ones.
    expect(layout.resend).toMatchObject({ accepted: 0, duplicates: 3 });
    expect(layout.older).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(layout.added).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(layout.profile?.timeline.map((e) => e.id)).toEqual([layout.next, ...before.timeline.map((e: { id: string }) => e.id)]);
    expect(layout.profile?.stageHistory).toEqual(before.stageHistory);
    expect(layout.profile?.timeline.slice(1)).toEqual(before.timeline);
  });

  it("counts each visitor and each stage reached in the site's funnel, once", async () => {
    const site = uid('funnel').toLowerCase();
    await api(`/v1/admin/sites/${site}`, { method: 'PUT', json: { allowedOrigins: ['*'], scoring: { behavior: [{ id: 'x', points: 100 }] } } });
    const a = makeBatch([journey.identify(), journey.demo()], { site });
    await collect(a);
    await collect(a);
    await collect(makeBatch([makeEvent()], { site }));
    const day = new Date().toISOString().slice(0, 10);
    const counts = await eventually(async () => {
      const { totals } = (await api(`/v1/admin/sites/${site}/funnel?from=${day}&to=${day}`)).body;
      expect(totals).toMatchObject({ visitors: 2, known: 1, mql: 1, sql: 1, sal: 0 });
      return totals;
    });
    expect(counts.sql).toBe(1);
  });
});

