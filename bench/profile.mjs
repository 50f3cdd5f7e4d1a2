/**
 * Where the Worker's CPU time goes on the beacon path: a V8 CPU profile of the LeadEdge isolate
 * (the Worker and its Durable Objects share it in workerd) while single-event and 20-event
 * beacons are sent, summed by source module (esbuild marks each module in the bundle) and by
 * function. Not part of `npm run bench`; run it when a target is missed:
 *
 *   node --experimental-websocket bench/profile.mjs [--events=1] [--count=2000] [--concurrency=1] [--variant=all] [--baseline] [--lines=40]
 *
 * --lines adds self time by source line; --baseline profiles the baseline Worker (bench/baseline) instead;
 * --out=FILE writes the raw .cpuprofile.
 *
 * --variant profiles a patched copy of worker/ (bench/lib/patches.mjs) instead of worker/: a variant's
 * name, or `ref+patch` as bench/cpu.mjs takes them (e.g. `current+textRead`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedLoop, createClient } from './lib/http.mjs';
import { freePort, inspector, moduleMap } from './lib/inspector.mjs';
import { batch, pageViews } from './lib/events.mjs';
import { VARIANTS, patchedCopy, variantOfSpec } from './lib/patches.mjs';
import { startRuntime } from './lib/runtime.mjs';
import { createBenchSite } from './lib/site.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]));
const EVENTS = Number(args.events ?? 1);
const COUNT = Number(args.count ?? 2000);
const CONCURRENCY = Number(args.concurrency ?? 1);
const SAMPLE_US = 100;

// A named variant (bench/lib/patches.mjs VARIANTS), or `ref+patch` as bench/cpu.mjs takes them.
const variant = args.variant ? (VARIANTS.find((v) => v.name === args.variant) ?? variantOfSpec(String(args.variant))) : null;
const copies = variant ? mkdtempSync(join(tmpdir(), 'leadedge-profile-')) : null;
const entry = variant ? patchedCopy(copies, variant) : undefined;
// --baseline profiles the baseline Worker instead, to compare the same beacons' costs side by side.
const kind = args.baseline ? 'baseline' : 'leadedge';
const runtime = await startRuntime({ kind, inspectorPort: await freePort(), entry });
const client = createClient(runtime.url);
try {
  const SITE = 'bench-profile';
  if (kind === 'leadedge') await createBenchSite(client, SITE);
  let seq = 0;
  const send = (i) => client.beacon(batch(SITE, `prof-${i % 64}`, pageViews(`p${++seq}`, EVENTS)));
  await closedLoop({ concurrency: 8, count: 400, maxMs: 60_000, send }); // warm: objects exist, code is optimized
  const list = await (await fetch(`http://127.0.0.1:${runtime.inspectorPort}/json/list`)).json();
  const target = list.find((t) => t.id === `core:user:${kind}`);
  const cdp = await inspector(target.webSocketDebuggerUrl);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: SAMPLE_US });
  await cdp.send('Profiler.start');
  const run = await closedLoop({ concurrency: CONCURRENCY, count: COUNT, maxMs: 120_000, send });
  const { result } = await cdp.send('Profiler.stop');
  cdp.close();
  const profile = result.profile;
  // --out keeps the raw profile (open it in Chrome DevTools, or sum inclusive times from it).
  if (args.out) writeFileSync(args.out, JSON.stringify(profile));

  // Self time per node from the samples, each capped at two intervals: a longer gap is the thread off the CPU
  // (preempted by the load generator on a small machine), which would otherwise be charged to whatever ran then.
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const t = Math.min(profile.timeDeltas[i] ?? 0, 2 * SAMPLE_US) / 1000;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + t);
  }
  const script = runtime.bundlePath ?? 'bench/baseline/worker.mjs';
  const ours = (url) => url.endsWith(script.split('/').pop());
  const moduleOf = runtime.bundlePath ? moduleMap(runtime.bundlePath) : () => 'bench/baseline/worker.mjs';
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
  const byModule = new Map();
  const byFunction = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const t = self.get(node.id) ?? 0;
    const f = node.callFrame;
    if (f.functionName === '(idle)') continue;
    total += t;
    const mod = ours(f.url) ? moduleOf(f.lineNumber) : f.url || `(native) ${f.functionName || '(anonymous)'}`;
    byModule.set(mod, (byModule.get(mod) ?? 0) + t);
    const caller = parentOf.get(node.id)?.callFrame;
    // A native function (sql.exec, headers.get...) is named with its JS caller, so each call site counts apart.
    const where = ours(f.url) ? `${moduleOf(f.lineNumber)}:${f.lineNumber + 1}` : caller && ours(caller.url) ? `from ${caller.functionName || '(anonymous)'}` : f.url;
    const fn = `${f.functionName || '(anonymous)'} ${where}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + t);
  }
  const top = (m, n) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${(v / run.completed).toFixed(3).padStart(7)} ms/req ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  console.log(`${run.completed} beacons of ${EVENTS} event(s) at concurrency ${CONCURRENCY}: isolate CPU (non-idle) ${(total / run.completed).toFixed(3)} ms per beacon\n`);
  console.log(`By module (self time):\n${top(byModule, 25)}\n`);
  console.log(`By function (self time):\n${top(byFunction, 30)}`);
  if (args.lines) {
    // Where inside the hottest functions the samples land (inlined callees count as their caller's lines).
    const bundle = readFileSync(script, 'utf8').split('\n');
    const byLine = new Map();
    for (const node of profile.nodes) {
      if (!ours(node.callFrame.url) || !node.positionTicks) continue;
      const hits = node.positionTicks.reduce((s, p) => s + p.ticks, 0);
      const t = self.get(node.id) ?? 0;
      for (const p of node.positionTicks) byLine.set(p.line, (byLine.get(p.line) ?? 0) + (t * p.ticks) / hits);
    }
    const lines = [...byLine.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(args.lines) || 40);
    console.log('\nBy line (self time):');
    for (const [line, t] of lines) console.log(`${(t / run.completed).toFixed(4).padStart(8)} ms/req  ${moduleOf(line - 1)}:${line}  ${bundle[line - 1].trim().slice(0, 110)}`);
  }
} finally {
  client.close();
  await runtime.close();
  if (copies) rmSync(copies, { recursive: true, force: true });
}
