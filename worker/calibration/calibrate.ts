/**
 * Calibration: learn points per rule (and new rules) from labelled leads, pick thresholds for a
 * target precision, and compare the result with the hand-set config on held-out leads. Pure and
 * deterministic: the same rows, document and options give the same answer.
 */
import { resolveConfig, type SiteConfig, type SiteConfigInput } from '../schema/config';
import { LIMITS } from '../schema/limits';
import { candidateColumns } from './candidates';
import { calibrationOf, evaluate, round, scoreRows, type Evaluation, type Labelled } from './evaluate';
import { columnStats, designMatrix, existingColumns, type Column } from './features';
import { chooseL2, dropRedundant, fitSubset, selectNewColumns, type FitSetup } from './model-selection';
import { linear } from './logistic';
import { variance } from './metrics';
import { CalibrationError, MIN_PER_CLASS, MIN_ROWS, type CalibrateOptions } from './options';
import { buildProposal, withUniqueIds } from './proposal';
import { splitHoldout } from './split';
import { chooseThreshold, type ThresholdChoice } from './thresholds';
import { isPositive, LABEL_SOURCES, type LabelSource, type TrainingRow } from './training-row';
import { describeRules, type RuleReport } from './report';

export type CalibrationResult = {
  rows: { labelled: number; used: number; positives: number; negatives: number; train: number; holdout: number; bySource: Record<LabelSource, number>; imported: number };
  settings: CalibrateOptions & { l2: number; l2ChosenBy: 'request' | 'cross-validation' };
  evaluation: { rows: number; positives: number; current: Evaluation; proposed: Evaluation };
  rules: RuleReport[];
  thresholds: Record<'mql' | 'sql', { current: number; proposed: number; targetPrecision: number; met: boolean; trainPrecision: number | null; trainRecall: number | null }>;
  model: { intercept: number; pointsPerLogit: number; features: number; iterations: number; converged: boolean };
  notes: string[];
  proposal: SiteConfigInput;
};

/**
 * @example calibrate(rows, document, config, CalibrateOptionsSchema.parse({})).evaluation.proposed.auc // 0.87
 * @throws CalibrationError when the rows cannot support a fit (too few, one class, no signal)
 */
export function calibrate(rows: TrainingRow[], document: SiteConfigInput, config: SiteConfig, options: CalibrateOptions): CalibrationResult {
  const labelled: Labelled[] = rows
    .map((row) => ({ row, y: isPositive(row.source) ? 1 : 0, w: row.source === 'accepted' ? options.acceptedWeight : 1 }))
    .filter((r) => r.w > 0);
  checkData(labelled, rows.length);

  const { train, holdout } = splitHoldout(labelled, (r) => `${r.row.origin}/${r.row.id}`, (r) => r.y === 1, options.holdout, options.seed);
  const notes: string[] = [];

  // Columns: every existing rule, plus candidates found on the training rows.
  const candidates = options.maxNewRules > 0 ? candidateColumns(train.map((r) => r.row), config, { minSupport: options.minSupport, maxCandidates: 100 }) : [];
  const all = [...existingColumns(config), ...candidates];
  const x = designMatrix(train.map((r) => r.row), all);
  const y = train.map((r) => r.y);
  const w = train.map((r) => r.w);
  const stats = columnStats(x, w, all.length);
  const active = dropRedundant(x, all, all.map((_, j) => j).filter((j) => stats.variance[j]! > 1e-12));
  if (active.length === 0) {
    throw new CalibrationError('no_signal', 'no rule and no candidate varies across the labelled leads: nothing to learn from');
  }

  // Prior: the hand-set points, mapped to log-odds by the current score's own calibration.
  const currentTrain = scoreRows(train, config);
  const currentPlatt = calibrationOf(currentTrain);
  const perPoint = currentPlatt.b > 0 ? currentPlatt.b : 0;
  if (perPoint === 0) notes.push('The current score does not rank converters above the others on these leads: the fit starts from zero instead of the current points.');
  const priorOf = (col: Column) => (col.isNew ? 0 : col.rule.points * perPoint);

  const setup: FitSetup = { x, y, w, columns: all, active, variance: stats.variance, priorOf };
  const l2 = options.l2 ?? chooseL2(setup, options.seed);
  const chosen = selectNewColumns(setup, l2, options.maxNewRules);
  const fitted = fitSubset(setup, train.map((_, i) => i), chosen, l2);
  const final = { model: fitted.model, weights: fitted.model.weights };

  // Points: keep the score's spread as it is today, so thresholds stay on a familiar scale.
  const lp = x.map((row) => linear(final.model, fitted.project(row)) - final.model.intercept);
  const spreadNow = Math.sqrt(variance(currentTrain.map((r) => r.score)));
  const spreadFit = Math.sqrt(variance(lp));
  let scale = spreadNow > 0 && spreadFit > 0 ? spreadNow / spreadFit : perPoint > 0 ? 1 / perPoint : 10;
  const maxWeight = Math.max(...final.weights.map((v) => Math.abs(v)), 1e-12);
  scale = Math.min(scale, 1000 / maxWeight);
  const unit = scale >= 10 ? 1 : 0.1;
  const snap = (v: number) => Number((Math.round(v / unit) * unit).toFixed(unit < 1 ? 1 : 0));
  const points = withUniqueIds(
    chosen.map((j, k) => ({ column: all[j]!, points: snap(final.weights[k]! * scale) })).filter((r) => !(r.column.isNew && r.points === 0)),
    document,
  );

  // Thresholds for the target precision, measured with the rounded points the Worker would use.
  const draft = resolved(buildProposal(document, points, { mql: config.stages.mql.score, sql: config.stages.sql.score }));
  const draftTrain = scoreRows(train, draft);
  const pick = (target: number) => chooseThreshold(draftTrain.map((r) => ({ score: r.score, demo: r.demo, y: r.y, w: r.w })), target, unit);
  const mql = pick(options.targetPrecision.mql);
  let sql = pick(options.targetPrecision.sql);
  if (sql.threshold < mql.threshold) sql = { ...mql, met: mql.precision !== null && mql.precision >= options.targetPrecision.sql };
  const proposal = buildProposal(document, points, { mql: mql.threshold, sql: sql.threshold });
  const proposed = resolved(proposal);
  notes.push(...thresholdNotes(mql, sql, options));
  notes.push('Stage fit gates are set to 0 in the proposal: the learned points weigh fit and behaviour together.');
  const bytes = new TextEncoder().encode(JSON.stringify(proposal)).length;
  if (bytes > LIMITS.maxConfigBytes) notes.push(`The proposal is ${bytes} bytes, over the ${LIMITS.maxConfigBytes}-byte config limit: PUT will refuse it; lower maxNewRules or trim the config.`);

  const proposedTrain = scoreRows(train, proposed);
  const heldCurrent = scoreRows(holdout, config);
  const heldProposed = scoreRows(holdout, proposed);
  const holdPositives = holdout.filter((r) => r.y === 1).length;
  if (holdPositives < 20 || holdout.length - holdPositives < 20) {
    notes.push(`The holdout has ${holdPositives} converters and ${holdout.length - holdPositives} others: its figures are rough; label more leads for firmer ones.`);
  }
  const imported = rows.filter((r) => r.origin === 'import').length;
  const hidden = config.scoring.behavior.filter((r) => r.when.path !== undefined || r.when.props !== undefined);
  if (imported > 0 && hidden.length > 0) {
    notes.push(`Imported leads cannot show rules that test paths or props unless the mapping names them (${hidden.map((r) => r.id).join(', ')}): those count 0 there.`);
  }

  return {
    rows: {
      labelled: rows.length,
      used: labelled.length,
      positives: labelled.filter((r) => r.y === 1).length,
      negatives: labelled.filter((r) => r.y === 0).length,
      train: train.length,
      holdout: holdout.length,
      bySource: Object.fromEntries(LABEL_SOURCES.map((s) => [s, rows.filter((r) => r.source === s).length])) as Record<LabelSource, number>,
      imported,
    },
    settings: { ...options, l2, l2ChosenBy: options.l2 === undefined ? 'cross-validation' : 'request' },
    evaluation: {
      rows: holdout.length,
      positives: holdPositives,
      current: evaluate(heldCurrent, currentPlatt),
      proposed: evaluate(heldProposed, calibrationOf(proposedTrain)),
    },
    rules: describeRules(all, stats.support, chosen, final.weights, points),
    thresholds: {
      mql: { current: config.stages.mql.score, proposed: mql.threshold, targetPrecision: options.targetPrecision.mql, met: mql.met, trainPrecision: round(mql.precision), trainRecall: round(mql.recall) },
      sql: { current: config.stages.sql.score, proposed: sql.threshold, targetPrecision: options.targetPrecision.sql, met: sql.met, trainPrecision: round(sql.precision), trainRecall: round(sql.recall) },
    },
    model: { intercept: round(final.model.intercept)!, pointsPerLogit: round(scale, 3)!, features: chosen.length, iterations: final.model.iterations, converged: final.model.converged },
    notes,
    proposal,
  };
}

function checkData(rows: Labelled[], total: number) {
  const pos = rows.filter((r) => r.y === 1).length;
  const neg = rows.length - pos;
  const counts = `${rows.length} usable labelled leads (${pos} converted, ${neg} did not)${total > rows.length ? ` of ${total} stored` : ''}`;
  if (rows.length < MIN_ROWS) {
    throw new CalibrationError('too_few_rows', `calibration needs at least ${MIN_ROWS} labelled leads; this site has ${counts}. Record outcomes (POST …/visitors/:aid/outcome) or import history (npm run import).`);
  }
  if (pos === 0 || neg === 0) {
    throw new CalibrationError('single_class', `all ${counts.replace(/^\d+ /, '')} have the same label: calibration needs leads that converted and leads that did not.`);
  }
  if (pos < MIN_PER_CLASS || neg < MIN_PER_CLASS) {
    throw new CalibrationError('too_few_per_class', `calibration needs at least ${MIN_PER_CLASS} leads that converted and ${MIN_PER_CLASS} that did not; this site has ${counts}.`);
  }
}

function thresholdNotes(mql: ThresholdChoice, sql: ThresholdChoice, options: CalibrateOptions): string[] {
  const pct = (n: number | null) => (n === null ? 'n/a' : `${Math.round(n * 100)}%`);
  const out: string[] = [];
  if (!mql.met) out.push(`No MQL threshold reaches ${pct(options.targetPrecision.mql)} precision on the training leads; the proposal uses the most precise one (${pct(mql.precision)}).`);
  if (!sql.met) out.push(`No SQL threshold reaches ${pct(options.targetPrecision.sql)} precision on the training leads (a demo request makes a lead SQL whatever its score); the proposal uses the most precise one (${pct(sql.precision)}).`);
  return out;
}

/** The proposal as the Worker would run it. Webhooks are left out: their secrets arrive masked, and scoring never reads them. */
function resolved(document: SiteConfigInput): SiteConfig {
  const r = resolveConfig({ ...document, webhooks: [] });
  if (!r.ok) throw new Error(`calibration built an invalid config: ${r.issues[0]?.path}: ${r.issues[0]?.message}`);
  return r.config;
}
