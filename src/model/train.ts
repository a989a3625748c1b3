// Model training. A ModelTrainer turns a feature matrix + labels into a TrainedModel that the ONNX exporter knows
// how to serialize. Logistic regression first: it is fast, stable, calibrated without class weights, and its
// per-feature logit contributions are exact reason codes. A GBT family can implement the same interface later.

import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SPEC_VERSION } from '../features/payment-features';
import type { FeatureMatrix } from './matrix';

// Local aliases: hot loops then skip global lookups, which are slow inside Jest 30's sandboxed global object.
const { exp, fround, log, log1p, max, sqrt } = Math;
const isFiniteNumber = Number.isFinite;

export type ModelFamily = 'logreg';

export type ClassWeight = 'none' | 'balanced' | { readonly positive: number; readonly negative: number };

export interface TrainOptions {
  /** L2 penalty on standardized coefficients (not on the intercept); loss is the weighted mean log loss. */
  l2?: number;
  /** Re-weights classes: 'balanced' gives both classes equal total weight (raises recall, hurts calibration). */
  classWeight?: ClassWeight;
  maxIterations?: number;
  /** Stops when the Newton decrement (≈ loss reduction of the next step) falls below this. */
  tolerance?: number;
  /** Column names; default: the payment feature spec when the width matches. */
  featureNames?: readonly string[];
  featureSpecVersion?: string;
}

export interface FitSummary {
  iterations: number;
  converged: boolean;
  /** Final penalized weighted mean log loss. */
  loss: number;
  /** Loss after each iteration (index 0 = initial), for convergence diagnostics. */
  lossHistory: number[];
  gradientNorm: number;
  rows: number;
  positives: number;
  l2: number;
  classWeights: { positive: number; negative: number };
  durationMs: number;
}

export interface LogisticRegressionModel {
  readonly family: 'logreg';
  readonly featureNames: readonly string[];
  readonly featureSpecVersion: string;
  /** Standardization (float32-representable, so ONNX and the reference scorer use identical constants). */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** Coefficients on standardized features. */
  readonly coef: readonly number[];
  readonly intercept: number;
  readonly fit: FitSummary;
}

/** Union of all families; grows when GBT arrives. */
export type TrainedModel = LogisticRegressionModel;

export interface ModelTrainer<M extends TrainedModel = TrainedModel> {
  readonly family: M['family'];
  train(X: FeatureMatrix, y: ArrayLike<number>, options?: TrainOptions): M;
}

export class TrainingError extends Error {
  readonly code: 'TRAINING_INPUT_INVALID' | 'TRAINING_DIVERGED';
  constructor(code: TrainingError['code'], message: string) {
    super(message);
    this.name = 'TrainingError';
    this.code = code;
  }
}

export const TRAIN_DEFAULTS = { l2: 1e-4, maxIterations: 50, tolerance: 1e-10 };

function softplus(x: number): number {
  return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
}

export function resolveClassWeights(classWeight: ClassWeight | undefined, rows: number, positives: number): { positive: number; negative: number } {
  if (classWeight === undefined || classWeight === 'none') return { positive: 1, negative: 1 };
  if (classWeight === 'balanced') {
    return { positive: rows / (2 * max(1, positives)), negative: rows / (2 * max(1, rows - positives)) };
  }
  return { positive: classWeight.positive, negative: classWeight.negative };
}

/** Cholesky solve of a symmetric positive definite system (k×k row-major); returns null if not SPD. */
function choleskySolve(a: Float64Array, b: Float64Array, k: number): Float64Array | null {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * k + j];
      for (let m = 0; m < j; m++) s -= l[i * k + m] * l[j * k + m];
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * k + i] = sqrt(s);
      } else l[i * k + j] = s / l[j * k + j];
    }
  }
  const z = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i];
    for (let m = 0; m < i; m++) s -= l[i * k + m] * z[m];
    z[i] = s / l[i * k + i];
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = z[i];
    for (let m = i + 1; m < k; m++) s -= l[m * k + i] * x[m];
    x[i] = s / l[i * k + i];
  }
  return x;
}

function defaultFeatureNames(cols: number): readonly string[] {
  return cols === FEATURE_COUNT ? FEATURE_NAMES : Array.from({ length: cols }, (_, j) => `f${j}`);
}

/**
 * L2-regularized logistic regression by Newton's method (IRLS) with backtracking line search on standardized
 * features. With ~10 features the Hessian is tiny, so each iteration is one pass over the data and it converges in
 * well under 20 iterations.
 */
export function trainLogisticRegression(X: FeatureMatrix, y: ArrayLike<number>, options: TrainOptions = {}): LogisticRegressionModel {
  const started = performance.now();
  const { rows: n, cols: f } = X;
  if (y.length !== n) throw new TrainingError('TRAINING_INPUT_INVALID', `labels: ${y.length}, rows: ${n}`);
  if (n === 0) throw new TrainingError('TRAINING_INPUT_INVALID', 'no rows');
  const l2 = options.l2 ?? TRAIN_DEFAULTS.l2;
  const maxIterations = options.maxIterations ?? TRAIN_DEFAULTS.maxIterations;
  const tolerance = options.tolerance ?? TRAIN_DEFAULTS.tolerance;
  const featureNames = options.featureNames ?? defaultFeatureNames(f);
  if (featureNames.length !== f) throw new TrainingError('TRAINING_INPUT_INVALID', `featureNames: ${featureNames.length}, cols: ${f}`);

  let positives = 0;
  for (let i = 0; i < n; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new TrainingError('TRAINING_INPUT_INVALID', `label at row ${i} is ${y[i]}, expected 0 or 1`);
    positives += y[i];
  }
  const classWeights = resolveClassWeights(options.classWeight, n, positives);

  // Standardize; constants rounded to float32 up front so every scorer (TS reference, ONNX) uses the same numbers.
  const mean = new Float64Array(f);
  const std = new Float64Array(f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j] += X.data[i * f + j];
  for (let j = 0; j < f; j++) mean[j] = fround(mean[j] / n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) {
      const d = X.data[i * f + j] - mean[j];
      std[j] += d * d;
    }
  }
  for (let j = 0; j < f; j++) {
    const s = sqrt(std[j] / n);
    // A constant column carries no information; std 1 keeps it inert instead of dividing by zero.
    std[j] = fround(s > 1e-12 && isFiniteNumber(s) ? s : 1);
  }
  const z = new Float64Array(n * f);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) {
      const v = (X.data[i * f + j] - mean[j]) / std[j];
      if (!isFiniteNumber(v)) throw new TrainingError('TRAINING_INPUT_INVALID', `non-finite feature at row ${i}, col ${j}`);
      z[i * f + j] = v;
    }
  }
  const w = new Float64Array(n);
  let totalWeight = 0;
  for (let i = 0; i < n; i++) totalWeight += w[i] = y[i] === 1 ? classWeights.positive : classWeights.negative;

  const k = f + 1; // parameter 0 is the intercept
  const beta = new Float64Array(k);
  // Start at the weighted base rate: the first Newton step then only has to learn the features.
  const posWeight = positives * classWeights.positive;
  beta[0] = log(max(posWeight, 1e-12) / max(totalWeight - posWeight, 1e-12));

  const lossAt = (b: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      let eta = b[0];
      for (let j = 0, o = i * f; j < f; j++) eta += b[j + 1] * z[o + j];
      s += w[i] * (softplus(eta) - y[i] * eta);
    }
    let pen = 0;
    for (let j = 1; j < k; j++) pen += b[j] * b[j];
    return s / totalWeight + 0.5 * l2 * pen;
  };

  let loss = lossAt(beta);
  const lossHistory = [loss];
  let converged = false;
  let iterations = 0;
  let gradientNorm = Infinity;
  const grad = new Float64Array(k);
  const hess = new Float64Array(k * k);
  const xi = new Float64Array(k);
  xi[0] = 1;
  for (; iterations < maxIterations; ) {
    grad.fill(0);
    hess.fill(0);
    for (let i = 0; i < n; i++) {
      let eta = beta[0];
      const o = i * f;
      for (let j = 0; j < f; j++) {
        xi[j + 1] = z[o + j];
        eta += beta[j + 1] * xi[j + 1];
      }
      const p = sigmoid(eta);
      const r = w[i] * (p - y[i]);
      const h = w[i] * p * (1 - p);
      for (let a = 0; a < k; a++) {
        grad[a] += r * xi[a];
        const ha = h * xi[a];
        for (let b = 0; b <= a; b++) hess[a * k + b] += ha * xi[b];
      }
    }
    for (let a = 0; a < k; a++) {
      grad[a] /= totalWeight;
      for (let b = 0; b <= a; b++) {
        hess[a * k + b] /= totalWeight;
        hess[b * k + a] = hess[a * k + b];
      }
    }
    for (let j = 1; j < k; j++) {
      grad[j] += l2 * beta[j];
      hess[j * k + j] += l2;
    }
    hess[0] += 1e-12; // keeps the intercept pivot positive if all weights vanish
    gradientNorm = sqrt(grad.reduce((s, g) => s + g * g, 0));
    const step = choleskySolve(hess, grad, k);
    if (!step) throw new TrainingError('TRAINING_DIVERGED', `Hessian not positive definite at iteration ${iterations}`);
    const decrement = step.reduce((s, d, a) => s + d * grad[a], 0);
    if (decrement / 2 < tolerance) {
      converged = true;
      break;
    }
    // Backtracking (Armijo): Newton from a poor start on separable-ish data can overshoot.
    let t = 1;
    const candidate = new Float64Array(k);
    let next = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let a = 0; a < k; a++) candidate[a] = beta[a] - t * step[a];
      next = lossAt(candidate);
      if (next <= loss - 1e-4 * t * decrement) break;
      t /= 2;
    }
    if (!(next <= loss)) break; // no progress possible at machine precision: already at the optimum
    beta.set(candidate);
    loss = next;
    lossHistory.push(loss);
    iterations++;
  }
  if (!isFiniteNumber(loss)) throw new TrainingError('TRAINING_DIVERGED', 'loss is not finite');

  return {
    family: 'logreg',
    featureNames: [...featureNames],
    featureSpecVersion: options.featureSpecVersion ?? FEATURE_SPEC_VERSION,
    mean: Array.from(mean),
    std: Array.from(std),
    coef: Array.from(beta.subarray(1), (v) => fround(v)),
    intercept: fround(beta[0]),
    fit: {
      iterations,
      converged,
      loss,
      lossHistory,
      gradientNorm,
      rows: n,
      positives,
      l2,
      classWeights,
      durationMs: performance.now() - started,
    },
  };
}

export const logisticRegressionTrainer: ModelTrainer<LogisticRegressionModel> = {
  family: 'logreg',
  train: trainLogisticRegression,
};

export interface ScoredRows {
  /** P(fraud) per row. */
  probability: Float64Array;
  /** Per-row, per-feature contribution to the logit (standardized value × coefficient), row-major. */
  contributions: Float64Array;
}

/** Reference scorer in float64 (what the ONNX graph computes, up to float32 rounding). */
export function scoreModel(model: TrainedModel, X: FeatureMatrix): ScoredRows {
  const f = model.coef.length;
  if (X.cols !== f) throw new TrainingError('TRAINING_INPUT_INVALID', `model has ${f} features, matrix ${X.cols}`);
  const probability = new Float64Array(X.rows);
  const contributions = new Float64Array(X.rows * f);
  for (let i = 0; i < X.rows; i++) {
    let eta = model.intercept;
    for (let j = 0; j < f; j++) {
      const c = ((X.data[i * f + j] - model.mean[j]) / model.std[j]) * model.coef[j];
      contributions[i * f + j] = c;
      eta += c;
    }
    probability[i] = sigmoid(eta);
  }
  return { probability, contributions };
}

/**
 * Float32 mirror of the ONNX graph (Sub, Div, Mul in float32; logit summed in float32). Parity tests compare ORT
 * against this; tolerance then only has to cover summation order and the sigmoid implementation.
 */
export function scoreModelFloat32(model: TrainedModel, X: FeatureMatrix): { probability: Float32Array; contributions: Float32Array } {
  const f = model.coef.length;
  const fr = fround;
  const probability = new Float32Array(X.rows);
  const contributions = new Float32Array(X.rows * f);
  for (let i = 0; i < X.rows; i++) {
    let eta = 0;
    for (let j = 0; j < f; j++) {
      const zj = fr(fr(fr(X.data[i * f + j]) - fr(model.mean[j])) / fr(model.std[j]));
      contributions[i * f + j] = fr(zj * fr(model.coef[j]));
      eta = fr(eta + fr(zj * fr(model.coef[j])));
    }
    probability[i] = sigmoid(fr(eta + fr(model.intercept)));
  }
  return { probability, contributions };
}

export function predictProbability(model: TrainedModel, X: FeatureMatrix): Float64Array {
  return scoreModel(model, X).probability;
}
