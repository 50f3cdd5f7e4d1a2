/**
 * `npm run simulate` (= `node scripts/simulator/run.mjs`): bundles the simulator with the Worker's
 * TypeScript modules (esbuild, already a dev dependency) and runs it in Node.
 *
 *   npm run simulate                         5 seeds × 6000 visitors, prints the section
 *   npm run simulate -- --write              also replaces the calibration section of BENCHMARKS.md
 *   npm run simulate -- --seeds=2 --visitors=2000 --mql=0.3 --sql=0.6 --json=sim.json
 */
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, '../../node_modules/.cache/leadedge-simulator');
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, 'main.mjs');
await build({ entryPoints: [join(here, 'main.mjs')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'warning' });
await import(pathToFileURL(outfile).href);
