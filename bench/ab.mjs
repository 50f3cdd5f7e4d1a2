/**
 * Same-process A/B: two copies of the Worker (`--a`, default worker/ as it is, and `--b`, e.g.
 * `current+textRead` with a patch from bench/lib/patches.mjs) bundled into ONE workerd, each with
 * its own Durable Object classes, picked per request by a header. Windows of beacons alternate
 * between the two and each is timed by workerd's CPU. Two runtimes of the same code differ by
 * 10-15% for as long as they live (bench/cpu.mjs), which drowns a change of a few percent; here
 * both copies share one process, one thread and one allocator, so that difference cancels and a
 * change of 10-20 µs a beacon can be read. Not part of `npm run bench`.
 *
 *   node --experimental-websocket bench/ab.mjs --b=current+textRead [--a=current] [--events=20] [--concurrency=16]
 *     [--rounds=16] [--window=300] [--profile] [--modules=12] [--by=a]
 *
 * `--b=current` (no patch) sizes the noise of the method itself.
 *
 * --profile: the two copies' beacons are sent interleaved (A, B, A, B...) under V8's CPU profiler instead of in windows,
 * and each sample is charged to the copy whose code is on its stack (native calls count for their JS caller; samples
 * with neither copy on the stack, such as HTTP parsing and garbage collection, are shared and left out). Both copies
 * meet the same moments of the machine, so this is the finer reading; `--rounds` profiles of `--window` x 10 beacons.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log, LogLevel, Miniflare } from 'miniflare';
import { BEACON_ORIGIN, closedLoop, createClient } from './lib/http.mjs';
import { batch, pageViews } from './lib/events.mjs';
import { patchedCopy, variantOfSpec } from './lib/patches.mjs';
import { freePort, inspector, moduleMap } from './lib/inspector.mjs';
import { ADMIN_TOKEN, bundleLeadEdge, runNsOf, workerdChildren } from './lib/runtime.mjs';
import { createBenchSite } from './lib/site.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]));
const EVENTS = Number(args.events ?? 20);
const CONCURRENCY = Number(args.concurrency ?? 16);
const ROUNDS = Number(args.rounds ?? 16);
const WINDOW = Number(args.window ?? 300);
const VISITORS = 64;
const SITE = 'bench-ab';
const SAMPLE_US = 100;

/** One module exporting both copies: a header picks the copy, and each copy sees only its own bindings. */
const ENTRY = `
import a, { VisitorObject as VisitorA, SiteObject as SiteA } from './a/bench/harness/leadedge-entry';
import b, { VisitorObject as VisitorB, SiteObject as SiteB } from './b/bench/harness/leadedge-entry';
const envs = new WeakMap();
function envOf(env, v) {
  let pair = envs.get(env);
  if (!pair) {
    pair = { a: { ...env, VISITOR: env.VISITOR_A, SITE: env.SITE_A }, b: { ...env, VISITOR: env.VISITOR_B, SITE: env.SITE_B } };
    envs.set(env, pair);
  }
  return pair[v];
}
export class VisitorObjectA extends VisitorA { constructor(ctx, env) { super(ctx, envOf(env, 'a')); } }
export class SiteObjectA extends SiteA { constructor(ctx, env) { super(ctx, envOf(env, 'a')); } }
export class VisitorObjectB extends VisitorB { constructor(ctx, env) { super(ctx, envOf(env, 'b')); } }
export class SiteObjectB extends SiteB { constructor(ctx, env) { super(ctx, envOf(env, 'b')); } }
export default {
  fetch(request, env, ctx) {
    const v = request.headers.get('x-bench-copy') === 'b' ? 'b' : 'a';
    return (v === 'b' ? b : a).fetch(request, envOf(env, v), ctx);
  },
};
`;

// Objects' SQLite files in memory, as bench/lib/runtime.mjs keeps them.
const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'leadedge-ab-'));

const specs = { a: String(args.a ?? 'current'), b: String(args.b ?? 'current') };
patchedCopy(root, variantOfSpec(specs.a, 'a'));
patchedCopy(root, variantOfSpec(specs.b, 'b'));
writeFileSync(join(root, 'ab-entry.js'), ENTRY);
const outfile = await bundleLeadEdge(root, join(root, 'ab-entry.js'));

const inspectorPort = args.profile ? await freePort() : undefined;
const before = new Set(workerdChildren());
const mf = new Miniflare({
  host: '127.0.0.1',
  port: 0,
  ...(inspectorPort ? { inspectorPort } : {}),
  cf: false,
  durableObjectsPersist: join(root, 'do'),
  log: new Log(LogLevel.WARN),
  workers: [
    {
      name: 'leadedge-ab',
      modules: true,
      scriptPath: outfile,
      modulesRoot: root,
      compatibilityDate: '2026-04-20',
      compatibilityFlags: ['nodejs_compat'],
      durableObjects: {
        VISITOR_A: { className: 'VisitorObjectA', useSQLite: true },
        SITE_A: { className: 'SiteObjectA', useSQLite: true },
        VISITOR_B: { className: 'VisitorObjectB', useSQLite: true },
        SITE_B: { className: 'SiteObjectB', useSQLite: true },
      },
      bindings: { ADMIN_TOKEN, LEADEDGE_DEV: '1', BENCH_COUNT: '0' },
    },
  ],
});
const url = (await mf.ready).origin;
const pids = workerdChildren().filter((pid) => !before.has(pid));
const cpuMs = () => pids.reduce((sum, pid) => sum + (runNsOf(pid) ?? 0), 0) / 1e6;

try {
  const base = createClient(url);
  const clientOf = (copy) => ({
    json: (method, path, json, headers) => base.json(method, path, json, { ...headers, 'x-bench-copy': copy }),
    beacon: (body) => base.request('POST', '/v1/collect', body, { origin: BEACON_ORIGIN, 'x-bench-copy': copy }),
  });
  const copies = { a: clientOf('a'), b: clientOf('b') };
  let seq = 0;
  const send = (copy, n) => (i) => copies[copy].beacon(JSON.stringify(batch(SITE, `ab-${i % VISITORS}`, pageViews(`x${++seq}`, n))));
  for (const copy of ['a', 'b']) {
    await createBenchSite(copies[copy], SITE);
    const warm = await closedLoop({ concurrency: CONCURRENCY, count: 4 * VISITORS, maxMs: 60_000, send: send(copy, EVENTS) });
    if (warm.errors) throw new Error(`warm-up of ${copy}: ${warm.firstError}`);
  }
  if (args.profile) await profiled(send);
  else await windows(send);
} finally {
  await mf.dispose();
  rmSync(root, { recursive: true, force: true });
}

/** Windows of one copy's beacons, alternating, each timed by workerd's CPU. */
async function windows(send) {
  const us = { a: [], b: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const copy of r % 2 === 0 ? ['a', 'b'] : ['b', 'a']) {
      await closedLoop({ concurrency: CONCURRENCY, count: VISITORS, maxMs: 10_000, send: send(copy, EVENTS) });
      const c0 = cpuMs();
      const run = await closedLoop({ concurrency: CONCURRENCY, count: WINDOW, maxMs: 30_000, send: send(copy, EVENTS) });
      if (run.errors) throw new Error(`${copy}: ${run.errors} errors, first: ${run.firstError}`);
      us[copy].push(((cpuMs() - c0) / run.completed) * 1000);
    }
  }
  report(us, `workerd CPU per beacon (windows of ${WINDOW})`);
}

/** Interleaved beacons under the profiler; each sample charged to the copy on its stack. */
async function profiled(send) {
  const list = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  const cdp = await inspector(list.find((t) => t.id === 'core:user:leadedge-ab').webSocketDebuggerUrl);
  const copyOfLine = moduleMap(outfile);
  const copyOf = (frame) => {
    if (!frame.url.endsWith(outfile.split('/').pop())) return null;
    const m = /(?:^|\/)(a|b)\/(?:worker|bench)\//.exec(copyOfLine(frame.lineNumber));
    return m ? m[1] : null;
  };
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: SAMPLE_US });
  const per = { a: [], b: [] };
  const byModule = { a: new Map(), b: new Map() };
  let shared = 0;
  let beacons = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const count = WINDOW * 10;
    const sendEither = { a: send('a', EVENTS), b: send('b', EVENTS) };
    await cdp.send('Profiler.start');
    const run = await closedLoop({ concurrency: CONCURRENCY, count, maxMs: 120_000, send: (i) => sendEither[i % 2 === r % 2 ? 'a' : 'b'](i) });
    const { result } = await cdp.send('Profiler.stop');
    if (run.errors) throw new Error(`${run.errors} errors, first: ${run.firstError}`);
    const { nodes, samples, timeDeltas } = result.profile;
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    // The copy a node's samples belong to: its own frame's, else its nearest caller's that has one.
    const copyCache = new Map();
    const copyOfNode = (id) => {
      if (copyCache.has(id)) return copyCache.get(id);
      const node = byId.get(id);
      const own = copyOf(node.callFrame);
      const c = own ?? (parent.has(id) ? copyOfNode(parent.get(id)) : null);
      copyCache.set(id, c);
      return c;
    };
    const ms = { a: 0, b: 0 };
    for (let k = 0; k < samples.length; k++) {
      const node = byId.get(samples[k]);
      // A sample's time is capped at two intervals: a longer gap is the thread off the CPU (preempted), not work.
      const t = Math.min(timeDeltas[k] ?? 0, 2 * SAMPLE_US) / 1000;
      const c = copyOfNode(samples[k]);
      if (c) {
        ms[c] += t;
        const own = copyOf(node.callFrame) ? copyOfLine(node.callFrame.lineNumber).replace(/^.*?\/(?:a|b)\/(?=worker|bench)/, '') : `(native) ${node.callFrame.functionName || '(anonymous)'}`;
        byModule[c].set(own, (byModule[c].get(own) ?? 0) + t);
      } else if (node.callFrame.functionName !== '(idle)') shared += t;
    }
    const half = run.completed / 2;
    per.a.push((ms.a / half) * 1000);
    per.b.push((ms.b / half) * 1000);
    beacons += run.completed;
  }
  cdp.close();
  report(per, 'isolate CPU charged to each copy per beacon');
  console.log(`shared (no copy on the stack, idle excluded): ${((shared / beacons) * 1000).toFixed(1)} µs per beacon`);
  const modules = new Set([...byModule.a.keys(), ...byModule.b.keys()]);
  const rows = [...modules]
    .map((m) => [m, (((byModule.b.get(m) ?? 0) - (byModule.a.get(m) ?? 0)) / (beacons / 2)) * 1000, ((byModule.a.get(m) ?? 0) / (beacons / 2)) * 1000])
    // --by=a lists where A's time goes instead of where the copies differ.
    .sort((x, y) => (args.by === 'a' ? y[2] - x[2] : Math.abs(y[1]) - Math.abs(x[1])))
    .slice(0, Number(args.modules ?? 12));
  console.log(`${args.by === 'a' ? 'largest modules of A' : 'largest differences by module'} (self time, B - A; A):`);
  for (const [m, d, a] of rows) console.log(`  ${d >= 0 ? '+' : ''}${d.toFixed(1).padStart(6)} µs  (A ${a.toFixed(1)} µs)  ${m}`);
}

function report(us, what) {
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const diffs = us.a.map((a, k) => us.b[k] - a);
  const sd = diffs.length > 1 ? Math.sqrt(diffs.reduce((s, d) => s + (d - mean(diffs)) ** 2, 0) / (diffs.length - 1)) : NaN;
  const half = (2.0 * sd) / Math.sqrt(diffs.length);
  const sorted = [...diffs].sort((x, y) => x - y);
  console.log(`A = ${specs.a}, B = ${specs.b}: ${EVENTS} event(s) per beacon, c=${CONCURRENCY}, ${us.a.length} rounds`);
  console.log(`${what}: A ${mean(us.a).toFixed(1)} µs, B ${mean(us.b).toFixed(1)} µs`);
  console.log(`B - A per round: mean ${mean(diffs).toFixed(1)} µs (about ±${half.toFixed(1)} at 2 standard errors), median ${sorted[sorted.length >> 1].toFixed(1)} µs, B/A ${(mean(us.b) / mean(us.a)).toFixed(3)}`);
  console.log(`rounds (B - A, µs): ${diffs.map((d) => d.toFixed(0)).join(' ')}`);
}
