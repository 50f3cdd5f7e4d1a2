/**
 * `node bench/glob.mjs`: what a rule's glob costs per test, the pathological one beside plain ones,
 * in one process (worker/scoring/glob.ts bundled by esbuild). The RegExp the globs used to compile
 * to took 52 s for the pathological glob on a 61-character path; the automaton is linear in the
 * path whatever the glob, so the ratio printed last stays near 1.
 */
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, '../node_modules/.cache/leadedge-bench/glob.mjs');
mkdirSync(dirname(outfile), { recursive: true });
await build({ entryPoints: [join(here, '../worker/scoring/glob.ts')], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'warning' });
const { compileGlob } = await import(pathToFileURL(outfile).href);

const PATH = `/${'a'.repeat(60)}`; // 61 characters, the case
const GLOBS = {
  pathological: '/**a**a**a**a**a**a**a**b',
  'plain, one segment star': '/*a',
  'plain, crossing star': '/**a',
};

/** Nanoseconds per test: medians of 40 rounds of 20,000 tests, the globs taking turns round by round, after 5 warm-up rounds. */
function nsPerTest(globs) {
  const compiled = Object.entries(globs).map(([name, glob]) => [name, compileGlob(glob)]);
  const rounds = Object.fromEntries(compiled.map(([name]) => [name, []]));
  let sink = 0;
  for (let r = 0; r < 45; r++) {
    for (const [name, g] of r % 2 ? compiled : [...compiled].reverse()) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 20_000; i++) sink += g.test(PATH) ? 1 : 0;
      if (r >= 5) rounds[name].push(Number(process.hrtime.bigint() - t0) / 20_000);
    }
  }
  if (sink < 0) console.log(sink); // keeps the results alive
  return Object.fromEntries(Object.entries(rounds).map(([name, ns]) => [name, median(ns)]));
}

const cost = nsPerTest(GLOBS);
for (const [name, ns] of Object.entries(cost)) console.log(`${name.padEnd(26)} ${GLOBS[name].padEnd(28)} ${ns.toFixed(0).padStart(6)} ns per test of a 61-character path`);
const ratio = cost.pathological / cost['plain, crossing star'];
console.log(`pathological / plain crossing star: ${ratio.toFixed(2)}x (node ${process.version})`);
