// Data drift: compares a current window of feature vectors (and model scores) with a reference profile taken from
// the training set. Defaults follow Evidently's data-drift preset, adapted:
//   - small windows (≤ 1000 rows): statistical tests, drift when p < 0.05
//       numeric → two-sample Kolmogorov–Smirnov;  binary / categorical → chi-squared (2×k homogeneity)
//   - large windows (> 1000 rows): distances, because with many rows every test rejects on negligible shifts
//       numeric → PSI ≥ 0.1 (Evidently defaults to Wasserstein; PSI is cheaper, bounded by bins and its 0.1 / 0.25
//       bands are the industry's usual "moderate / major shift" reading);  categorical → Jensen–Shannon distance ≥ 0.1
//   - dataset drift when ≥ 50 % of the checked features drift.
// Evidently switches on the reference size; we switch on the current window size, since our reference (a training
// set) is always large and it is the window that makes a test noisy or over-powered.
// Hour-of-day features are seasonal: a window shorter than a day always "drifts" on them, so they are excluded from
// the check unless asked for.

import { PAYMENT_FEATURES, type FeatureType } from '../features/payment-features';
import type { FeatureMatrix } from './matrix';

// Local aliases: hot loops then skip global lookups, which are slow inside Jest 30's sandboxed global object.
const { PI, abs, exp, floor, log, max, min, sin, sqrt } = Math;

export const SEASONAL_FEATURES: readonly string[] = ['hour_sin', 'hour_cos'];

export interface DriftFeatureSpec {
  name: string;
  type: FeatureType;
}

export interface NumericProfile {
  kind: 'numeric';
  name: string;
  /** Column in the feature matrix. */
  index: number;
  /** Interior cut points (ascending, unique) of the PSI bins: (-∞, e0], (e0, e1], …, (e_last, ∞). */
  edges: number[];
  /** Reference share per bin (edges.length + 1 entries). */
  proportions: number[];
  /** Sorted reference sample (evenly spaced order statistics) for KS. */
  sample: number[];
}

export interface CategoricalProfile {
  kind: 'categorical';
  name: string;
  index: number;
  categories: number[];
  counts: number[];
}

export type FeatureProfile = NumericProfile | CategoricalProfile;

export interface ReferenceProfile {
  rows: number;
  features: FeatureProfile[];
  /** Profile of the model's scores on the reference, for prediction drift. */
  prediction: NumericProfile | null;
}

export interface ProfileOptions {
  /** Column definitions, in matrix order; default the payment feature spec. */
  features?: readonly DriftFeatureSpec[];
  /** Model scores on the reference rows (e.g. holdout predictions). */
  scores?: ArrayLike<number>;
  /** PSI bins; default 10 (deciles). */
  bins?: number;
  /** Reference sample kept for KS; default 2000 (enough for windows ≤ 1000 rows, small enough to store as JSON). */
  sampleSize?: number;
}

export type DriftStatisticName = 'ks_p_value' | 'chi2_p_value' | 'psi' | 'jensen_shannon_distance';

export interface FeatureDrift {
  name: string;
  statisticName: DriftStatisticName;
  statistic: number;
  threshold: number;
  drifted: boolean;
}

export interface DriftReport {
  features: FeatureDrift[];
  predictionDrift: FeatureDrift | null;
  /** Share of checked features that drifted. */
  share: number;
  datasetDrift: boolean;
  /** Rows in the current window. */
  rows: number;
  referenceRows: number;
  method: 'tests' | 'distances';
  driftShareThreshold: number;
}

export interface DriftOptions {
  /** Current window scores (same model as the reference scores) for prediction drift. */
  scores?: ArrayLike<number>;
  /** Feature names to leave out; default SEASONAL_FEATURES. */
  exclude?: readonly string[];
  /** Windows up to this many rows use statistical tests; default 1000. */
  smallSampleMaxRows?: number;
  /** Force tests or distances regardless of window size. */
  method?: 'tests' | 'distances';
  pValueThreshold?: number;
  psiThreshold?: number;
  jensenShannonThreshold?: number;
  /** Dataset drift when at least this share of features drift; default 0.5. */
  driftShare?: number;
}

export class DriftInputError extends Error {
  readonly code = 'DRIFT_INPUT_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'DriftInputError';
  }
}

const PSI_EPSILON = 1e-4;

function column(m: FeatureMatrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0, k = j; i < m.rows; i++, k += m.cols) out[i] = m.data[k];
  return out;
}

function numericProfile(name: string, index: number, values: Float64Array, bins: number, sampleSize: number): NumericProfile {
  const sorted = values.slice().sort();
  const n = sorted.length;
  const edges: number[] = [];
  for (let q = 1; q < bins; q++) {
    const e = sorted[min(n - 1, floor((q * n) / bins))];
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  const counts = binCounts(sorted, edges);
  const k = min(n, sampleSize);
  const sample: number[] = new Array(k);
  for (let i = 0; i < k; i++) sample[i] = sorted[k === n ? i : floor(((i + 0.5) * n) / k)];
  return { kind: 'numeric', name, index, edges, proportions: Array.from(counts, (c) => c / n), sample };
}

function binCounts(values: ArrayLike<number>, edges: readonly number[]): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    // Number of edges strictly below x = bin index with right-closed bins.
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]++;
  }
  return counts;
}

function categoricalCounts(values: ArrayLike<number>): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length; i++) counts.set(values[i], (counts.get(values[i]) ?? 0) + 1);
  return counts;
}

/** Profile of a reference data set (typically the training set), JSON-serializable for storage. */
export function buildReferenceProfile(X: FeatureMatrix, options: ProfileOptions = {}): ReferenceProfile {
  const specs = options.features ?? PAYMENT_FEATURES;
  if (specs.length !== X.cols) throw new DriftInputError(`${specs.length} feature definitions for ${X.cols} columns`);
  if (X.rows === 0) throw new DriftInputError('reference has no rows');
  const bins = options.bins ?? 10;
  const sampleSize = options.sampleSize ?? 2000;
  const features = specs.map((spec, j): FeatureProfile => {
    const values = column(X, j);
    if (spec.type === 'numeric') return numericProfile(spec.name, j, values, bins, sampleSize);
    const counts = [...categoricalCounts(values).entries()].sort((a, b) => a[0] - b[0]);
    return { kind: 'categorical', name: spec.name, index: j, categories: counts.map((c) => c[0]), counts: counts.map((c) => c[1]) };
  });
  let prediction: NumericProfile | null = null;
  if (options.scores) {
    if (options.scores.length !== X.rows) throw new DriftInputError(`${options.scores.length} scores for ${X.rows} rows`);
    prediction = numericProfile('prediction', -1, Float64Array.from(options.scores), bins, sampleSize);
  }
  return { rows: X.rows, features, prediction };
}

// ---- statistics -------------------------------------------------------------------------------------------------

/** Population stability index of current values against reference bins. */
export function psi(profile: NumericProfile, values: ArrayLike<number>): number {
  const counts = binCounts(values, profile.edges);
  let s = 0;
  for (let b = 0; b < counts.length; b++) {
    const r = max(profile.proportions[b], PSI_EPSILON);
    const c = max(counts[b] / values.length, PSI_EPSILON);
    s += (c - r) * log(c / r);
  }
  return s;
}

/** Two-sample KS statistic D on sorted inputs (ties handled by stepping over equal values together). */
export function ksStatistic(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): number {
  const n = sortedA.length;
  const m = sortedB.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = min(sortedA[i], sortedB[j]);
    while (i < n && sortedA[i] === v) i++;
    while (j < m && sortedB[j] === v) j++;
    d = max(d, abs(i / n - j / m));
  }
  return d;
}

/** Survival function of the Kolmogorov distribution, Q(λ) = P(K > λ). */
export function kolmogorovQ(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 1.18) {
    // Small-λ series converges fast where the alternating one does not.
    const y = exp((-PI * PI) / (8 * lambda * lambda));
    let s = 0;
    for (let k = 1; k <= 7; k += 2) s += y ** (k * k);
    return min(1, max(0, 1 - (sqrt(2 * PI) / lambda) * s));
  }
  let s = 0;
  for (let j = 1; j <= 100; j++) {
    const term = exp(-2 * j * j * lambda * lambda);
    s += j % 2 === 1 ? term : -term;
    if (term < 1e-16) break;
  }
  return min(1, max(0, 2 * s));
}

/** Asymptotic p-value of the two-sample KS test (Stephens' small-sample correction). */
export function ksPValue(d: number, n: number, m: number): number {
  const en = sqrt((n * m) / (n + m));
  return kolmogorovQ((en + 0.12 + 0.11 / en) * d);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function lnGamma(x: number): number {
  if (x < 0.5) return log(PI / abs(sin(PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * log(2 * PI) + (z + 0.5) * log(t) - t + log(a);
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a): series below a+1, continued fraction above. */
export function regularizedGammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const gln = lnGamma(a);
  if (x < a + 1) {
    let ap = a;
    let sum = 1 / a;
    let del = sum;
    for (let n = 0; n < 1000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (abs(del) < abs(sum) * 1e-15) break;
    }
    return max(0, 1 - sum * exp(-x + a * log(x) - gln));
  }
  // Modified Lentz continued fraction.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (abs(del - 1) < 1e-15) break;
  }
  return min(1, exp(-x + a * log(x) - gln) * h);
}

/** p-value of a chi-squared statistic with `df` degrees of freedom. */
export function chiSquaredPValue(statistic: number, df: number): number {
  if (df <= 0) return 1;
  return regularizedGammaQ(df / 2, statistic / 2);
}

function alignCategories(profile: CategoricalProfile, values: ArrayLike<number>): { ref: number[]; cur: number[] } {
  const current = categoricalCounts(values);
  const keys = new Set<number>([...profile.categories, ...current.keys()]);
  const refMap = new Map(profile.categories.map((c, i) => [c, profile.counts[i]]));
  const ref: number[] = [];
  const cur: number[] = [];
  for (const k of keys) {
    ref.push(refMap.get(k) ?? 0);
    cur.push(current.get(k) ?? 0);
  }
  return { ref, cur };
}

/** Chi-squared test of homogeneity between reference and current category counts; returns the p-value. */
export function chiSquaredHomogeneity(ref: readonly number[], cur: readonly number[]): { statistic: number; df: number; pValue: number } {
  const nr = ref.reduce((a, b) => a + b, 0);
  const nc = cur.reduce((a, b) => a + b, 0);
  const total = nr + nc;
  let statistic = 0;
  let used = 0;
  for (let k = 0; k < ref.length; k++) {
    const col = ref[k] + cur[k];
    if (col === 0) continue;
    used++;
    const er = (nr * col) / total;
    const ec = (nc * col) / total;
    statistic += (ref[k] - er) ** 2 / er + (cur[k] - ec) ** 2 / ec;
  }
  const df = used - 1;
  return { statistic, df, pValue: chiSquaredPValue(statistic, df) };
}

/** Jensen–Shannon distance (sqrt of the divergence, natural log, as scipy's jensenshannon). */
export function jensenShannonDistance(ref: readonly number[], cur: readonly number[]): number {
  const nr = ref.reduce((a, b) => a + b, 0);
  const nc = cur.reduce((a, b) => a + b, 0);
  let js = 0;
  for (let k = 0; k < ref.length; k++) {
    const p = ref[k] / nr;
    const q = cur[k] / nc;
    const m = (p + q) / 2;
    if (p > 0) js += 0.5 * p * log(p / m);
    if (q > 0) js += 0.5 * q * log(q / m);
  }
  return sqrt(max(0, js));
}

// ---- report -----------------------------------------------------------------------------------------------------

function numericDrift(profile: NumericProfile, values: Float64Array, useTests: boolean, o: Required<Pick<DriftOptions, 'pValueThreshold' | 'psiThreshold'>>): FeatureDrift {
  if (useTests) {
    const sorted = values.slice().sort();
    const p = ksPValue(ksStatistic(profile.sample, sorted), profile.sample.length, sorted.length);
    return { name: profile.name, statisticName: 'ks_p_value', statistic: p, threshold: o.pValueThreshold, drifted: p < o.pValueThreshold };
  }
  const s = psi(profile, values);
  return { name: profile.name, statisticName: 'psi', statistic: s, threshold: o.psiThreshold, drifted: s >= o.psiThreshold };
}

/** Compares a current window with the reference profile. Pure; the caller stores the report. */
export function detectDrift(reference: ReferenceProfile, current: FeatureMatrix, options: DriftOptions = {}): DriftReport {
  if (current.rows === 0) throw new DriftInputError('current window has no rows');
  const maxIndex = max(...reference.features.map((f) => f.index));
  if (current.cols <= maxIndex) throw new DriftInputError(`current has ${current.cols} columns, profile needs ${maxIndex + 1}`);
  const exclude = new Set(options.exclude ?? SEASONAL_FEATURES);
  const useTests = options.method ? options.method === 'tests' : current.rows <= (options.smallSampleMaxRows ?? 1000);
  const thresholds = {
    pValueThreshold: options.pValueThreshold ?? 0.05,
    psiThreshold: options.psiThreshold ?? 0.1,
  };
  const jsThreshold = options.jensenShannonThreshold ?? 0.1;
  const driftShare = options.driftShare ?? 0.5;

  const features: FeatureDrift[] = [];
  for (const profile of reference.features) {
    if (exclude.has(profile.name)) continue;
    const values = column(current, profile.index);
    if (profile.kind === 'numeric') {
      features.push(numericDrift(profile, values, useTests, thresholds));
      continue;
    }
    const { ref, cur } = alignCategories(profile, values);
    if (useTests) {
      const { pValue } = chiSquaredHomogeneity(ref, cur);
      features.push({ name: profile.name, statisticName: 'chi2_p_value', statistic: pValue, threshold: thresholds.pValueThreshold, drifted: pValue < thresholds.pValueThreshold });
    } else {
      const d = jensenShannonDistance(ref, cur);
      features.push({ name: profile.name, statisticName: 'jensen_shannon_distance', statistic: d, threshold: jsThreshold, drifted: d >= jsThreshold });
    }
  }

  let predictionDrift: FeatureDrift | null = null;
  if (reference.prediction && options.scores) {
    if (options.scores.length !== current.rows) throw new DriftInputError(`${options.scores.length} scores for ${current.rows} rows`);
    predictionDrift = numericDrift(reference.prediction, Float64Array.from(options.scores), useTests, thresholds);
  }
  const drifted = features.filter((f) => f.drifted).length;
  const share = features.length > 0 ? drifted / features.length : 0;
  return {
    features,
    predictionDrift,
    share,
    datasetDrift: features.length > 0 && share >= driftShare,
    rows: current.rows,
    referenceRows: reference.rows,
    method: useTests ? 'tests' : 'distances',
    driftShareThreshold: driftShare,
  };
}
