// The loop's judgements, as pure functions of measured metrics and configured thresholds: the validation gate,
// the shadow verdict and the post-promotion regression check. Activities measure; these decide.

import { isLowerBetter, type LearningLoopConfig, type QualityMetricName } from './config';
import type { ComparisonVerdict, EvaluateHoldoutResult, GateResult, PairedComparison, QualityMetrics } from './types';

export function metricValue(m: QualityMetrics | null | undefined, name: QualityMetricName): number | null {
  if (!m) return null;
  const v = m[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** candidate − baseline on `name`, sign-adjusted so that positive always means the candidate is better. */
export function improvement(name: QualityMetricName, candidate: QualityMetrics | null | undefined, baseline: QualityMetrics | null | undefined): number | null {
  const c = metricValue(candidate, name);
  const b = metricValue(baseline, name);
  if (c === null || b === null) return null;
  return isLowerBetter(name) ? b - c : c - b;
}

const fmt = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(4));
const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(4)}`;

/** Challenger vs champion on the same holdout. A worse (or unmeasurable) challenger does not pass. */
export function decideGate(measured: EvaluateHoldoutResult, championVersion: string | null, gate: LearningLoopConfig['gate']): GateResult {
  const reasons: string[] = [];
  const { metric } = gate;
  let passed = true;
  const fail = (reason: string) => {
    passed = false;
    reasons.push(reason);
  };
  if (measured.holdoutRows < gate.minHoldoutRows) fail(`holdout has ${measured.holdoutRows} rows, the gate needs ${gate.minHoldoutRows}`);
  if (measured.holdoutPositives < gate.minHoldoutPositives) {
    fail(`holdout has ${measured.holdoutPositives} fraud labels, the gate needs ${gate.minHoldoutPositives}`);
  }
  const challengerValue = metricValue(measured.challenger, metric);
  let delta: number | null = null;
  if (challengerValue === null) {
    fail(`challenger ${metric} is undefined on the holdout`);
  } else if (measured.champion === null) {
    if (gate.minMetric !== null) {
      const ok = isLowerBetter(metric) ? challengerValue <= gate.minMetric : challengerValue >= gate.minMetric;
      if (ok) reasons.push(`no champion: challenger ${metric} ${fmt(challengerValue)} meets the floor ${gate.minMetric}`);
      else fail(`no champion: challenger ${metric} ${fmt(challengerValue)} misses the floor ${gate.minMetric}`);
    } else reasons.push(`no champion: challenger ${metric} ${fmt(challengerValue)} (no floor configured)`);
  } else {
    delta = improvement(metric, measured.challenger, measured.champion);
    const championValue = metricValue(measured.champion, metric);
    if (delta === null) {
      fail(`champion ${metric} is undefined on the holdout`);
    } else if (delta < gate.minImprovement) {
      fail(`challenger ${metric} ${fmt(challengerValue)} vs champion ${fmt(championValue)}: ${signed(delta)} < required ${signed(gate.minImprovement)}`);
    } else {
      reasons.push(`challenger ${metric} ${fmt(challengerValue)} vs champion ${fmt(championValue)}: ${signed(delta)} ≥ required ${signed(gate.minImprovement)}`);
    }
    if (gate.maxLogLossIncrease !== null) {
      const c = metricValue(measured.challenger, 'logLoss');
      const b = metricValue(measured.champion, 'logLoss');
      if (c !== null && b !== null && c - b > gate.maxLogLossIncrease) {
        fail(`challenger log loss ${fmt(c)} exceeds the champion's ${fmt(b)} by more than ${gate.maxLogLossIncrease}`);
      }
    }
  }
  return {
    passed,
    metric,
    improvement: delta,
    reasons,
    holdoutRows: measured.holdoutRows,
    holdoutPositives: measured.holdoutPositives,
    challenger: measured.challenger,
    champion: measured.champion,
    championVersion,
    asOf: measured.asOf,
  };
}

export interface ComparisonJudgement {
  verdict: ComparisonVerdict;
  /** secondary − primary (sign-adjusted, positive = secondary better); null when not measurable. */
  improvement: number | null;
  reason: string;
}

/**
 * Judges the shadowing model (`secondary`) against the deciding one (`primary`) on the same labelled payments.
 * Fewer than `minSamples` labelled pairs, or a metric undefined on them, is inconclusive.
 */
export function judgePaired(cmp: PairedComparison | undefined, metric: QualityMetricName, minSamples: number, tolerance: number): ComparisonJudgement {
  if (!cmp || cmp.samples < minSamples) {
    return { verdict: 'inconclusive', improvement: null, reason: `${cmp?.samples ?? 0} labelled paired samples, ${minSamples} needed` };
  }
  const delta = improvement(metric, cmp.secondary, cmp.primary);
  if (delta === null) return { verdict: 'inconclusive', improvement: null, reason: `${metric} undefined on ${cmp.samples} samples (one class only?)` };
  const text = `${cmp.secondaryVersion} vs ${cmp.primaryVersion} on ${cmp.samples} paired samples: ${metric} ${signed(delta)}`;
  if (delta < -tolerance) return { verdict: 'worse', improvement: delta, reason: `${text} (tolerance ${tolerance})` };
  return { verdict: delta > 0 ? 'better' : 'not-worse', improvement: delta, reason: text };
}

/**
 * Post-promotion check: the new champion (`primary`) against the previous one, now shadowing (`secondary`). A
 * regression is the previous champion being better by more than `maxRegression` on enough samples.
 */
export function judgeWatch(cmp: PairedComparison | undefined, watch: LearningLoopConfig['watch']): ComparisonJudgement & { regression: boolean } {
  const j = judgePaired(cmp, watch.metric, watch.minLabeledSamples, 0);
  if (j.improvement === null) return { ...j, regression: false };
  // improvement here is previous − new (positive = previous better); a regression is the new one being worse.
  const newOverOld = -j.improvement;
  const regression = newOverOld < -watch.maxRegression;
  const verdict: ComparisonVerdict = regression ? 'worse' : newOverOld > 0 ? 'better' : 'not-worse';
  return {
    verdict,
    improvement: newOverOld,
    regression,
    reason: `new champion ${cmp?.primaryVersion} vs previous ${cmp?.secondaryVersion} on ${cmp?.samples} paired samples: ${watch.metric} ${signed(newOverOld)}${
      regression ? ` (regression beyond ${watch.maxRegression})` : ''
    }`,
  };
}
