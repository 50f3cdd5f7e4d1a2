/**
 * Model selection: the L2 strength by 3-fold cross-validation, and which candidate rules carry
 * enough weight to be proposed. Pure and seeded.
 */
import type { Column } from './features';
import { fitLogistic, linear, sigmoid, type SparseRow } from './logistic';
import { logLoss } from './metrics';
import { CV_MAX_ROWS, L2_GRID } from './options';
import { seededRandom, shuffled } from './split';

/** A candidate is proposed when one standard deviation of it moves the log-odds by at least this. */
export const MIN_NEW_RULE_EFFECT = 0.15;

export type FitSetup = {
  x: SparseRow[];
  y: number[];
  w: number[];
  columns: Column[];
  /** Columns that vary on the training rows (the others cannot be learned). */
  active: number[];
  variance: number[];
  priorOf: (col: Column) => number;
};

/** Fits on a subset of rows and columns; returns the model over those columns. */
export function fitSubset(setup: FitSetup, rows: number[], columns: number[], l2: number) {
  const index = new Map(columns.map((j, k) => [j, k]));
  const project = (row: SparseRow): SparseRow => {
    const out: SparseRow = { idx: [], val: [] };
    row.idx.forEach((j, k) => {
      const to = index.get(j);
      if (to !== undefined) {
        out.idx.push(to);
        out.val.push(row.val[k]!);
      }
    });
    return out;
  };
  const model = fitLogistic(
    { x: rows.map((i) => project(setup.x[i]!)), y: rows.map((i) => setup.y[i]!), w: rows.map((i) => setup.w[i]!), p: columns.length },
    { l2, prior: columns.map((j) => setup.priorOf(setup.columns[j]!)), scale: columns.map((j) => setup.variance[j]!) },
  );
  return { model, project };
}

/**
 * The L2 strength from L2_GRID with the lowest cross-validated log-loss (ties: the stronger one).
 * @example chooseL2(setup, 1) // 3
 */
export function chooseL2(setup: FitSetup, seed: number): number {
  const rand = seededRandom(seed ^ 0x5eed);
  const all = setup.y.map((_, i) => i);
  const sample = all.length > CV_MAX_ROWS ? shuffled(all, rand).slice(0, CV_MAX_ROWS) : all;
  const folds: number[][] = [[], [], []];
  for (const cls of [1, 0]) {
    shuffled(sample.filter((i) => setup.y[i] === cls), rand).forEach((i, k) => folds[k % 3]!.push(i));
  }
  let best = { l2: L2_GRID[0]!, loss: Infinity };
  for (const l2 of L2_GRID) {
    let loss = 0;
    for (let f = 0; f < 3; f++) {
      const trainIdx = folds.filter((_, g) => g !== f).flat();
      const { model, project } = fitSubset(setup, trainIdx, setup.active, l2);
      loss += logLoss(folds[f]!.map((i) => ({ p: sigmoid(linear(model, project(setup.x[i]!))), y: setup.y[i]!, w: setup.w[i]! })));
    }
    if (loss <= best.loss + 1e-9) best = { l2, loss };
  }
  return best.l2;
}

/**
 * Drops candidates that say the same as a column kept before them (existing rules first): the
 * same values on every training lead, or the exact opposite of a yes/no column ("occupation is
 * marketer" when "occupation is student" is kept and those are the only two; the rarer is kept). Two rules for
 * one fact would split its weight and blur the explanation.
 */
export function dropRedundant(x: SparseRow[], columns: Column[], active: number[]): number[] {
  const n = x.length;
  const rowsOf = new Map<number, { rows: number[]; vals: number[] }>(active.map((j) => [j, { rows: [], vals: [] }]));
  x.forEach((row, i) => row.idx.forEach((j, k) => {
    const entry = rowsOf.get(j);
    if (entry) {
      entry.rows.push(i);
      entry.vals.push(row.val[k]!);
    }
  }));
  const seen = new Set<string>();
  const kept: number[] = [];
  // Existing rules first; then the rarer candidate of a pair ("is student" rather than "is not").
  const order = [...active].sort(
    (a, b) => Number(columns[a]!.isNew) - Number(columns[b]!.isNew) || (columns[a]!.isNew ? rowsOf.get(a)!.rows.length - rowsOf.get(b)!.rows.length : 0) || a - b,
  );
  for (const j of order) {
    const { rows, vals } = rowsOf.get(j)!;
    const binary = vals.every((v) => v === 1);
    const sig = `${rows.join(',')}|${binary ? '' : vals.join(',')}`;
    const complement = binary ? `${complementOf(rows, n).join(',')}|` : null;
    if (columns[j]!.isNew && (seen.has(sig) || (complement !== null && seen.has(complement)))) continue;
    seen.add(sig);
    kept.push(j);
  }
  return kept.sort((a, b) => a - b);
}

function complementOf(sorted: number[], n: number): number[] {
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (sorted[k] === i) k++;
    else out.push(i);
  }
  return out;
}

/**
 * Existing rules that vary, plus the new candidates whose fitted effect (|weight| × standard
 * deviation) is at least MIN_NEW_RULE_EFFECT, strongest first, at most `maxNew`.
 */
export function selectNewColumns(setup: FitSetup, l2: number, maxNew: number): number[] {
  const existing = setup.active.filter((j) => !setup.columns[j]!.isNew);
  const fresh = setup.active.filter((j) => setup.columns[j]!.isNew);
  if (maxNew === 0 || fresh.length === 0) return existing;
  const { model } = fitSubset(setup, setup.y.map((_, i) => i), setup.active, l2);
  const effect = (j: number) => Math.abs(model.weights[setup.active.indexOf(j)]!) * Math.sqrt(setup.variance[j]!);
  const picked = fresh
    .filter((j) => effect(j) >= MIN_NEW_RULE_EFFECT)
    .sort((a, b) => effect(b) - effect(a) || a - b)
    .slice(0, maxNew);
  return [...existing, ...picked].sort((a, b) => a - b);
}
