// Synthetic data for the drift comparison: a reference and a current window of `features` columns, some of them
// shifted on purpose: clearly, negligibly, not at all, and graded around the 0.1 threshold of PSI / Jensen–Shannon
// (statistics ≈ 0.06–0.16), where two implementations' binning decides the verdict — so "verdicts equal" means
// something. Deterministic per seed; pure.
import type { DriftFeatureSpec } from '../../src/model/drift';
import type { FeatureMatrix } from '../../src/model/matrix';
import { createRng, type Rng } from '../../src/model/prng';

export interface DriftColumn extends DriftFeatureSpec {
  /** What was done to the current window (for the report), '' when nothing. */
  injected: string;
}

export interface DriftDataset {
  columns: DriftColumn[];
  reference: FeatureMatrix;
  current: FeatureMatrix;
}

type Draw = (rng: Rng, drifted: boolean) => number;

interface Recipe {
  type: DriftColumn['type'];
  injected: string;
  draw: Draw;
}

const categorical = (weights: number[], shifted?: number[]): Draw => (rng, drifted) => {
  const w = drifted && shifted ? shifted : weights;
  const total = w.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let k = 0; k < w.length; k++) {
    u -= w[k];
    if (u < 0) return k;
  }
  return w.length - 1;
};

/**
 * A cycle of column recipes: unchanged columns of several shapes, clear shifts, shifts too small to matter, and shifts
 * graded around the threshold (mainspring's PSI of a normal mean shift of δ σ is ≈ 0.95 δ² with decile bins).
 */
const RECIPES: Recipe[] = [
  { type: 'numeric', injected: '', draw: (r) => r.normal() },
  { type: 'numeric', injected: 'mean +0.5 σ', draw: (r, d) => r.normal() + (d ? 0.5 : 0) },
  { type: 'numeric', injected: '', draw: (r) => Math.exp(r.normal() * 0.8 + 3) },
  { type: 'numeric', injected: 'scale ×2 (log-normal amounts)', draw: (r, d) => Math.exp(r.normal() * 0.8 + 3) * (d ? 2 : 1) },
  { type: 'numeric', injected: '', draw: (r) => r.exponential(2) },
  { type: 'numeric', injected: 'mean +0.02 σ (negligible)', draw: (r, d) => r.normal() + (d ? 0.02 : 0) },
  { type: 'numeric', injected: '', draw: (r) => r.next() * 100 },
  { type: 'binary', injected: 'rate 0.10 → 0.25', draw: (r, d) => (r.bernoulli(d ? 0.25 : 0.1) ? 1 : 0) },
  { type: 'numeric', injected: '', draw: (r) => r.int(20) },
  { type: 'categorical-encoded', injected: '', draw: categorical([5, 3, 2, 1]) },
  { type: 'numeric', injected: 'spread ×1.6', draw: (r, d) => r.normal() * (d ? 1.6 : 1) },
  { type: 'binary', injected: '', draw: (r) => (r.bernoulli(0.3) ? 1 : 0) },
  { type: 'numeric', injected: 'mean +0.25 σ (graded: PSI ≈ 0.06)', draw: (r, d) => (r.normal() + (d ? 0.25 : 0)) * 10 + 50 },
  { type: 'categorical-encoded', injected: 'mix shifted to the rare categories', draw: categorical([5, 3, 2, 1], [1, 2, 3, 5]) },
  { type: 'numeric', injected: 'mean +0.3 σ (graded: PSI ≈ 0.08)', draw: (r, d) => r.normal() + (d ? 0.3 : 0) },
  { type: 'numeric', injected: 'mean +1 σ', draw: (r, d) => r.normal() + (d ? 1 : 0) },
  { type: 'numeric', injected: 'log mean +0.35 σ (graded: PSI ≈ 0.115)', draw: (r, d) => Math.exp(r.normal() + (d ? 0.35 : 0)) },
  { type: 'binary', injected: 'rate 0.10 → 0.18 (graded: JS ≈ 0.08)', draw: (r, d) => (r.bernoulli(d ? 0.18 : 0.1) ? 1 : 0) },
  { type: 'numeric', injected: 'mean +0.4 σ (graded: PSI ≈ 0.15)', draw: (r, d) => (r.normal() + (d ? 0.4 : 0)) * 0.1 },
  { type: 'categorical-encoded', injected: 'mix shifted slightly (graded: JS ≈ 0.12)', draw: categorical([1, 1, 1, 1, 1, 1], [1.5, 1.3, 1, 1, 0.7, 0.5]) },
];

export function driftDataset(options: { rows: number; features: number; seed: number; currentRows?: number }): DriftDataset {
  const cols = options.features;
  const columns: DriftColumn[] = Array.from({ length: cols }, (_, j) => {
    const recipe = RECIPES[j % RECIPES.length];
    return { name: `f${String(j).padStart(2, '0')}`, type: recipe.type, injected: recipe.injected };
  });
  const fill = (rows: number, drifted: boolean, rng: Rng): FeatureMatrix => {
    const data = new Float32Array(rows * cols);
    for (let j = 0; j < cols; j++) {
      const draw = RECIPES[j % RECIPES.length].draw;
      const col = rng.fork(j + 1);
      for (let i = 0; i < rows; i++) data[i * cols + j] = draw(col, drifted);
    }
    return { data, rows, cols };
  };
  const rng = createRng(options.seed);
  return { columns, reference: fill(options.rows, false, rng.fork(101)), current: fill(options.currentRows ?? options.rows, true, rng.fork(202)) };
}
