// Offline quality metrics for a binary scorer. Plain implementations matching scikit-learn's definitions
// (roc_auc_score, average_precision_score, log_loss), so numbers are comparable with the usual tooling.

// Local aliases: hot loops then skip global lookups, which are slow inside Jest 30's sandboxed global object.
const { abs, floor, log, max, min } = Math;

/** Decision threshold of the payment saga: score > threshold → FLAG. */
export const DEFAULT_DECISION_THRESHOLD = 0.85;

export interface ThresholdMetrics {
  threshold: number;
  /** Rows with score > threshold. */
  flagged: number;
  truePositives: number;
  /** tp / flagged; 0 when nothing is flagged. */
  precision: number;
  /** tp / positives; 0 when there are no positives. */
  recall: number;
  falsePositiveRate: number;
}

export interface ModelMetrics {
  rows: number;
  positives: number;
  rocAuc: number;
  /** Average precision (area under the precision-recall curve, step-wise). */
  prAuc: number;
  logLoss: number;
  brier: number;
  /** Expected calibration error over 10 equal-width bins. */
  ece: number;
  /** At DEFAULT_DECISION_THRESHOLD (0.85). */
  atDecisionThreshold: ThresholdMetrics;
  /** At the threshold asked for (same as above unless configured). */
  atThreshold: ThresholdMetrics;
}

export class MetricsInputError extends Error {
  readonly code = 'METRICS_INPUT_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'MetricsInputError';
  }
}

type Scores = ArrayLike<number>;
type Labels = ArrayLike<number>;

function check(scores: Scores, labels: Labels): void {
  if (scores.length !== labels.length) throw new MetricsInputError(`scores: ${scores.length}, labels: ${labels.length}`);
}

function countPositives(labels: Labels): number {
  let p = 0;
  for (let i = 0; i < labels.length; i++) p += labels[i] === 1 ? 1 : 0;
  return p;
}

function orderBy(scores: Scores, descending: boolean): Uint32Array {
  const idx = new Uint32Array(scores.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  const s = Float64Array.from(scores);
  return idx.sort(descending ? (a, b) => s[b] - s[a] : (a, b) => s[a] - s[b]);
}

/** ROC-AUC via the Mann-Whitney U statistic with average ranks for ties. NaN when a class is absent. */
export function rocAuc(scores: Scores, labels: Labels): number {
  check(scores, labels);
  const n = scores.length;
  const pos = countPositives(labels);
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  const order = orderBy(scores, false);
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let m = i; m <= j; m++) if (labels[order[m]] === 1) rankSumPos += avgRank;
    i = j + 1;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Average precision: Σ (R_k − R_{k−1}) · P_k over distinct score thresholds, descending. */
export function averagePrecision(scores: Scores, labels: Labels): number {
  check(scores, labels);
  const pos = countPositives(labels);
  if (pos === 0) return NaN;
  const order = orderBy(scores, true);
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && scores[order[j]] === scores[order[i]]) {
      if (labels[order[j]] === 1) tp++;
      else fp++;
      j++;
    }
    const recall = tp / pos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
    i = j;
  }
  return ap;
}

export function logLoss(scores: Scores, labels: Labels, eps = 1e-15): number {
  check(scores, labels);
  let s = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = min(1 - eps, max(eps, scores[i]));
    s -= labels[i] === 1 ? log(p) : log(1 - p);
  }
  return s / scores.length;
}

export function brierScore(scores: Scores, labels: Labels): number {
  check(scores, labels);
  let s = 0;
  for (let i = 0; i < scores.length; i++) s += (scores[i] - labels[i]) ** 2;
  return s / scores.length;
}

/** Expected calibration error: Σ_bins (n_b / n) · |mean score − fraud rate| over equal-width bins. */
export function expectedCalibrationError(scores: Scores, labels: Labels, bins = 10): number {
  check(scores, labels);
  const count = new Float64Array(bins);
  const sumScore = new Float64Array(bins);
  const sumLabel = new Float64Array(bins);
  for (let i = 0; i < scores.length; i++) {
    const b = min(bins - 1, max(0, floor(scores[i] * bins)));
    count[b]++;
    sumScore[b] += scores[i];
    sumLabel[b] += labels[i];
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b] > 0) ece += abs(sumScore[b] - sumLabel[b]) / scores.length;
  return ece;
}

export function thresholdMetrics(scores: Scores, labels: Labels, threshold: number): ThresholdMetrics {
  check(scores, labels);
  let flagged = 0;
  let tp = 0;
  let pos = 0;
  for (let i = 0; i < scores.length; i++) {
    const isPos = labels[i] === 1;
    if (isPos) pos++;
    if (scores[i] > threshold) {
      flagged++;
      if (isPos) tp++;
    }
  }
  const neg = scores.length - pos;
  return {
    threshold,
    flagged,
    truePositives: tp,
    precision: flagged > 0 ? tp / flagged : 0,
    recall: pos > 0 ? tp / pos : 0,
    falsePositiveRate: neg > 0 ? (flagged - tp) / neg : 0,
  };
}

export function evaluateScores(scores: Scores, labels: Labels, options: { threshold?: number } = {}): ModelMetrics {
  check(scores, labels);
  const threshold = options.threshold ?? DEFAULT_DECISION_THRESHOLD;
  return {
    rows: scores.length,
    positives: countPositives(labels),
    rocAuc: rocAuc(scores, labels),
    prAuc: averagePrecision(scores, labels),
    logLoss: logLoss(scores, labels),
    brier: brierScore(scores, labels),
    ece: expectedCalibrationError(scores, labels),
    atDecisionThreshold: thresholdMetrics(scores, labels, DEFAULT_DECISION_THRESHOLD),
    atThreshold: thresholdMetrics(scores, labels, threshold),
  };
}
