/**
 * Weighted logistic regression with an L2 penalty that pulls each weight toward a prior (the
 * hand-set points, or 0), fitted by Newton's method with a backtracking line search. Plain
 * TypeScript, deterministic, sparse rows; sized for hundreds of features and thousands of rows.
 */

export type SparseRow = { idx: number[]; val: number[] };

export type LogisticData = {
  x: SparseRow[];
  /** 0 or 1. */
  y: number[];
  /** Row weights (> 0). */
  w: number[];
  /** Number of features (the intercept is extra). */
  p: number;
};

export type LogisticOptions = {
  /** Penalty strength: λ/2 · Σ scale_j (β_j − prior_j)². */
  l2: number;
  /** Where each weight is pulled to (default 0). */
  prior?: number[];
  /** Per-feature penalty multiplier; the feature's variance makes the penalty scale-free. Default 1. */
  scale?: number[];
  maxIter?: number;
  tol?: number;
};

export type LogisticModel = { intercept: number; weights: number[]; iterations: number; converged: boolean };

/** log(1 + e^z) without overflow. */
export function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function linear(model: Pick<LogisticModel, 'intercept' | 'weights'>, row: SparseRow): number {
  let z = model.intercept;
  for (let k = 0; k < row.idx.length; k++) z += (model.weights[row.idx[k]!] ?? 0) * row.val[k]!;
  return z;
}

/**
 * @example fitLogistic({ x, y, w, p: 3 }, { l2: 1 }).weights // [1.98, -0.51, 0.02]
 */
export function fitLogistic(data: LogisticData, options: LogisticOptions): LogisticModel {
  const { p } = data;
  const P = p + 1; // the intercept is the last coefficient and is not penalized
  const prior = options.prior ?? new Array<number>(p).fill(0);
  const scale = options.scale ?? new Array<number>(p).fill(1);
  const lambda = options.l2;
  const maxIter = options.maxIter ?? 50;
  const tol = options.tol ?? 1e-7;

  const beta = new Float64Array(P);
  for (let j = 0; j < p; j++) beta[j] = prior[j]!;
  let sw = 0;
  let sy = 0;
  for (let i = 0; i < data.y.length; i++) {
    sw += data.w[i]!;
    sy += data.w[i]! * data.y[i]!;
  }
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, sy / sw));
  beta[p] = Math.log(rate / (1 - rate));

  const zOf = (b: Float64Array, row: SparseRow) => {
    let z = b[p]!;
    for (let k = 0; k < row.idx.length; k++) z += b[row.idx[k]!]! * row.val[k]!;
    return z;
  };
  const objective = (b: Float64Array) => {
    let total = 0;
    for (let i = 0; i < data.x.length; i++) {
      const z = zOf(b, data.x[i]!);
      total += data.w[i]! * (softplus(z) - data.y[i]! * z);
    }
    for (let j = 0; j < p; j++) total += 0.5 * lambda * scale[j]! * (b[j]! - prior[j]!) ** 2;
    return total;
  };

  let current = objective(beta);
  const grad = new Float64Array(P);
  const hess = new Float64Array(P * P);
  for (let iter = 1; iter <= maxIter; iter++) {
    grad.fill(0);
    hess.fill(0);
    for (let i = 0; i < data.x.length; i++) {
      const row = data.x[i]!;
      const mu = sigmoid(zOf(beta, row));
      const wi = data.w[i]!;
      const r = wi * (mu - data.y[i]!);
      const h = wi * mu * (1 - mu);
      grad[p] = grad[p]! + r;
      hess[p * P + p] = hess[p * P + p]! + h;
      for (let a = 0; a < row.idx.length; a++) {
        const ja = row.idx[a]!;
        const va = row.val[a]!;
        grad[ja] = grad[ja]! + r * va;
        hess[ja * P + p] = hess[ja * P + p]! + h * va;
        for (let b = a; b < row.idx.length; b++) {
          const at = ja * P + row.idx[b]!;
          hess[at] = hess[at]! + h * va * row.val[b]!;
        }
      }
    }
    for (let j = 0; j < p; j++) {
      grad[j] = grad[j]! + lambda * scale[j]! * (beta[j]! - prior[j]!);
      hess[j * P + j] = hess[j * P + j]! + lambda * scale[j]! + 1e-9;
    }
    hess[p * P + p] = hess[p * P + p]! + 1e-9;
    symmetrize(hess, P);
    const step = choleskySolve(hess, grad, P);

    let t = 1;
    const slope = dot(grad, step);
    const trial = new Float64Array(P);
    let next = current;
    for (; t > 1e-10; t /= 2) {
      for (let j = 0; j < P; j++) trial[j] = beta[j]! - t * step[j]!;
      next = objective(trial);
      if (next <= current - 1e-4 * t * slope) break;
    }
    if (t <= 1e-10) return done(beta, p, iter, true); // no descent left: at the optimum within rounding
    let moved = 0;
    for (let j = 0; j < P; j++) moved = Math.max(moved, Math.abs(beta[j]! - trial[j]!));
    beta.set(trial);
    current = next;
    if (moved < tol) return done(beta, p, iter, true);
  }
  return done(beta, p, maxIter, false);
}

function done(beta: Float64Array, p: number, iterations: number, converged: boolean): LogisticModel {
  return { intercept: beta[p]!, weights: Array.from(beta.subarray(0, p)), iterations, converged };
}

/** Rows were accumulated into the upper triangle (with unordered indices): fold into a full symmetric matrix. */
function symmetrize(m: Float64Array, n: number) {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = m[i * n + j]! + m[j * n + i]!;
      m[i * n + j] = s;
      m[j * n + i] = s;
    }
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Solves A x = b for a symmetric positive-definite A (Cholesky, in place on a copy). */
export function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(a);
  for (let j = 0; j < n; j++) {
    let d = l[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! ** 2;
    if (!(d > 0)) d = 1e-12; // numerically singular direction: do not move along it
    const root = Math.sqrt(d);
    l[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let s = l[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / root;
    }
  }
  const x = new Float64Array(b);
  for (let i = 0; i < n; i++) {
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}
