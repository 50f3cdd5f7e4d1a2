/**
 * Variants of worker/ for bench/experiments.mjs, bench/cpu.mjs and bench/profile.mjs --variant: worker/ as it
 * is now, or as it was at a commit (`ref`, extracted with git archive), with optional string
 * patches (fixes under trial) applied to the copy, never to worker/ itself. A patch that no
 * longer matches its base fails loudly.
 *
 * Each patch says whether and how it went into worker/ (`applied`); each variant stays against
 * the commit it was measured on, so the figures in BENCHMARKS.md stay reproducible.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The last commit before the beacon-path fixes of issue 6. */
export const RELEASE_1 = '1944f86';

/** Each patch: [file under worker/, text to find, replacement]. */
export const PATCHES = {
  lazy: {
    what: 'read the 20-entry timeline only when a webhook payload is built; skip the empty stage-history and timeline trims',
    applied: 'applied (the recent timeline is read on first use by a webhook payload; empty trims are skipped)',
    edits: [
      ['visitor/change.ts', 'timeline: [...change.timeline].reverse().concat(ctx.recentTimeline(TIMELINE_IN_PAYLOAD)),',
        'timeline: change.transitions.length || change.demoRequests.length || change.verdict ? [...change.timeline].reverse().concat(ctx.recentTimeline(TIMELINE_IN_PAYLOAD)) : [],'],
      ['objects/visitor-store.ts', '  appendTransitions(transitions: Transition[]) {\n', '  appendTransitions(transitions: Transition[]) {\n    if (transitions.length === 0) return;\n'],
      ['objects/visitor-store.ts', '  appendTimeline(entries: TimelineEntry[]) {\n', '  appendTimeline(entries: TimelineEntry[]) {\n    if (entries.length === 0) return;\n'],
    ],
  },
  rows: {
    what: 'dedupe table keyed by rowid (no second index); one INSERT per batch for dedupe ids and for timeline entries; no AUTOINCREMENT (no sqlite_sequence write per row)',
    applied: 'applied in 010b386, then superseded in cebf6bb by one row of ids and one row of timeline entries per beacon',
    edits: [
      ['objects/visitor-store.ts', '`CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, seq INTEGER NOT NULL)`,\n  `CREATE INDEX IF NOT EXISTS seen_by_seq ON seen (seq)`,',
        '`CREATE TABLE IF NOT EXISTS seen (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)`,'],
      ['objects/visitor-store.ts', 'seq INTEGER PRIMARY KEY AUTOINCREMENT', 'seq INTEGER PRIMARY KEY', 'all'],
      ['objects/visitor-store.ts', "    for (const id of ids) this.sql.exec('INSERT INTO seen (id, seq) VALUES (?, ?)', id, ++this.seq);",
        "    if (ids.length === 0) return;\n    this.sql.exec('INSERT INTO seen (id, seq) SELECT value, ? + key FROM json_each(?)', this.seq + 1, JSON.stringify(ids));\n    this.seq += ids.length;"],
      ['objects/visitor-store.ts', "    for (const e of entries) this.sql.exec('INSERT INTO timeline (at, json) VALUES (?, ?)', e.at, JSON.stringify(e));",
        "    this.sql.exec(\"INSERT INTO timeline (at, json) SELECT value ->> '$.at', value FROM json_each(?)\", JSON.stringify(entries));"],
    ],
  },
  noconfig: {
    what: 'the beacon RPC carries the config version instead of the config (measured by letting the object read its own isolate cache; for production: the object keeps the config it last received and asks for it only when the version differs)',
    applied: 'applied (the object keeps the config it last used and asks for it only when a beacon names a newer version)',
    edits: [
      ['routes/collect.ts', '.ingest(batch, site.config, {', '.ingest(batch, null, {'],
      ['objects/visitor-object.ts', '  ingest(batch: Batch, config: SiteConfig, meta: IngestMeta): IngestResult {',
        '  async ingest(batch: Batch, given: SiteConfig | null, meta: IngestMeta): Promise<IngestResult> {\n    const config = given ?? (await loadSiteConfig(this.env, batch.site))!.config;'],
    ],
  },
  body: {
    what: 'read a body with a declared length in one arrayBuffer() and decode it with one shared TextDecoder, instead of a stream reader loop and a new decoder per request',
    applied: 'applied',
    edits: [
      ['http/read-json.ts', '  const text = await readLimited(c.req.raw, maxBytes);', '  const text = Number.isFinite(declared) ? await readDeclared(c.req.raw, maxBytes) : await readLimited(c.req.raw, maxBytes);'],
      ['http/read-json.ts', 'async function readLimited(', `const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

async function readDeclared(req: Request, maxBytes: number): Promise<string> {
  const buf = await req.arrayBuffer();
  if (buf.byteLength > maxBytes) throw tooLarge(maxBytes);
  try {
    return UTF8.decode(buf);
  } catch {
    throw new ApiError(400, 'invalid_encoding', 'the body is not valid UTF-8');
  }
}

async function readLimited(`],
    ],
  },
  notice: {
    what: "a new visitor's first beacon no longer queues a site notice for the 'visitors' funnel count (measured by dropping it; for production: count new visitors in the isolate and flush every few seconds, as bot counts are, or batch them)",
    applied: 'not applied: counted in the isolate, the funnel’s visitor count would become a lower bound; the notice stays, exact, and no longer writes an attempt log or lease rows',
    edits: [['webhooks/plan.ts', "const stages: FunnelStage[] = input.isNewVisitor ? ['visitors'] : [];", 'const stages: FunnelStage[] = [];']],
  },
  lazyOutbox: {
    what: 'outbox and attempts tables created on first use, not in every new object',
    applied: 'partly: the attempt log is created at the first webhook attempt; every new visitor still needs the outbox for its first-visit notice',
    edits: [
      ['objects/outbox-store.ts', '  constructor(private readonly sql: SqlStorage) {\n    sql.exec(', '  private ready = false;\n  constructor(private readonly sql: SqlStorage) {}\n\n  private ensure() {\n    if (this.ready) return;\n    this.ready = true;\n    const sql = this.sql;\n    sql.exec('],
      // Every method touches the tables: call ensure() first (a regex over method heads).
      ['objects/outbox-store.ts', /\n {2}((?!private|constructor)[a-zA-Z]+)\(([^)]*)\)([^{\n]*)\{\n/g, (m) => `${m}    this.ensure();\n`],
    ],
  },
  canParse: {
    what: 'URLs checked with URL.canParse (no URL object built) instead of new URL() in a try',
    applied: 'not applied: no gain beyond noise',
    edits: [['schema/limits.ts', '  try {\n    new URL(value);\n    return true;\n  } catch {\n    return false;\n  }', '  return (URL as unknown as { canParse(u: string): boolean }).canParse(value);']],
  },
  noUrlCheck: {
    what: 'measurement only, not a fix: no URL parse at all, to size what URL checks cost',
    applied: 'measurement only (URL checks cost little)',
    edits: [['schema/limits.ts', '  try {\n    new URL(value);\n    return true;\n  } catch {\n    return false;\n  }', '  return value.length > 0;']],
  },
  jsonRpc: {
    what: 'the batch crosses the Worker -> object RPC as one JSON string instead of a structured clone of its objects',
    applied: 'applied',
    edits: [
      ['routes/collect.ts', '.ingest(batch, site.version, {', '.ingest(JSON.stringify(batch), site.version, {'],
      ['objects/visitor-object.ts', '  async ingest(batch: Batch, configVersion: number, meta: IngestMeta): Promise<IngestResult> {\n', '  async ingest(batchJson: string, configVersion: number, meta: IngestMeta): Promise<IngestResult> {\n    const batch = JSON.parse(batchJson) as Batch;\n'],
    ],
  },
  // Against worker/ as it is, for bench/cpu.mjs (workerd CPU per beacon, paired with the baseline).
  // Stage cuts: each answers the beacon at one point of its path, so the CPU between two cuts is what that stage costs.
  cutRead: {
    what: 'stage cut: the Worker answers right after reading the body',
    applied: 'measurement only',
    edits: [['routes/collect.ts', '  const text = await readBodyText(request, LIMITS.maxBodyBytes);\n', "  const text = await readBodyText(request, LIMITS.maxBodyBytes);\n  if (text) return new Response('{}');\n"]],
  },
  cutChecks: {
    what: 'stage cut: the Worker answers after its checks (route, site, origin, privacy, user agent), without calling the object',
    applied: 'measurement only',
    edits: [['routes/collect.ts', '  let result = await stub.ingest(', "  if (traffic) return new Response('{}');\n  let result = await stub.ingest("]],
  },
  cutDO: {
    what: 'stage cut: the visitor object answers right after parsing and validating the batch',
    applied: 'measurement only',
    edits: [['objects/visitor-object.ts', '    const { batch } = read;\n', "    const { batch } = read;\n    if (batch) return '{}';\n"]],
  },
  cutFold: {
    what: 'stage cut: the object answers after the rate limit, dedupe and fold, storing nothing',
    applied: 'measurement only',
    edits: [['objects/visitor-object.ts', '    this.commit(outcome.state, config, meta, {\n      isNewVisitor', "    if (outcome) return '{}';\n    this.commit(outcome.state, config, meta, {\n      isNewVisitor"]],
  },
  cutCommit: {
    what: 'stage cut: the object answers after the commit, without a decision',
    applied: 'measurement only',
    edits: [['objects/visitor-object.ts', '    return this.answer(outcome.state, config, meta.receivedAt, fresh.length', "    if (outcome) return '{}';\n    return this.answer(outcome.state, config, meta.receivedAt, fresh.length"]],
  },
  same: {
    what: 'no change: a second runtime of the same code, to size the noise between two processes',
    applied: 'measurement only',
    edits: [],
  },
  textRead: {
    what: 'the body read with Request.text() (lossy: invalid UTF-8 becomes U+FFFD) instead of arrayBuffer() and a fatal TextDecoder',
    applied: 'not applied: no gain (batch of 20, 3 runtimes each, windows of 1,200 beacons: 1.615x as it was at 5bae577, 1.606x with it)',
    edits: [['http/read-json.ts', '  const bytes = Number.isFinite(declared) ? new Uint8Array(await req.arrayBuffer()) : await readLimited(req, maxBytes);\n  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);\n  const text = decodeUtf8(bytes);\n', '  const text = await req.text();\n']],
  },
  // Trials (`node bench/cpu.mjs --trials`): what would moving or removing one piece save?
  noStore: {
    what: 'the commit plans and serializes everything but runs no SQL statement (what storing costs)',
    applied: 'measurement only',
    edits: [['objects/visitor-store.ts', "    this.sql.exec(\n      'INSERT INTO state (k, json, pending)", "    if (Math.random() < 2) { JSON.stringify(state); this.pending = flush ? NO_PENDING : next; for (const e of entries) w.ids.add(e.id); return; }\n    this.sql.exec(\n      'INSERT INTO state (k, json, pending)"]],
  },
  tinyRow: {
    what: 'the state row is written with tiny values instead of the state and its pending entries (what its bytes cost)',
    applied: 'measurement only',
    edits: [
      // To a table of the same shape, so the state row stays valid for an object that restarts.
      ['objects/visitor-store.ts', '    this.hasSeenTable = existing.has(\'seen\');\n', "    this.hasSeenTable = existing.has('seen');\n    sql.exec('CREATE TABLE IF NOT EXISTS tiny (k INTEGER PRIMARY KEY CHECK (k = 1), json TEXT NOT NULL, pending TEXT NOT NULL)');\n"],
      ['objects/visitor-store.ts', "      'INSERT INTO state (k, json, pending) VALUES (1, ?, ?) ON CONFLICT (k) DO UPDATE SET json = excluded.json, pending = excluded.pending',\n      JSON.stringify(state),\n      flush ? '[]' : next.json,", "      'INSERT INTO tiny (k, json, pending) VALUES (1, ?, ?) ON CONFLICT (k) DO UPDATE SET json = excluded.json, pending = excluded.pending',\n      (JSON.stringify(state), '{}'),\n      (flush ? '[]' : next.json, '[]'),"],
    ],
  },
  noTimelineRow: {
    what: 'entries leaving the state row are dropped instead of written to a timeline row (what that row costs a batch)',
    applied: 'measurement only',
    edits: [['objects/visitor-store.ts', '    if (flush) this.appendRow(w, next);', '    if (flush && Math.random() > 2) this.appendRow(w, next);']],
  },
  noTrim: {
    what: 'the timeline is never cut back (what the bulk trims cost)',
    applied: 'measurement only',
    edits: [['objects/visitor-store.ts', '    if (w.timelineTotal >= 2 * LIMITS.timelineCap) {', '    if (w.timelineTotal >= 2e9 * LIMITS.timelineCap) {']],
  },
  noTx: {
    what: 'no transactionSync around a commit of several statements (what the transaction costs; not safe)',
    applied: 'measurement only',
    edits: [['objects/visitor-object.ts', '        this.ctx.storage.transactionSync(() => {\n          this.store.save(', '        ((f: () => void) => f())(() => {\n          this.store.save(']],
  },
  noTrimNow: {
    what: 'the timeline and seen are never cut back (what the bulk trims cost now)',
    applied: 'measurement only, on 335d299 (3 runtimes each, batch of 20: 1.60x -> 1.47x and 1.62x -> 1.43x in two runs)',
    edits: [['objects/visitor-store.ts', '    const w = this.load();\n    const total = w.timelineTotal + n;\n', '    if (n > -1) return false;\n    const w = this.load();\n    const total = w.timelineTotal + n;\n']],
  },
  trim4x: {
    what: 'the timeline is cut back at four times its cap instead of two',
    applied: 'applied in 4b7bc4f (measured on 335d299, 3 runtimes each, batch of 20: 1.62x -> 1.44x; the same run put noTrimNow at 1.43x)',
    edits: [
      ['objects/visitor-store.ts', '    if (total >= 2 * LIMITS.timelineCap) return true;', '    if (total >= 4 * LIMITS.timelineCap) return true;'],
      ['objects/visitor-store.ts', '    if (w.timelineTotal >= 2 * LIMITS.timelineCap) {', '    if (w.timelineTotal >= 4 * LIMITS.timelineCap) {'],
    ],
  },
  noTimelineDelete: {
    what: 'a trim drops timeline rows from memory and moves their ids to seen, but deletes no row',
    applied: 'measurement only, on 335d299 (1.45x against 1.62x; per-runtime ranges overlap, so this does not tell the DELETE from the rest of a cut)',
    edits: [['objects/visitor-store.ts', "        this.sql.exec('DELETE FROM timeline WHERE seq <= ?', dropped.at(-1)!.seq);", '']],
  },
  noSeenRow: {
    what: 'a trim deletes timeline rows but writes no seen row',
    applied: 'measurement only, on 335d299 (1.60x, within noise of no change)',
    edits: [['objects/visitor-store.ts', '        this.addSeenRow(w, dropped.flatMap((r) => r.ids));', '']],
  },
  trimEvery: {
    what: 'the timeline is cut back by one row at every flush once it holds its cap plus one batch (to profile a trim)',
    applied: 'measurement only, on 335d299 (1.53x against 1.62x, 2 runtimes, ranges overlap: one small cut per batch did not read as dearer than a big one every fifth)',
    edits: [
      ['objects/visitor-store.ts', '    if (total >= 2 * LIMITS.timelineCap) return true;', '    if (total >= LIMITS.timelineCap + 20) return true;'],
      ['objects/visitor-store.ts', '    if (w.timelineTotal >= 2 * LIMITS.timelineCap) {', '    if (w.timelineTotal >= LIMITS.timelineCap + 20) {'],
    ],
  },
  tinyEntries: {
    what: 'timeline entries are stored as their id and time only (what the bytes of the entries cost to serialize and write; loses the timeline)',
    applied: 'measurement only, on d7a5659 (3 runtimes each, batch of 20: 1.59x -> 1.40x, ranges overlap): the most a more compact encoding could save',
    edits: [['objects/visitor-store.ts', '    const added = JSON.stringify(entries);', '    const added = JSON.stringify(entries.map((e) => ({ id: e.id, at: e.at })));']],
  },
  deflateRows: {
    what: 'a timeline row written at a flush holds its entries deflated (node:zlib, level 1) instead of JSON text (what compressing them would save; rows become unreadable by the SQL that reads ids)',
    applied: 'not applied: no gain (on d7a5659, 3 runtimes each, batch of 20: 1.47x as it is, 1.53x deflated; compressing costs 25-35 µs a batch in workerd, about what the smaller rows save)',
    edits: [
      ['objects/visitor-store.ts', "import { LIMITS } from '../schema/limits';", "import { LIMITS } from '../schema/limits';\nimport { deflateRawSync } from 'node:zlib';"],
      ['objects/visitor-store.ts', 'next.oldest, next.newest, next.json);', 'next.oldest, next.newest, deflateRawSync(next.json, { level: 1 }));'],
      // Deflated rows' ids are not read back (an object that restarts forgets them): fine for a CPU measurement only.
      ['objects/visitor-store.ts', '"SELECT seq, n, (SELECT json_group_array(e.value ->> \'$.id\') FROM json_each(timeline.json) e) AS ids FROM timeline ORDER BY seq",',
        '"SELECT seq, n, CASE WHEN typeof(json) = \'blob\' THEN \'[]\' ELSE (SELECT json_group_array(e.value ->> \'$.id\') FROM json_each(timeline.json) e) END AS ids FROM timeline ORDER BY seq",'],
    ],
  },
  noFlushWrite: {
    what: 'a flush runs no statement (the state row and the timeline row are not written; what that one statement costs a batch)',
    applied: 'measurement only',
    edits: [['objects/visitor-store.ts', "      this.sql.exec('INSERT INTO flush_write (state, seq, n, oldest, newest, entries) VALUES (?, ?, ?, ?, ?, ?)', JSON.stringify(state), seq, next.ids.length, next.oldest, next.newest, next.json);",
      '      void [JSON.stringify(state), seq, next.ids.length, next.oldest, next.newest, next.json];']],
  },
  stateOnlyFlush: {
    what: 'a flush writes the state row only, as a beacon without a flush does (what the timeline row and the trigger add to the statement)',
    applied: 'measurement only',
    edits: [['objects/visitor-store.ts', "      this.sql.exec('INSERT INTO flush_write (state, seq, n, oldest, newest, entries) VALUES (?, ?, ?, ?, ?, ?)', JSON.stringify(state), seq, next.ids.length, next.oldest, next.newest, next.json);",
      "      this.sql.exec('INSERT INTO state (k, json, pending) VALUES (1, ?, ?) ON CONFLICT (k) DO UPDATE SET json = excluded.json, pending = excluded.pending', JSON.stringify(state), '[]');"]],
  },
  bigPending: {
    what: 'the state row holds up to 60 entries or 16,000 characters before they move to a timeline row (fewer timeline rows and transactions for batches)',
    applied: 'not applied: no gain beyond noise; the state row stays small',
    edits: [
      ['objects/visitor-store.ts', 'export const PENDING_FLUSH_ENTRIES = 10;', 'export const PENDING_FLUSH_ENTRIES = 60;'],
      ['objects/visitor-store.ts', 'export const PENDING_FLUSH_CHARS = 2_500;', 'export const PENDING_FLUSH_CHARS = 16_000;'],
    ],
  },
  leanRpc: {
    what: 'the beacon RPC carries two primitives instead of a meta object',
    applied: 'not applied: no gain beyond noise (measured on cf2212b, the commit this patch applies to)',
    edits: [
      ['routes/collect.ts', '.ingest(batchJson, site.version, {\n    receivedAt,\n    adminBaseUrl: originOf(c.req.url),\n  });', '.ingest(batchJson, site.version, receivedAt as never, originOf(c.req.url) as never) as any;'],
      ['objects/visitor-object.ts', '  async ingest(batchJson: string, configVersion: number, meta: IngestMeta): Promise<IngestResult> {\n', '  async ingest(batchJson: string, configVersion: number, receivedAt: IngestMeta, adminBaseUrl?: string): Promise<IngestResult> {\n    const meta = { receivedAt: receivedAt as never as number, adminBaseUrl: adminBaseUrl! };\n'],
    ],
  },
  noHono: {
    what: 'with cutRead: the body is read before hono routes the request (what hono and the middleware cost)',
    applied: 'applied after cf2212b (the commit this patch applies to): POST /v1/collect goes to its handler without the router and middleware',
    edits: [['index.ts', 'export default app satisfies', "export default { async fetch(req: Request, env: any, ctx: any) { if (req.method === 'POST' && req.url.endsWith('/v1/collect')) { const t = await req.text(); JSON.parse(t); return new Response('{}'); } return app.fetch(req, env, ctx); } } as any;\nexport const unused = app satisfies"]],
  },
};

export const VARIANTS = [
  { name: 'release-1', ref: RELEASE_1, patches: [] },
  { name: 'release-1+lazy', ref: RELEASE_1, patches: ['lazy'] },
  { name: 'release-1+lazy+rows', ref: RELEASE_1, patches: ['lazy', 'rows'] },
  { name: 'release-1+lazy+rows+body', ref: RELEASE_1, patches: ['lazy', 'rows', 'body'] },
  { name: 'release-1+lazy+rows+body+noconfig', ref: RELEASE_1, patches: ['lazy', 'rows', 'body', 'noconfig'] },
  { name: 'release-1+all', ref: RELEASE_1, patches: ['lazy', 'rows', 'body', 'noconfig', 'notice', 'lazyOutbox'] },
  // Later trials, each against the commit it was measured on.
  { name: 'cebf6bb+canParse', ref: 'cebf6bb', patches: ['canParse'] },
  { name: 'cebf6bb+noUrlCheck', ref: 'cebf6bb', patches: ['noUrlCheck'] },
  { name: '02b184d', ref: '02b184d', patches: [] },
  { name: '02b184d+jsonRpc', ref: '02b184d', patches: ['jsonRpc'] },
  { name: 'b50f547', ref: 'b50f547', patches: [] },
  { name: 'current', patches: [] },
];

/**
 * A variant from `ref+patch+patch` (ref `current` is worker/ as it is; a `#2` suffix names a second copy of
 * the same code), as bench/cpu.mjs, bench/profile.mjs and bench/ab.mjs take them on the command line.
 */
export function variantOfSpec(spec, name = spec.replace(/[^\w+#-]/g, '_').replace('#', '_copy')) {
  const [ref, ...patches] = spec.split('#')[0].split('+');
  for (const p of patches) if (!PATCHES[p]) throw new Error(`no patch ${p}; one of ${Object.keys(PATCHES).join(', ')}`);
  return { name, ref: ref === 'current' ? undefined : ref, patches };
}

/** A (patched) copy of worker/ with the bench harness beside it; returns the harness entry path. */
export function patchedCopy(root, variant) {
  const dir = join(root, variant.name);
  mkdirSync(dir, { recursive: true });
  if (variant.ref) {
    execFileSync('sh', ['-c', `git archive ${variant.ref} worker | tar -x -C "${dir}"`]);
    // The SDK bundle is generated by the build, not committed: today's serves every variant.
    cpSync('worker/generated', join(dir, 'worker/generated'), { recursive: true });
  } else cpSync('worker', join(dir, 'worker'), { recursive: true });
  cpSync('bench/harness', join(dir, 'bench/harness'), { recursive: true });
  for (const name of variant.patches) {
    for (const [file, find, replace, all] of PATCHES[name].edits) {
      editCopy(dir, join('worker', file), find, replace, { all, what: `experiment ${variant.name}: patch "${name}"`, fix: 'bench/lib/patches.mjs' });
    }
  }
  return join(dir, 'bench/harness/leadedge-entry.ts');
}

/**
 * Replaces `find` (a string, or a RegExp with a replacer) in `file` under the copy `dir`, or
 * fails loudly naming `what` no longer matches and where to `fix` it.
 */
export function editCopy(dir, file, find, replace, { all = false, what, fix }) {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  const hit = typeof find === 'string' ? text.includes(find) : find.test(text);
  if (!hit) throw new Error(`${what} no longer matches ${file}; update ${fix}`);
  writeFileSync(path, typeof find === 'string' && all ? text.replaceAll(find, replace) : text.replace(find, replace));
}
