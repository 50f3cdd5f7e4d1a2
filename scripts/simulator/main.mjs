/**
 * The calibration simulation (a calibration tool, not a timing benchmark). Per seed: simulate a
 * history of visitors on the demo site, label the identified ones won/lost, calibrate the demo config on them (POST …/calibrate does the same
 * thing), then replay a *fresh* population through the default config and through each proposal,
 * and compare AUC and MQL/SQL precision and recall on it. Bundled and started by run.mjs.
 */
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { calibrate } from '../../worker/calibration/calibrate';
import { auc, precisionRecall } from '../../worker/calibration/metrics';
import { CalibrateOptionsSchema } from '../../worker/calibration/options';
import { seededRandom } from '../../worker/calibration/split';
import { DEMO_CONFIG } from '../../worker/config/demo-config';
import { resolveConfig } from '../../worker/schema/config';
import { makeVisitor, PERSONAS } from './journeys.mjs';
import { runPipeline } from './pipeline.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]));
const SEEDS = Number(args.seeds ?? 5);
const VISITORS = Number(args.visitors ?? 6000);
const TARGETS = { mql: Number(args.mql ?? 0.3), sql: Number(args.sql ?? 0.5) };
const START = Date.UTC(2026, 0, 5);

const resolve = (doc) => {
  const r = resolveConfig(doc);
  if (!r.ok) throw new Error(`invalid config: ${JSON.stringify(r.issues.slice(0, 3))}`);
  return r.config;
};
const population = (seed, n) => {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => makeVisitor(rand, i, START));
};

/** Figures on identified visitors: AUC of the score when labelled, precision/recall of the stage reached. */
function measure(labelled) {
  const rows = labelled.map((l) => ({ score: l.score, y: l.won ? 1 : 0, w: 1 }));
  const sel = (pred) => precisionRecall(labelled.map((l, i) => ({ ...rows[i], selected: pred(l.stage) })));
  return { auc: auc(rows), mql: sel((s) => s === 'mql' || s === 'sql'), sql: sel((s) => s === 'sql') };
}

const demo = resolve(DEMO_CONFIG);
const runs = [];
const log = (line) => console.error(`[simulate] ${line}`);
const started = Date.now();
for (let seed = 1; seed <= SEEDS; seed++) {
  const history = runPipeline(population(seed, VISITORS), demo);
  const fresh = population(seed + 10_000, VISITORS);
  const variants = { default: { config: demo, result: null } };
  for (const [name, extra] of [['reweighed', { maxNewRules: 0 }], ['calibrated', {}]]) {
    const result = calibrate(history.map((h) => h.row), DEMO_CONFIG, demo, CalibrateOptionsSchema.parse({ seed, targetPrecision: TARGETS, ...extra }));
    variants[name] = { config: resolve(result.proposal), result };
  }
  const run = { seed, labelled: history.length, won: history.filter((h) => h.won).length, variants: {} };
  for (const [name, v] of Object.entries(variants)) {
    const test = runPipeline(fresh, v.config);
    run.variants[name] = {
      fresh: measure(test),
      holdout: v.result?.evaluation ?? null,
      newRules: v.result?.rules.filter((r) => r.status === 'new').map((r) => `${r.id} (${r.proposedPoints > 0 ? '+' : ''}${r.proposedPoints})`) ?? [],
      thresholds: v.result ? { mql: v.result.thresholds.mql.proposed, sql: v.result.thresholds.sql.proposed } : { mql: demo.stages.mql.score, sql: demo.stages.sql.score },
      met: v.result ? { mql: v.result.thresholds.mql.met, sql: v.result.thresholds.sql.met } : null,
      l2: v.result?.settings.l2 ?? null,
    };
  }
  runs.push(run);
  log(`seed ${seed}: ${run.labelled} labelled (${run.won} won); AUC ${['default', 'reweighed', 'calibrated'].map((n) => run.variants[n].fresh.auc.toFixed(3)).join(' / ')}`);
}

const section = render(runs);
console.log(section);
if (args.json) writeFileSync(String(args.json), JSON.stringify({ visitors: VISITORS, seeds: SEEDS, targets: TARGETS, runs }, null, 2));
if (args.write) {
  const file = 'BENCHMARKS.md';
  const block = `<!-- calibration:start -->\n${section}\n<!-- calibration:end -->`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const next = /<!-- calibration:start -->[\s\S]*<!-- calibration:end -->/.test(current)
    ? current.replace(/<!-- calibration:start -->[\s\S]*<!-- calibration:end -->/, () => block)
    : `${current}${current && !current.endsWith('\n') ? '\n' : ''}${current ? '\n' : ''}${block}\n`;
  writeFileSync(file, next);
  log(`wrote the calibration section of ${file}`);
}
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

function render(runs) {
  const stat = (values, digits = 3) => {
    const xs = values.filter((v) => v !== null && v !== undefined);
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, xs.length - 1));
    return `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}`;
  };
  const names = { default: 'default (hand-set demo config)', reweighed: 'calibrated: points and thresholds only', calibrated: 'calibrated: + learned rules' };
  const col = (name, f) => stat(runs.map((r) => f(r.variants[name])));
  const lines = [
    '## Calibration (learning from outcomes)',
    '',
    `Command: \`npm run simulate -- --write\` (= \`node scripts/simulator/run.mjs --seeds=${SEEDS} --visitors=${VISITORS} --mql=${TARGETS.mql} --sql=${TARGETS.sql} --write\`). Pure computation, no Worker; about ${Math.max(1, Math.round((Date.now() - started) / 1000))} s on this machine.`,
    '',
    `Per seed (1–${SEEDS}): ${VISITORS} simulated visitors of the demo site with a hidden intent (${Object.entries(PERSONAS).map(([k, v]) => `${k} ${Math.round(v.share * 100)}%`).join(', ')}; see \`scripts/simulator/journeys.mjs\`) are run through the Worker's own pipeline (\`applyBatch\`) with the demo config; each identified visitor gets its outcome (won/lost) a week after its last visit and becomes a training row (${stat(runs.map((r) => r.labelled), 0)} labelled, ${stat(runs.map((r) => r.won), 0)} won). \`calibrate()\` (what \`POST /v1/admin/sites/:site/calibrate\` runs) proposes a config with target precision MQL ${TARGETS.mql}, SQL ${TARGETS.sql}. Then a **fresh population** (another seed, never seen by the fit) is replayed event by event through the default config and through each proposal: the figures below are measured on it, on identified visitors, mean ± sd over ${SEEDS} seeds. MQL counts visitors that reached MQL or SQL; SQL includes demo requesters (always SQL).`,
    '',
    '| config | AUC | MQL precision | MQL recall | SQL precision | SQL recall |',
    '|---|---|---|---|---|---|',
    ...Object.keys(names).map((n) => `| ${names[n]} | ${col(n, (v) => v.fresh.auc)} | ${col(n, (v) => v.fresh.mql.precision)} | ${col(n, (v) => v.fresh.mql.recall)} | ${col(n, (v) => v.fresh.sql.precision)} | ${col(n, (v) => v.fresh.sql.recall)} |`),
    '',
    'What the calibration itself reports on its held-out 25% of the history (same seeds):',
    '',
    '| | AUC current | AUC proposed | log-loss current | log-loss proposed |',
    '|---|---|---|---|---|',
    ...['reweighed', 'calibrated'].map((n) => `| ${names[n]} | ${col(n, (v) => v.holdout.current.auc)} | ${col(n, (v) => v.holdout.proposed.auc)} | ${col(n, (v) => v.holdout.current.logLoss)} | ${col(n, (v) => v.holdout.proposed.logLoss)} |`),
    '',
    `Learned rules proposed (seed 1): ${runs[0].variants.calibrated.newRules.join(', ') || 'none'}. Thresholds (seed 1): default MQL ${runs[0].variants.default.thresholds.mql} / SQL ${runs[0].variants.default.thresholds.sql}; calibrated MQL ${runs[0].variants.calibrated.thresholds.mql} / SQL ${runs[0].variants.calibrated.thresholds.sql}. Target precision reached on the training leads: MQL on ${runs.filter((r) => r.variants.calibrated.met.mql).length}/${runs.length} seeds, SQL on ${runs.filter((r) => r.variants.calibrated.met.sql).length}/${runs.length} (demo requesters are SQL whatever their score, so SQL precision cannot rise far above their own conversion rate; when the target is out of reach the most precise threshold is proposed and the response says so).`,
    '',
    'Limits of this simulation: the journeys are a model written by us, so a learner that fits them is expected to do well; the point is that the proposal, applied as plain rules by the real scoring code to visitors it has never seen, keeps its advantage. Outcomes here are known for every identified visitor; a real site labels fewer, later, and with sales verdicts in between.',
  ];
  return lines.join('\n');
}
