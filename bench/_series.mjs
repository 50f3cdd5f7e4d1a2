import { pairedCpu } from './cpu.mjs';
const r = await pairedCpu({ variants: process.argv[2].split(','), events: [20], rounds: Number(process.argv[3] ?? 10) });
for (const c of r.cells) for (const v of c.variants) console.log(v.spec.padEnd(24), v.ratio.toFixed(3), v.ratios.map((x) => x.toFixed(2)).join(' '));
