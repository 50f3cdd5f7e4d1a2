/**
 * A copy of worker/ with performance.now() marks on the beacon path, for bench/segments.mjs.
 * Each mark adds the time since the previous mark to its segment (the Worker and its objects
 * share one isolate in workerd, so one clock and one set of sums serve both). The marks are
 * inserted as text after the line they name; when worker/ moves, a mark fails loudly.
 */
import { join } from 'node:path';
import { editCopy, patchedCopy } from './patches.mjs';

/** [segment, what it covers, file, the code the mark goes before]: in the order a beacon meets them. */
const MARKS = [
  ['read', 'read the body', 'routes/collect.ts', '  // A body the SDK wrote is routed on its first bytes'],
  ['route', "site and visitor off the body's first bytes (a body the SDK did not write is parsed and validated here too)", 'routes/collect.ts', '  const site = await requireSite('],
  ['route checks', 'site config (isolate cache), origin, privacy headers, user agent', 'routes/collect.ts', '  let result = await stub.ingest('],
  ['RPC in', 'deliver the call and the body text to the visitor object', 'objects/visitor-object.ts', '    const read = readRoutedBatch(body, meta);'],
  ['parse and validate', "the batch's one JSON.parse, and the fast parser (or BatchSchema)", 'objects/visitor-object.ts', "    if ('error' in read) return read;"],
  ['config, budget', 'check the config version and the automation flag, take from the token bucket (and, for a new visitor or a demo request, the per-address limits)', 'objects/visitor-object.ts', '    const unseen = this.store.unseen('],
  ['dedupe', 'look event ids up in the dedupe window', 'objects/visitor-object.ts', '    const outcome = applyBatch('],
  ['fold', 'fold events into the aggregates, stages', 'objects/visitor-object.ts', '    this.commit(outcome.state, config, meta, {\n      isNewVisitor'],
  ['plan', 'plan outbox rows (none on most beacons)', 'objects/visitor-object.ts', '    // Most beacons are one statement'],
  ['commit', 'the SQLite write: the state row with the newest timeline entries, and at a flush a timeline row with it through a trigger; a transaction when trims, transitions or outbox rows come along', 'objects/visitor-object.ts', '    this.state = planned.state;'],
  ['decide, RPC out', 'the CTA decision, and the answer back to the Worker once the output gate lets it go', 'routes/collect.ts', '  // The object sends the answer serialized'],
];
export const SEGMENTS = MARKS.map(([name, what]) => [name, what]);

const SUMS = '(globalThis.__segments ??= { n: 0, sums: {}, last: 0 })';
const mark = (name) => `{ const s = ${SUMS}; const now = performance.now(); s.sums[${JSON.stringify(name)}] = (s.sums[${JSON.stringify(name)}] ?? 0) + now - s.last; s.last = now; }\n`;

/** Copies worker/ and the harness under `root`, inserts the marks and the probe; returns the entry path. */
export function markedCopy(root) {
  const entry = patchedCopy(root, { name: 'marked', patches: [] });
  const dir = join(root, 'marked');
  const insertBefore = (file, before, code, what) => editCopy(dir, file, before, code + before, { what, fix: 'bench/lib/segment-marks.mjs' });
  // The clock starts when the route starts (the first mark below measures from here).
  const routeStart = 'async function collect(request: Request, env: Env, ctx: ExecutionContext, origin: string | undefined, url: string, serverKey: string | null): Promise<Response> {\n';
  editCopy(dir, 'worker/routes/collect.ts', routeStart, `${routeStart}  ${SUMS}.last = performance.now();\n  ${SUMS}.n++;\n`, { what: 'the route start', fix: 'bench/lib/segment-marks.mjs' });
  for (const [name, , file, before] of MARKS) insertBefore(`worker/${file}`, before, mark(name), `mark "${name}"`);
  insertBefore(
    'bench/harness/leadedge-entry.ts',
    "  if (url.pathname === '/__bench/counts') {",
    `  if (url.pathname === '/__bench/segments') {
    const s = ${SUMS};
    if (url.searchParams.has('reset')) {
      s.n = 0;
      s.sums = {};
    }
    return Response.json({ n: s.n, sums: s.sums });
  }
`,
    'the probe',
  );
  return entry;
}
