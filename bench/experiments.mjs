/**
 * What I tried against the missed targets, reproducibly: each variant is a copy of worker/ with
 * a few string patches (fixes proposed for worker/, never applied to it here), measured like
 * `npm run bench` measures the real one: single events and batches of 20 at concurrency 1 against
 * the baseline, interleaved, and the cost counters on the same journey mix. Writes
 * bench/experiments.json, which BENCHMARKS.md quotes. Not part of `npm run bench`:
 *
 *   node bench/experiments.mjs [--runs=4] [--only=current,lazy]
 *
 * The patches match today's worker/ text; when it moves, a patch fails loudly and must be updated.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchCost } from './cost.mjs';
import { benchIngest } from './ingest.mjs';
import { createClient } from './lib/http.mjs';
import { loadAverage } from './lib/machine.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { startRuntime } from './lib/runtime.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const RUNS = Number(args.runs ?? 4);

/** Each patch: [file under worker/, text to find, replacement]. */
const PATCHES = {
  lazy: {
    what: 'read the 20-entry timeline only when a webhook payload is built; skip the empty stage-history and timeline trims',
    edits: [
      ['visitor/change.ts', 'timeline: [...change.timeline].reverse().concat(ctx.recentTimeline(TIMELINE_IN_PAYLOAD)),',
        'timeline: change.transitions.length || change.demoRequests.length || change.verdict ? [...change.timeline].reverse().concat(ctx.recentTimeline(TIMELINE_IN_PAYLOAD)) : [],'],
      ['objects/visitor-store.ts', '  appendTransitions(transitions: Transition[]) {\n', '  appendTransitions(transitions: Transition[]) {\n    if (transitions.length === 0) return;\n'],
      ['objects/visitor-store.ts', '  appendTimeline(entries: TimelineEntry[]) {\n', '  appendTimeline(entries: TimelineEntry[]) {\n    if (entries.length === 0) return;\n'],
    ],
  },
  rows: {
    what: 'dedupe table keyed by rowid (no second index), one INSERT per batch; no AUTOINCREMENT (no sqlite_sequence write per row)',
    edits: [
      ['objects/visitor-store.ts', '`CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, seq INTEGER NOT NULL)`,\n  `CREATE INDEX IF NOT EXISTS seen_by_seq ON seen (seq)`,',
        '`CREATE TABLE IF NOT EXISTS seen (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)`,'],
      ['objects/visitor-store.ts', 'seq INTEGER PRIMARY KEY AUTOINCREMENT', 'seq INTEGER PRIMARY KEY', 'all'],
      ['objects/visitor-store.ts', "    for (const id of ids) this.sql.exec('INSERT INTO seen (id, seq) VALUES (?, ?)', id, ++this.seq);",
        "    if (ids.length === 0) return;\n    this.sql.exec('INSERT INTO seen (id, seq) SELECT value, ? + key FROM json_each(?)', this.seq + 1, JSON.stringify(ids));\n    this.seq += ids.length;"],
    ],
  },
  noconfig: {
    what: 'the beacon RPC no longer carries the site config (the object reads its own isolate cache)',
    edits: [
      ['routes/collect.ts', '.ingest(batch, site.config, {', '.ingest(batch, null, {'],
      ['objects/visitor-object.ts', '  ingest(batch: Batch, config: SiteConfig, meta: IngestMeta): IngestResult {',
        '  async ingest(batch: Batch, given: SiteConfig | null, meta: IngestMeta): Promise<IngestResult> {\n    const config = given ?? (await loadSiteConfig(this.env, batch.site))!.config;'],
    ],
  },
  body: {
    what: 'read a body with a declared length in one arrayBuffer() and decode it with one shared TextDecoder, instead of a stream reader loop and a new decoder per request',
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
    what: "a new visitor's first beacon no longer queues a site notice for the 'visitors' funnel count (to be counted in the isolate and flushed, as bot counts are)",
    edits: [['webhooks/plan.ts', "const stages: FunnelStage[] = input.isNewVisitor ? ['visitors'] : [];", 'const stages: FunnelStage[] = [];']],
  },
  lazyOutbox: {
    what: 'outbox and attempts tables created on first use, not in every new object',
    edits: [
      ['objects/outbox-store.ts', '  constructor(private readonly sql: SqlStorage) {\n    sql.exec(', '  private ready = false;\n  constructor(private readonly sql: SqlStorage) {}\n\n  private ensure() {\n    if (this.ready) return;\n    this.ready = true;\n    const sql = this.sql;\n    sql.exec('],
      // Every method touches the tables: call ensure() first (a regex over method heads).
      ['objects/outbox-store.ts', /\n {2}((?!private|constructor)[a-zA-Z]+)\(([^)]*)\)([^{\n]*)\{\n/g, (m) => `${m}    this.ensure();\n`],
    ],
  },
};

export const VARIANTS = [
  { name: 'current', patches: [] },
  { name: 'lazy', patches: ['lazy'] },
  { name: 'lazy+rows', patches: ['lazy', 'rows'] },
  { name: 'lazy+rows+body', patches: ['lazy', 'rows', 'body'] },
  { name: 'lazy+rows+body+noconfig', patches: ['lazy', 'rows', 'body', 'noconfig'] },
  { name: 'all', patches: ['lazy', 'rows', 'body', 'noconfig', 'notice', 'lazyOutbox'] },
];

/** A patched copy of worker/ with the bench harness beside it; returns the harness entry path. */
function patchedCopy(root, variant) {
  const dir = join(root, variant.name);
  cpSync('worker', join(dir, 'worker'), { recursive: true });
  cpSync('bench/harness', join(dir, 'bench/harness'), { recursive: true });
  for (const name of variant.patches) {
    for (const [file, find, replace, all] of PATCHES[name].edits) {
      const path = join(dir, 'worker', file);
      const text = readFileSync(path, 'utf8');
      const hit = typeof find === 'string' ? text.includes(find) : find.test(text);
      if (!hit) throw new Error(`experiment ${variant.name}: patch "${name}" no longer matches worker/${file}; update bench/experiments.mjs`);
      const next = typeof find === 'string' ? (all ? text.replaceAll(find, replace) : text.replace(find, replace)) : text.replace(find, replace);
      writeFileSync(path, next);
    }
  }
  return join(dir, 'bench/harness/leadedge-entry.ts');
}

const log = (line) => console.error(`[experiments] ${line}`);
const only = args.only ? new Set(args.only.split(',')) : null;
const root = mkdtempSync(join(tmpdir(), 'leadedge-experiments-'));
const results = { at: new Date().toISOString(), loadBefore: loadAverage(), runs: RUNS, patches: Object.fromEntries(Object.entries(PATCHES).map(([k, v]) => [k, v.what])), variants: [] };
const cells = [
  { events: 1, concurrency: 1, count: 300 },
  { events: 20, concurrency: 1, count: 150 },
];
const receiver = await startReceiver();
const bl = await (async () => {
  const runtime = await startRuntime({ kind: 'baseline' });
  return { runtime, client: createClient(runtime.url) };
})();
try {
  for (const variant of VARIANTS.filter((v) => !only || only.has(v.name))) {
    const entry = patchedCopy(root, variant);
    const timed = await startRuntime({ kind: 'leadedge', entry });
    const le = { runtime: timed, client: createClient(timed.url) };
    const counted = await startRuntime({ kind: 'leadedge', entry, count: true });
    const ce = { runtime: counted, client: createClient(counted.url) };
    try {
      const ingest = await benchIngest({ le, bl, runs: RUNS, scale: 1, log: () => {}, cells });
      const cost = await benchCost({ le: ce, receiver, visitors: 100, log: () => {} });
      const row = {
        name: variant.name,
        patches: variant.patches,
        ingest: ingest.cells.map((c) => ({ events: c.events, p50: c.le.p50.median, baselineP50: c.bl.p50.median, p50Ratio: c.p50Ratio, cpu: c.le.cpu.median, baselineCpu: c.bl.cpu.median })),
        rowsWrittenPerEvent: cost.perEvent.rowsWritten,
        doRequestsPerEvent: cost.perEvent.doRequests,
        dollarsPerMillion: cost.dollars.total,
        bytesPerVisitor: cost.bytesPerVisitor,
      };
      results.variants.push(row);
      log(`${variant.name}: single p50 ${row.ingest[0].p50Ratio.median.toFixed(2)}x, batch-20 p50 ${row.ingest[1].p50Ratio.median.toFixed(2)}x, ${row.rowsWrittenPerEvent.toFixed(2)} rows/event, ${row.doRequestsPerEvent.toFixed(3)} DO req/event, $${row.dollarsPerMillion.toFixed(2)}/M events, ${row.bytesPerVisitor} B/visitor`);
    } finally {
      le.client.close();
      ce.client.close();
      await timed.close();
      await counted.close();
    }
  }
} finally {
  bl.client.close();
  await bl.runtime.close();
  await receiver.close();
  rmSync(root, { recursive: true, force: true });
}
results.loadAfter = loadAverage();
if (!only) writeFileSync('bench/experiments.json', `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
