/** How well scores rank and predict conversions: weighted AUC, log-loss, precision and recall. Pure. */
import { fitLogistic, sigmoid } from './logistic';

export type Scored = { score: number; y: number; w: number };

/**
 * Weighted ROC AUC: the chance a random converter outscores a random non-converter (ties count
 * half). Null when a class is missing.
 * @example auc([{ score: 2, y: 1, w: 1 }, { score: 1, y: 0, w: 1 }]) // 1
 */
export function auc(rows: Scored[]): number | null {
  const sorted = [...rows].sort((a, b) => a.score - b.score);
  let negBelow = 0;
  let pairs = 0;
  let posTotal = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    let pos = 0;
    let neg = 0;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) {
      const r = sorted[j]!;
      if (r.y === 1) pos += r.w;
      else neg += r.w;
      j++;
    }
    pairs += pos * (negBelow + neg / 2);
    negBelow += neg;
    posTotal += pos;
    i = j;
  }
  if (posTotal === 0 || negBelow === 0) return null;
  return pairs / (posTotal * negBelow);
}

/** Weighted mean negative log-likelihood of probabilities `p` (clipped to [1e-6, 1 - 1e-6]). */
export function logLoss(rows: { p: number; y: number; w: number }[]): number {
  let total = 0;
  let weight = 0;
  for (const r of rows) {
    const p = Math.min(1 - 1e-6, Math.max(1e-6, r.p));
    total += -r.w * (r.y === 1 ? Math.log(p) : Math.log(1 - p));
    weight += r.w;
  }
  return weight > 0 ? total / weight : NaN;
}

export type Platt = { a: number; b: number };

/**
 * Maps a score to a probability, σ(a + b·score), fitted on training rows (Platt scaling). This is
 * how a hand-set score gets a log-loss at all, and it treats both configs alike.
 */
export function plattScale(rows: Scored[]): Platt {
  const model = fitLogistic(
    { x: rows.map((r) => ({ idx: [0], val: [r.score] })), y: rows.map((r) => r.y), w: rows.map((r) => r.w), p: 1 },
    { l2: 1e-6, scale: [variance(rows.map((r) => r.score)) || 1] },
  );
  return { a: model.intercept, b: model.weights[0]! };
}

export const plattProbability = (platt: Platt, score: number) => sigmoid(platt.a + platt.b * score);

export type Selection = { precision: number | null; recall: number | null; selected: number };

/** Precision and recall of a selection (weighted), e.g. "every lead that reached SQL". */
export function precisionRecall(rows: (Scored & { selected: boolean })[]): Selection {
  let tp = 0;
  let sel = 0;
  let pos = 0;
  let count = 0;
  for (const r of rows) {
    if (r.y === 1) pos += r.w;
    if (!r.selected) continue;
    count += 1;
    sel += r.w;
    if (r.y === 1) tp += r.w;
  }
  return { precision: sel > 0 ? tp / sel : null, recall: pos > 0 ? tp / pos : null, selected: count };
}

export function variance(values: number[]): number {
  if (values.length === 0) return 0;
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
}
