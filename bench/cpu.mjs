/**
 * workerd CPU per beacon, where the ingest cells at concurrency 16 and 64 are bound (both sides
 * share two cores with the load generator, so their latency ratio follows this one). Each variant
 * of worker/ and the baseline run side by side; every round, each variant is timed right next to a
 * baseline window of its own, and its figure is its mean CPU over rounds divided by that
 * baseline's, so the host's drift hits both. CPU is the scheduler's run time of workerd's threads
 * (ns steps). On this machine one pair moves by ±10%; 20-30 rounds resolve a few percent.
 *
 *   node bench/cpu.mjs                 where the CPU goes, by stage (a section of `npm run bench`)
 *   node bench/cpu.mjs --trials        this session's commits, and the trials in bench/lib/patches.mjs against
 *                                      the commit they are written for (TRIALS_BASE), in one run; writes bench/cpu-trials.json (BENCHMARKS.md
 *                                      quotes it; about 10 minutes)
 *   node bench/cpu.mjs --variants=current,HEAD~1,current+noStore [--rounds=30] [--events=1,20] [--scale=3 (longer windows)]
 *
 * A variant is `current` (worker/ as it is) or a git ref, with `+patch` names from
 * bench/lib/patches.mjs applied to the copy. `#2`, `#3`... run more copies of a variant, each in its
 * own runtime: two runtimes of the same code differ by up to 15% here (a per-process offset that
 * more rounds do not remove), so compare variants by the mean over several copies.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedLoop, createClient } from './lib/http.mjs';
import { batch, pageViews } from './lib/events.mjs';
import { loadAverage, revision } from './lib/machine.mjs';
import { PATCHES, patchedCopy, variantOfSpec } from './lib/patches.mjs';
import { startRuntime } from './lib/runtime.mjs';
import { createBenchSite } from './lib/site.mjs';
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

const SITE = 'bench-cpu';
const VISITORS = 256;
const CONCURRENCY = 16;
/** Beacons per window: about 0.3 s of work each, so paired windows are close in time. */
const PER_ROUND = { 1: 800, 20: 400 };

/** The path a beacon takes, cut after each stage (stage cuts in bench/lib/patches.mjs); `null`: the whole path. */
export const STAGES = [
  ['read', 'cutRead', 'HTTP in and out, reading the body (the baseline also parses it)'],
  ['check', 'cutChecks', "the route from the body's first bytes, site config from the isolate cache, origin, privacy headers, user agent"],
  ['RPC, parse and validate', 'cutDO', 'the call into the visitor object and back, its JSON.parse of the batch and the fast batch parser'],
  ['fold', 'cutFold', 'rate limit, dedupe, folding the events into the aggregates and stages'],
  ['commit', 'cutCommit', 'planning rows, serializing, the SQLite statements and the write of the turn'],
  ['decide and answer', null, 'the CTA decision and the serialized answer'],
];

/** This issue's steps in this session, measured again side by side by --trials. */
export const STEPS = [
  ['cf2212b', 'the start of this session (the Worker parses and validates the batch, the object parses it again)'],
  ['423fd3d', 'parsed once, by the object (the Worker routes on the body\'s first bytes); the beacon route without hono'],
  ['238c35c', 'plain http(s) URLs checked by a regular expression instead of new URL(); the answer crosses the RPC as a bare string'],
  ['current', 'as it is (a flush writes its timeline row and the state row in one statement, through a trigger)'],
];

/** The commit the trial patches are written against: each trial and its reference run on a copy of it. */
export const TRIALS_BASE = 'cf2212b';

/** Trials for --trials, each read against a reference variant. */
export const TRIALS = [
  ['noStore', 'current'],
  ['tinyRow', 'current'],
  ['noTimelineRow', 'current'],
  ['noTrim', 'current'],
  ['noTx', 'current'],
  ['bigPending', 'current'],
];

/**
 * @param {{ variants: string[], events?: number[], rounds?: number, scale?: number, log?: (s: string) => void }} opts
 * @returns {Promise<{ rounds: number, cells: { events: number, baselineMs: number, variants: { spec: string, ms: number, ratio: number, ratios: number[] }[] }[] }>}
 */
export async function pairedCpu({ variants, events = [1, 20], rounds = 20, scale = 1, log = () => {} }) {
  const root = mkdtempSync(join(tmpdir(), 'leadedge-cpu-'));
  const targets = [];
  try {
    const base = await startRuntime({ kind: 'baseline' });
    targets.push({ spec: 'baseline', runtime: base, client: createClient(base.url) });
    for (const spec of variants) {
      const entry = patchedCopy(root, variantOfSpec(spec));
      const runtime = await startRuntime({ kind: 'leadedge', entry });
      const client = createClient(runtime.url);
      await createBenchSite(client, SITE);
      targets.push({ spec, runtime, client });
    }
    let seq = 0;
    const send = (t, n) => (i) => t.client.beacon(JSON.stringify(batch(SITE, `cpu-${i % VISITORS}`, pageViews(`c${++seq}`, n))));
    // Every visitor object exists and the code is optimized before anything is timed.
    for (const t of targets) {
      const warm = await closedLoop({ concurrency: CONCURRENCY, count: 3 * VISITORS, maxMs: 60_000, send: send(t, 1) });
      if (warm.errors) throw new Error(`cpu warm-up on ${t.spec}: ${warm.firstError}`);
    }
    const measure = async (t, n) => {
      // Untimed, one beacon per visitor: a variant idle while the others ran may have had its
      // objects evicted, and a window must not pay their cold starts (the baseline's never idle).
      await closedLoop({ concurrency: CONCURRENCY, count: VISITORS, maxMs: 10_000, send: send(t, n) });
      const clock = () => t.runtime.cpuPreciseMs() ?? t.runtime.cpuMs();
      const before = clock();
      const r = await closedLoop({ concurrency: CONCURRENCY, count: Math.round((PER_ROUND[n] ?? 400) * scale), maxMs: 60_000, send: send(t, n) });
      if (r.errors) throw new Error(`cpu ${t.spec}, ${n} event(s): ${r.errors} errors, first: ${r.firstError}`);
      return (clock() - before) / r.completed;
    };
    const [baseline, ...rest] = targets;
    // Each variant is timed right next to a baseline window of its own (in turns: baseline first,
    // then variant first), so a ratio compares two windows a fraction of a second apart.
    const pairs = Object.fromEntries(events.map((n) => [n, Object.fromEntries(rest.map((t) => [t.spec, { ms: [], bl: [] }]))]));
    for (let round = 0; round < rounds; round++) {
      for (const n of events) {
        for (const t of round % 2 === 0 ? rest : [...rest].reverse()) {
          const order = round % 2 === 0 ? [baseline, t] : [t, baseline];
          const [a, b] = [await measure(order[0], n), await measure(order[1], n)];
          const [bl, ms] = round % 2 === 0 ? [a, b] : [b, a];
          pairs[n][t.spec].ms.push(ms);
          pairs[n][t.spec].bl.push(bl);
        }
      }
      log(`round ${round + 1}/${rounds}`);
    }
    const cells = events.map((n) => ({
      events: n,
      baselineMs: mean(rest.flatMap((t) => pairs[n][t.spec].bl)),
      variants: variants.map((spec) => {
        const { ms, bl } = pairs[n][spec];
        const ratios = ms.map((x, k) => x / bl[k]);
        // Means, not medians: a major GC lands in some windows and not others, and a process whose GC period puts one in
        // most windows would otherwise read as much slower than a copy of itself (seen: 1.47x and 2.02x for the same code).
        return { spec, ms: mean(ms), ratio: mean(ms) / mean(bl), ratios };
      }),
    }));
    return { rounds, cells };
  } finally {
    for (const t of targets) {
      t.client.close();
      await t.runtime.close();
    }
    rmSync(root, { recursive: true, force: true });
  }
}

/** Where a beacon's CPU goes: the stage cuts and the whole path, against the baseline. */
export async function benchCpuStages({ rounds = 12, log = () => {} } = {}) {
  const variants = STAGES.map(([, cut]) => (cut ? `current+${cut}` : 'current'));
  const { cells } = await pairedCpu({ variants, rounds, log });
  return {
    rounds,
    perRound: PER_ROUND,
    concurrency: CONCURRENCY,
    stages: STAGES.map(([name, , what]) => ({ name, what })),
    cells: cells.map((c) => ({
      events: c.events,
      baselineMs: c.baselineMs,
      // Cumulative ratios per stage; a stage's own cost is the step from the one before.
      ratios: c.variants.map((v) => v.ratio),
      ms: c.variants.map((v) => v.ratio * c.baselineMs),
    })),
  };
}

async function main() {
  const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]));
  const log = (s) => console.error(`[cpu] ${s}`);
  const rounds = Number(args.rounds ?? (args.trials ? 24 : 12));
  const events = args.events ? String(args.events).split(',').map(Number) : [1, 20];
  if (args.trials) {
    const on = (patch) => (patch === 'current' ? TRIALS_BASE : `${TRIALS_BASE}+${patch}`);
    const references = [...new Set(TRIALS.map(([, against]) => on(against)))].filter((r) => !STEPS.some(([ref]) => ref === r));
    const variants = [...STEPS.map(([ref]) => ref), ...references, ...TRIALS.map(([name]) => on(name))];
    const at = new Date().toISOString();
    const loadBefore = loadAverage();
    const { cells } = await pairedCpu({ variants, events, rounds, scale: Number(args.scale ?? 1), log });
    const ratioOf = (cell, spec) => cell.variants.find((v) => v.spec === spec).ratio;
    const out = {
      at,
      revision: revision(),
      loadBefore,
      loadAfter: loadAverage(),
      rounds,
      scale: Number(args.scale ?? 1),
      steps: STEPS.map(([ref, what]) => ({ ref, what, cells: cells.map((c) => ({ events: c.events, ratio: ratioOf(c, ref), ms: ratioOf(c, ref) * c.baselineMs })) })),
      trials: TRIALS.map(([name, against]) => {
        const reference = on(against);
        return {
          name,
          against,
          what: PATCHES[name].what,
          applied: PATCHES[name].applied,
          cells: cells.map((c) => ({ events: c.events, ratio: ratioOf(c, on(name)), reference: ratioOf(c, reference), deltaMs: (ratioOf(c, on(name)) - ratioOf(c, reference)) * c.baselineMs })),
        };
      }),
    };
    writeFileSync('bench/cpu-trials.json', `${JSON.stringify(out, null, 2)}\n`);
    for (const t of out.steps) console.log(`${t.ref.padEnd(14)} ${t.cells.map((c) => `${c.events} event(s): ${c.ratio.toFixed(3)}x`).join('; ')}`);
    for (const t of out.trials) console.log(`${t.name.padEnd(14)} vs ${t.against.padEnd(8)} ${t.cells.map((c) => `${c.events} event(s): ${c.reference.toFixed(3)}x -> ${c.ratio.toFixed(3)}x (${c.deltaMs >= 0 ? '+' : ''}${(c.deltaMs * 1000).toFixed(0)} µs)`).join('; ')}`);
    return;
  }
  if (args.variants) {
    const { cells } = await pairedCpu({ variants: String(args.variants).split(','), events, rounds, scale: Number(args.scale ?? 1), log });
    for (const c of cells) {
      console.log(`${c.events} event(s): baseline ${c.baselineMs.toFixed(3)} ms`);
      for (const v of c.variants) console.log(`  ${v.spec.padEnd(30)} ${v.ratio.toFixed(3)}x (${(v.ratio * c.baselineMs).toFixed(3)} ms)`);
      const copies = new Map();
      for (const v of c.variants) copies.set(v.spec.split('#')[0], [...(copies.get(v.spec.split('#')[0]) ?? []), v]);
      for (const [spec, vs] of copies) {
        if (vs.length < 2) continue;
        const rs = vs.map((v) => v.ratio);
        console.log(`  mean of ${vs.length} copies: ${spec.padEnd(22)} ${(rs.reduce((a, b) => a + b, 0) / rs.length).toFixed(3)}x (${Math.min(...rs).toFixed(3)}-${Math.max(...rs).toFixed(3)})`);
      }
    }
    return;
  }
  const r = await benchCpuStages({ rounds, log });
  console.log(JSON.stringify(r, null, 2));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
