/**
 * `npm run bench`: each section against the real Worker in workerd (Miniflare), timed against a baseline in
 * the same run, then the targets table and one short section per target into BENCHMARKS.md.
 *
 *   npm run bench                         full run (about 9 minutes on 2 cores); writes BENCHMARKS.md's bench block
 *   npm run bench -- --quick              smaller samples, for trying changes (prints only)
 *   npm run bench -- --only=ingest,cost   some sections alone (prints only)
 *
 * Needs `npm install`; builds the SDK if dist/ is missing. Offline.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadAverage, machine, revision } from './lib/machine.mjs';
import { mergeInto, renderReport } from './lib/report.mjs';
import { STORAGE, startRuntime } from './lib/runtime.mjs';
import cost from './sections/cost.mjs';
import growth from './sections/growth.mjs';
import handoff from './sections/handoff.mjs';
import ingest from './sections/ingest.mjs';
import peers from './sections/peers.mjs';
import people from './sections/people.mjs';
import sdk from './sections/sdk.mjs';

/**
 * The sections, in report order. A section is a module in sections/ exporting { name, title, run(ctx),
 * targets(result) -> [target, goal, measured, met (true, false, or null when only reported)][], reading(result) }.
 * run(ctx) gets { quick, log, start(kind, opts) }: runtimes it starts are closed after it.
 */
const SECTIONS = [sdk, peers, ingest, people, handoff, growth, cost];

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]));
const quick = Boolean(args.quick);
const only = args.only ? String(args.only).split(',') : null;
const unknown = only?.filter((name) => !SECTIONS.some((s) => s.name === name));
if (unknown?.length) {
  console.error(`no section ${unknown.join(', ')}; the sections are ${SECTIONS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const started = Date.now();
const log = (line) => console.error(`[bench ${String(Math.round((Date.now() - started) / 1000)).padStart(3)} s] ${line}`);
if (!existsSync('dist/sdk/leadedge.js') || !existsSync('worker/generated/sdk-bundle.ts')) {
  log('the SDK is not built: running npm run build');
  if (spawnSync(process.execPath, ['scripts/build-sdk.mjs'], { stdio: 'inherit' }).status !== 0) process.exit(1);
}

const loadBefore = loadAverage();
log(`load average ${loadBefore}`);
const results = {};
for (const section of SECTIONS.filter((s) => !only || only.includes(s.name))) {
  const open = [];
  const start = async (kind, opts = {}) => {
    const runtime = await startRuntime({ kind, ...opts });
    open.push(runtime);
    return runtime;
  };
  try {
    results[section.name] = await section.run({ quick, log, start });
  } finally {
    await Promise.all(open.map((r) => r.close().catch(() => undefined)));
  }
  log(`${section.name} done`);
}

const seconds = (Date.now() - started) / 1000;
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const date = new Date(started).toISOString().slice(0, 16).replace('T', ' ');
const report = renderReport({ command, date, revision: revision(), machine: machine(), load: `${loadBefore} before, ${loadAverage()} after`, seconds, storage: STORAGE }, SECTIONS, results);
process.stdout.write(report);
const official = !only && !quick;
if (official) writeFileSync('BENCHMARKS.md', mergeInto(existsSync('BENCHMARKS.md') ? readFileSync('BENCHMARKS.md', 'utf8') : '', report));
log(`done in ${Math.round(seconds)} s (${(seconds / 60).toFixed(1)} min)${official ? '; wrote BENCHMARKS.md' : ': quick or partial run, BENCHMARKS.md not written'}`);
