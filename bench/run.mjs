/**
 * `npm run bench`: runs every benchmark against the real Worker in workerd (Miniflare) and the
 * baseline in the same run, then writes BENCHMARKS.md (and prints it).
 *
 *   npm run bench                      full run (about 7 minutes on 2 cores)
 *   npm run bench -- --quick           smaller samples, for trying changes (about 2 minutes)
 *   npm run bench -- --only=ingest,cost   some sections (sdk, ingest, handoff, growth, cost, segments, cpu) (quick and partial runs print, BENCHMARKS.md is kept)
 *   npm run bench -- --json=out.json   also write the raw figures
 *
 * Needs `npm install` and the built SDK (`npm run build`, run here if dist/ is missing). Offline.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createClient } from './lib/http.mjs';
import { loadAverage, machine, revision } from './lib/machine.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { startPair, startRuntime } from './lib/runtime.mjs';
import { renderReport } from './lib/report.mjs';
import { benchCost } from './cost.mjs';
import { benchGrowth } from './growth.mjs';
import { benchHandoff } from './handoff.mjs';
import { benchIngest, FULL_RUN } from './ingest.mjs';
import { benchSdkMainThread } from './sdk-main-thread.mjs';
import { benchSdkWeight } from './sdk-weight.mjs';
import { benchSegments } from './segments.mjs';
import { benchCpuStages } from './cpu.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]));
const quick = Boolean(args.quick);
const only = args.only ? new Set(String(args.only).split(',')) : null;
const wants = (name) => !only || only.has(name);

/** Sample sizes: full run, and --quick. */
const SIZE = quick
  ? { ingestRuns: 2, ingestPairs: 1, ingestScale: 0.25, handoff: 40, growthRuns: 1, growthSingles: 20, visitors: 1_000, probes: 60, costVisitors: 100, sdkLoads: 4 }
  : { ingestRuns: FULL_RUN.runs, ingestPairs: FULL_RUN.pairs, ingestScale: FULL_RUN.scale, handoff: 150, growthRuns: 3, growthSingles: 40, visitors: 10_000, probes: 200, costVisitors: 300, sdkLoads: 8 };

const log = (line) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);
const started = Date.now();

if (!existsSync('dist/sdk/leadedge.js') || !existsSync('worker/generated/sdk-bundle.ts')) {
  log('the SDK is not built: running npm run build');
  const built = spawnSync(process.execPath, ['scripts/build-sdk.mjs'], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

// --render=FILE re-renders BENCHMARKS.md from the raw figures a run wrote with --json (after a side tool's figures changed), running nothing.
const rendered = args.render ? JSON.parse(readFileSync(String(args.render), 'utf8')) : null;
const results = rendered ?? { startedAt: new Date().toISOString(), command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`, quick, size: SIZE, revision: revision(), machine: machine(), loadBefore: loadAverage() };
if (!rendered) await runSections();

async function runSections() {
  log(`machine ${results.machine.cpu}; load average ${results.loadBefore}`);

  const open = [];
  const target = async (kind, opts = {}) => {
    const runtime = await startRuntime({ kind, ...opts });
    const client = createClient(runtime.url);
    open.push(async () => {
      client.close();
      await runtime.close();
    });
    return { runtime, client };
  };

  try {
    if (wants('sdk')) results.sdkWeight = await benchSdkWeight({ log });
    const le = await target('leadedge');
    const bl = await target('baseline');
    const receiver = await startReceiver();
    open.push(() => receiver.close());

    if (wants('ingest')) {
      const pair = () => startPair();
      results.ingest = await benchIngest({ pair, pairs: SIZE.ingestPairs, runs: SIZE.ingestRuns, scale: SIZE.ingestScale, log });
    }
    if (wants('handoff')) results.handoff = await benchHandoff({ le, bl, receiver, samples: SIZE.handoff, log });
    if (wants('sdk')) results.sdkMainThread = await benchSdkMainThread({ le, loads: SIZE.sdkLoads, log });
    results.staleSocketRetries = le.client.stats.retriedStaleSockets + bl.client.stats.retriedStaleSockets;
    if (wants('growth')) {
      // Its own pair, so the 10,000 visitors it leaves behind touch no other section.
      const gle = await target('leadedge');
      const gbl = await target('baseline');
      results.growth = await benchGrowth({ le: gle, bl: gbl, runs: SIZE.growthRuns, singles: SIZE.growthSingles, visitors: SIZE.visitors, probes: SIZE.probes, log });
      results.staleSocketRetries += gle.client.stats.retriedStaleSockets + gbl.client.stats.retriedStaleSockets;
    }
    if (wants('cost')) {
      // A separate, instrumented runtime: counting must not touch the timed runs above.
      const counted = await target('leadedge', { count: true });
      results.cost = await benchCost({ le: counted, receiver, visitors: SIZE.costVisitors, log });
    }
    if (wants('segments')) results.segments = await benchSegments({ count: quick ? 400 : 1500, log });
    if (wants('cpu')) results.cpu = await benchCpuStages({ rounds: quick ? 4 : 6, log });
    results.storage = { kind: le.runtime.storage, dir: le.runtime.storageDir };
  } finally {
    for (const close of open.reverse()) await close().catch(() => undefined);
  }

  results.loadAfter = loadAverage();
  results.seconds = (Date.now() - started) / 1000;
}
const experiments = existsSync('bench/experiments.json') ? JSON.parse(readFileSync('bench/experiments.json', 'utf8')) : null;
const cpuTrials = existsSync('bench/cpu-trials.json') ? JSON.parse(readFileSync('bench/cpu-trials.json', 'utf8')) : null;
const ingestSame = existsSync('bench/ingest-same.json') ? JSON.parse(readFileSync('bench/ingest-same.json', 'utf8')) : null;
const native = existsSync('bench/native-profile.json') ? JSON.parse(readFileSync('bench/native-profile.json', 'utf8')) : null;
const pooled = existsSync('bench/ingest-pooled.json') ? JSON.parse(readFileSync('bench/ingest-pooled.json', 'utf8')) : null;
const report = renderReport(results, experiments, cpuTrials, ingestSame, native, pooled);
const official = rendered ? !rendered.quick && !/--only/.test(rendered.command) : !only && !quick;
if (official) writeFileSync('BENCHMARKS.md', mergeInto(existsSync('BENCHMARKS.md') ? readFileSync('BENCHMARKS.md', 'utf8') : '', report));
if (args.json) writeFileSync(String(args.json), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(report);
/**
 * BENCHMARKS.md is shared: other sections live between their own <!-- name:start/end --> markers.
 * Ours replaces only the text between <!-- bench:start --> and <!-- bench:end --> (put first when
 * absent); everything else in the file is kept as it was.
 */
function mergeInto(existing, ours) {
  const block = `<!-- bench:start -->\n${ours.trimEnd()}\n<!-- bench:end -->`;
  const mine = /<!-- bench:start -->[\s\S]*?<!-- bench:end -->/;
  if (mine.test(existing)) return existing.replace(mine, () => block);
  return `${block}\n\n${existing.trimStart()}`.trimEnd() + '\n';
}

const wrote = official ? '; wrote BENCHMARKS.md' : ' (quick or partial run: BENCHMARKS.md not written)';
log(rendered ? `rendered ${args.render}${wrote}` : `done in ${results.seconds.toFixed(0)} s${wrote}`);
