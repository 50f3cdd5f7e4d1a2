import { describe, expect, it } from 'vitest';
import { choleskySolve, fitLogistic, sigmoid, softplus, type SparseRow } from '../../worker/calibration/logistic';
import { auc, logLoss, plattProbability, plattScale, precisionRecall } from '../../worker/calibration/metrics';
import { seededRandom, splitHoldout } from '../../worker/calibration/split';
import { chooseThreshold } from '../../worker/calibration/thresholds';
import { count } from '../helpers/training';

/** Rows drawn from logit = b0 + Σ w·x with a binary, a count and an irrelevant feature. */
function logisticData(n: number, seed: number, truth = { b0: -1, w: [2, -0.8, 0] }) {
  const rand = seededRandom(seed);
  const x: SparseRow[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = [rand() < 0.3 ? 1 : 0, count(rand, 1.2), rand() < 0.5 ? 1 : 0];
    const z = truth.b0 + v.reduce((s, vj, j) => s + vj * truth.w[j]!, 0);
    y.push(rand() < sigmoid(z) ? 1 : 0);
    const row: SparseRow = { idx: [], val: [] };
    v.forEach((vj, j) => vj !== 0 && (row.idx.push(j), row.val.push(vj)));
    x.push(row);
  }
  return { x, y, w: y.map(() => 1), p: 3 };
}

describe('logistic regression', () => {
  it('recovers known weights on synthetic data within 0.1', () => {
    const model = fitLogistic(logisticData(20_000, 42), { l2: 1e-3 });
    expect(model.converged).toBe(true);
    expect(model.intercept).toBeCloseTo(-1, 0);
    expect(Math.abs(model.intercept + 1)).toBeLessThan(0.1);
    expect(Math.abs(model.weights[0]! - 2)).toBeLessThan(0.1);
    expect(Math.abs(model.weights[1]! + 0.8)).toBeLessThan(0.1);
    expect(Math.abs(model.weights[2]!)).toBeLessThan(0.1);
  });

  it('with little data, a strong penalty keeps weights at their prior', () => {
    const data = logisticData(40, 1);
    const model = fitLogistic(data, { l2: 1e4, prior: [0.5, 0.5, 0.5], scale: [1, 1, 1] });
    for (const w of model.weights) expect(w).toBeCloseTo(0.5, 2);
  });

  it('row weights count like repeated rows', () => {
    const data = logisticData(2000, 9);
    const doubled = { ...data, x: [...data.x, ...data.x], y: [...data.y, ...data.y], w: [...data.w, ...data.w] };
    const weighted = { ...data, w: data.w.map(() => 2) };
    const a = fitLogistic(doubled, { l2: 1 });
    const b = fitLogistic(weighted, { l2: 1 });
    a.weights.forEach((w, j) => expect(w).toBeCloseTo(b.weights[j]!, 6));
  });

  it('is deterministic and finite on separable data (the penalty bounds it)', () => {
    const x = [{ idx: [0], val: [1] }, { idx: [0], val: [1] }, { idx: [], val: [] }, { idx: [], val: [] }];
    const a = fitLogistic({ x, y: [1, 1, 0, 0], w: [1, 1, 1, 1], p: 1 }, { l2: 0.1 });
    const b = fitLogistic({ x, y: [1, 1, 0, 0], w: [1, 1, 1, 1], p: 1 }, { l2: 0.1 });
    expect(a).toEqual(b);
    expect(Number.isFinite(a.weights[0])).toBe(true);
    expect(a.weights[0]).toBeGreaterThan(1);
  });

  it('softplus and sigmoid do not overflow', () => {
    expect(softplus(800)).toBe(800);
    expect(softplus(-800)).toBe(0);
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(-800)).toBe(0);
  });

  it('solves a symmetric positive-definite system', () => {
    const x = choleskySolve(new Float64Array([4, 2, 2, 3]), new Float64Array([2, 1]), 2);
    expect(x[0]).toBeCloseTo(0.5);
    expect(x[1]).toBeCloseTo(0);
  });
});

describe('metrics', () => {
  const s = (score: number, y: number, w = 1) => ({ score, y, w });

  it('AUC: 1 when converters rank first, 0 reversed, 0.5 on ties, null with one class', () => {
    expect(auc([s(3, 1), s(2, 1), s(1, 0)])).toBe(1);
    expect(auc([s(1, 1), s(2, 0)])).toBe(0);
    expect(auc([s(1, 1), s(1, 0)])).toBe(0.5);
    expect(auc([s(1, 1), s(2, 1)])).toBeNull();
    // One misordered pair out of four.
    expect(auc([s(4, 1), s(2, 1), s(3, 0), s(1, 0)])).toBe(0.75);
  });

  it('AUC weights a pair by both rows’ weights', () => {
    expect(auc([s(4, 1, 3), s(2, 1, 1), s(3, 0, 1)])).toBe(0.75);
  });

  it('log-loss of known probabilities', () => {
    expect(logLoss([{ p: 0.5, y: 1, w: 1 }, { p: 0.5, y: 0, w: 1 }])).toBeCloseTo(Math.log(2));
    expect(logLoss([{ p: 1, y: 0, w: 1 }])).toBeCloseTo(-Math.log(1e-6));
  });

  it('Platt scaling turns a score into a calibrated probability', () => {
    const rand = seededRandom(3);
    const rows = Array.from({ length: 5000 }, () => {
      const score = rand() * 100;
      return s(score, rand() < sigmoid(-3 + score / 20) ? 1 : 0);
    });
    const platt = plattScale(rows);
    expect(platt.b).toBeCloseTo(1 / 20, 1);
    expect(plattProbability(platt, 60)).toBeCloseTo(0.5, 1);
  });

  it('precision and recall of a selection', () => {
    const r = precisionRecall([{ ...s(0, 1), selected: true }, { ...s(0, 0), selected: true }, { ...s(0, 1), selected: false }]);
    expect(r).toEqual({ precision: 0.5, recall: 0.5, selected: 2 });
    expect(precisionRecall([{ ...s(0, 0), selected: false }])).toEqual({ precision: null, recall: null, selected: 0 });
  });
});

describe('holdout split', () => {
  const items = Array.from({ length: 200 }, (_, i) => ({ id: `r${i}`, y: i % 4 === 0 ? 1 : 0 }));

  it('keeps the share of each class and depends on the seed only, not on input order', () => {
    const a = splitHoldout(items, (i) => i.id, (i) => i.y === 1, 0.25, 7);
    const b = splitHoldout([...items].reverse(), (i) => i.id, (i) => i.y === 1, 0.25, 7);
    expect(a.holdout.map((i) => i.id).sort()).toEqual(b.holdout.map((i) => i.id).sort());
    // 25% of 50 converters and of 150 others, each rounded.
    expect(a.holdout.filter((i) => i.y === 1)).toHaveLength(13);
    expect(a.holdout.filter((i) => i.y === 0)).toHaveLength(38);
    const c = splitHoldout(items, (i) => i.id, (i) => i.y === 1, 0.25, 8);
    expect(c.holdout.map((i) => i.id).sort()).not.toEqual(a.holdout.map((i) => i.id).sort());
  });
});

describe('thresholds for a target precision', () => {
  const p = (score: number, y: number, demo = false) => ({ score, y, demo, w: 1 });

  it('picks the lowest threshold that reaches the target, keeping the most converters', () => {
    const points = [p(90, 1), p(80, 1), p(70, 1), p(60, 0), p(50, 1), p(40, 0), p(30, 0), p(20, 0)];
    const c = chooseThreshold(points, 0.75, 1, 1);
    expect(c).toMatchObject({ threshold: 50, met: true, precision: 0.8, recall: 1, selected: 5 });
  });

  it('counts demo requesters as selected whatever their score', () => {
    const points = [p(90, 1), p(5, 0, true), p(5, 0, true), p(10, 0)];
    const c = chooseThreshold(points, 0.9, 1, 1);
    // Even above every score, the two demo requesters are SQL: the best is 1 converter in 3.
    expect(c).toMatchObject({ threshold: 90, met: false, selected: 3 });
    expect(c.precision).toBeCloseTo(1 / 3);
  });

  it('falls back to the most precise threshold when the target cannot be met', () => {
    // At least 2 leads selected: 10 alone is too few; 8 gives 2 in 3.
    const c = chooseThreshold([p(10, 1), p(9, 0), p(8, 1), p(7, 0)], 0.9, 1, 2);
    expect(c).toMatchObject({ threshold: 8, met: false, selected: 3 });
    expect(c.precision).toBeCloseTo(2 / 3);
  });

  it('stays on the unit grid', () => {
    const c = chooseThreshold([p(12.34, 1), p(1.1, 0)], 0.9, 0.1, 1);
    expect(c.threshold).toBe(12.3);
  });
});
