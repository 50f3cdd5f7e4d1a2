/**
 * Where a beacon's CPU goes inside workerd, natively: Linux `perf` samples the whole workerd
 * process (V8's JIT code and builtins, the garbage collector, SQLite and its WAL writes, the RPC
 * and HTTP layers, the kernel) while LeadEdge, then the baseline, answer the same closed loop of
 * beacons. Each sample is charged to the first frame, from the leaf up, that names a part of the
 * runtime (allocator and memcpy frames are skipped, so their time goes to whoever called them).
 * The V8 profiles of bench/profile.mjs see only JavaScript and the native calls it makes; this
 * sees what runs outside them too: the commit at the end of a turn, the event loop, the kernel.
 *
 * Needs `perf` (Debian: `apt-get install -y linux-perf`) and the right to profile workerd (root,
 * or kernel.perf_event_paranoid <= 1). Not part of `npm run bench`; writes bench/native-profile.json,
 * which BENCHMARKS.md quotes beside the CPU stages.
 *
 * Two runtimes of the same code can differ by 10-15% for as long as they live (see bench/cpu.mjs), and
 * a slow one reads slower in every part, so the samples are summed over `--pairs` fresh pairs.
 *
 *   node bench/native.mjs [--events=20] [--count=3000] [--concurrency=16] [--pairs=3] [--rounds=2] [--hz=2000]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { closedLoop } from './lib/http.mjs';
import { batch, pageViews } from './lib/events.mjs';
import { loadAverage } from './lib/machine.mjs';
import { startPair } from './lib/runtime.mjs';
import { createBenchSite } from './lib/site.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]));
const EVENTS = Number(args.events ?? 20);
const COUNT = Number(args.count ?? 3000);
const CONCURRENCY = Number(args.concurrency ?? 16);
const PAIRS = Number(args.pairs ?? 3);
const ROUNDS = Number(args.rounds ?? 2);
const HZ = Number(args.hz ?? 2000);
const SITE = 'bench-native';
const VISITORS = 256;

/** Frames that do work on behalf of their caller: their samples go to the first frame above them that is not one. */
const HELPER = /tcmalloc|TCMalloc|__mem(move|cpy|set|cmp)|operator new|operator delete|HeapArrayDisposer|kj::heapString|kj::str<|kj::_::concat|strlen/;

/** Parts of the runtime, most specific first; a frame is charged to the first that matches it. */
export const PARTS = [
  { name: 'garbage collection', rx: /v8::internal::(Heap::|Scavenger|MarkCompact|MinorMark|Sweeper|GCTracer|ConcurrentMarking|IncrementalMarking|MarkingVisitor)|cppgc|jsg::HeapTracer/ },
  { name: 'JIT compilation and deoptimization', rx: /v8::internal::(compiler::|maglev::|Maglev|Deoptimizer|baseline::)|turboshaft/ },
  { name: 'SQLite: statements, commit, WAL', rx: /sqlite3|^wal|pager|btree|ActorSqlite|SqliteDatabase|SqlStorage/i },
  { name: 'JSON.parse', rx: /JsonParser/ },
  { name: 'JSON.stringify', rx: /JsonStringif/ },
  { name: 'RPC: structured clone and Cap\'n Proto', rx: /ValueSerializer|ValueDeserializer|jsg::Serializer|jsg::Deserializer|JsRpc|capnp::|rpc::/ },
  { name: 'JavaScript (JIT code, builtins, inline caches)', rx: /^\[unknown\]|^Builtins_|LoadIC|StoreIC|KeyedLoad|KeyedStore|Interpreter/ },
  { name: 'V8 runtime (objects, strings, handles)', rx: /v8::/ },
  { name: 'Request, Response, Headers, bodies', rx: /workerd::api::(Headers|Request|Response|Body)|workerd::toLower/ },
  { name: 'other Workers APIs and bindings', rx: /workerd::api::|workerd::jsg::/ },
  { name: 'event loop, I/O context, HTTP server', rx: /^workerd::|^kj::|non-virtual thunk to (kj|workerd)::/ },
];
const KERNEL_SQLITE = 'kernel: SQLite file writes';
const KERNEL_OTHER = 'kernel: sockets, scheduling, other';
const OTHER = 'other';

/** The part a sample (frames from the leaf up, [ip, symbol]) is charged to. */
export function partOf(frames) {
  const user = frames.filter(([ip]) => !ip.startsWith('ffffffff'));
  if (frames.length > 0 && frames[0][0].startsWith('ffffffff')) {
    return user.some(([, s]) => /sqlite|wal|Vfs|ActorSqlite/i.test(s)) ? KERNEL_SQLITE : KERNEL_OTHER;
  }
  for (const [, symbol] of user) {
    if (HELPER.test(symbol)) continue;
    const part = PARTS.find((p) => p.rx.test(symbol));
    return part ? part.name : OTHER;
  }
  return OTHER;
}

/** Samples per part in a perf.data file, read from `perf script` (one block per sample: a header line, then frames). */
async function samplesByPart(file) {
  const script = spawn('perf', ['script', '-i', file, '-F', 'tid,ip,sym'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const counts = new Map();
  let frames = null;
  let total = 0;
  const flush = () => {
    if (frames === null) return;
    const part = partOf(frames);
    counts.set(part, (counts.get(part) ?? 0) + 1);
    total++;
    frames = null;
  };
  for await (const line of createInterface({ input: script.stdout })) {
    const text = line.trim();
    if (text === '') flush();
    else if (frames === null) frames = [];
    else {
      const space = text.indexOf(' ');
      frames.push(space === -1 ? [text, '[unknown]'] : [text.slice(0, space), text.slice(space + 1)]);
    }
  }
  flush();
  return { counts, total };
}

function requirePerf() {
  const probe = spawnSync('perf', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    console.error('bench/native.mjs needs Linux perf: apt-get install -y linux-perf (and root, or kernel.perf_event_paranoid <= 1)');
    process.exit(2);
  }
  return probe.stdout.trim();
}

const perfVersion = requirePerf();
const dir = mkdtempSync(join(tmpdir(), 'leadedge-native-'));
const loadBefore = loadAverage();
const startedAt = new Date().toISOString();
const sides = { le: { counts: new Map(), samples: 0, beacons: 0 }, bl: { counts: new Map(), samples: 0, beacons: 0 } };
try {
  for (let p = 0; p < PAIRS; p++) await profilePair(p);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function profilePair(p) {
  const { le, bl, close } = await startPair();
  try {
    await createBenchSite(le.client, SITE);
    let seq = 0;
    const send = (target, events) => (i) => target.client.beacon(JSON.stringify(batch(SITE, `nat-${i % VISITORS}`, pageViews(`n${++seq}`, events))));
    // Steady state: every visitor object exists and the beacon path is compiled (V8 keeps optimizing it for a few thousand beacons).
    for (const target of [le, bl]) {
      await closedLoop({ concurrency: 16, count: VISITORS, maxMs: 60_000, send: send(target, 1) });
      await closedLoop({ concurrency: CONCURRENCY, count: 2 * COUNT, maxMs: 120_000, send: send(target, EVENTS) });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const which of (p + round) % 2 === 0 ? ['le', 'bl'] : ['bl', 'le']) {
        const target = which === 'le' ? le : bl;
        const file = join(dir, `${which}-${p}-${round}.data`);
        const perf = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', String(HZ), '-g', '-o', file, '-p', target.runtime.pids.join(',')], { stdio: 'ignore' });
        // perf needs a moment to attach to every thread.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const r = await closedLoop({ concurrency: CONCURRENCY, count: COUNT, maxMs: 120_000, send: send(target, EVENTS) });
        perf.kill('SIGINT');
        await new Promise((resolve) => perf.on('exit', resolve));
        if (r.errors) throw new Error(`${which}: ${r.errors} errors, first: ${r.firstError}`);
        const { counts, total } = await samplesByPart(file);
        rmSync(file, { force: true });
        const side = sides[which];
        for (const [part, n] of counts) side.counts.set(part, (side.counts.get(part) ?? 0) + n);
        side.samples += total;
        side.beacons += r.completed;
        console.error(`pair ${p + 1}/${PAIRS}, round ${round + 1}/${ROUNDS}, ${which}: ${r.completed} beacons, ${((total / HZ / r.completed) * 1e6).toFixed(0)} µs each`);
      }
    }
  } finally {
    await close();
  }
}

// A sample stands for 1/HZ seconds of CPU; the 300 ms before the loop and perf's own stop add a little to both sides.
const usPerBeacon = (side, n) => (n / HZ / side.beacons) * 1e6;
const names = [...PARTS.map((p) => p.name), KERNEL_SQLITE, KERNEL_OTHER, OTHER];
const parts = names.map((name) => ({ name, le: usPerBeacon(sides.le, sides.le.counts.get(name) ?? 0), bl: usPerBeacon(sides.bl, sides.bl.counts.get(name) ?? 0) }));
const totals = { le: usPerBeacon(sides.le, sides.le.samples), bl: usPerBeacon(sides.bl, sides.bl.samples) };
console.log(`workerd CPU per beacon of ${EVENTS} event(s) at c=${CONCURRENCY}, by part of the runtime (µs): LeadEdge / baseline / difference`);
for (const p of [...parts].sort((a, b) => b.le - b.bl - (a.le - a.bl))) {
  console.log(`  ${p.name.padEnd(48)} ${p.le.toFixed(0).padStart(6)} ${p.bl.toFixed(0).padStart(6)} ${(p.le - p.bl >= 0 ? '+' : '') + (p.le - p.bl).toFixed(0)}`);
}
console.log(`  ${'total'.padEnd(48)} ${totals.le.toFixed(0).padStart(6)} ${totals.bl.toFixed(0).padStart(6)} ${(totals.le - totals.bl >= 0 ? '+' : '') + (totals.le - totals.bl).toFixed(0)}`);
const out = {
  startedAt,
  command: `node bench/native.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  perf: perfVersion,
  loadBefore,
  loadAfter: loadAverage(),
  events: EVENTS,
  concurrency: CONCURRENCY,
  pairs: PAIRS,
  rounds: ROUNDS,
  beacons: { le: sides.le.beacons, bl: sides.bl.beacons },
  hz: HZ,
  parts,
  totals,
};
writeFileSync('bench/native-profile.json', `${JSON.stringify(out, null, 2)}\n`);
console.error('wrote bench/native-profile.json');
