// Per-model configuration of the learning loop: what callers may pass (every field optional, durations as "7d" or
// milliseconds) and the resolved form the workflow runs on (every field set, durations in milliseconds). Pure.

import type { QualityMetricName } from '../../schemas/learning';
import { parseDurationMs, type DurationInput } from './duration';

export type { QualityMetricName };

/** Quality measure compared between models. rocAuc / prAuc: higher is better; logLoss / brier: lower is better. */
export const QUALITY_METRICS: readonly QualityMetricName[] = ['prAuc', 'rocAuc', 'logLoss', 'brier'];

export interface LearningLoopConfigInput {
  triggers?: {
    /** Retrain after this many new labels since the last training; 0 disables the volume trigger. Default 1000. */
    volumeLabels?: number;
    /** Retrain when the champion (or the last training) is older than this; null disables. Default "7d". */
    maxChampionAge?: DurationInput | null;
    /** No automatic cycle starts within this time after the previous cycle ended. Default "6h". */
    cooldown?: DurationInput;
  };
  drift?: {
    /** Periodic drift check of the champion against its training reference; null disables. Default "1h". */
    checkInterval?: DurationInput | null;
    /** Window of logged feature vectors a check looks at. Default "24h". */
    window?: DurationInput;
    /** A window with fewer rows is not checked. Default 200. */
    minRows?: number;
  };
  training?: {
    /** Only payments whose event time is within this of the cycle's as-of time; null = all. Default "90d". */
    lookback?: DurationInput | null;
    /** Most recent labelled rows used. Default 200000. */
    maxRows?: number;
    /** A cycle with fewer labelled rows (or fraud labels) ends as insufficient-data. Defaults 500 / 10. */
    minRows?: number;
    minPositives?: number;
    /** Share of payments (by stable hash of the payment id) held out for the gate. Default 0.2. */
    holdoutFraction?: number;
    /** L2 penalty of the logistic regression. Default 1e-4. */
    l2?: number;
    classWeight?: 'none' | 'balanced';
  };
  gate?: {
    /** Metric the challenger must not lose on, on the shared holdout. Default "prAuc". */
    metric?: QualityMetricName;
    /** Required improvement of the metric over the champion (negative = tolerated loss). Default 0. */
    minImprovement?: number;
    /** Largest tolerated log-loss increase over the champion (calibration guard); null disables. Default 0.02. */
    maxLogLossIncrease?: number | null;
    minHoldoutRows?: number;
    minHoldoutPositives?: number;
    /** Floor on the metric when there is no champion to compare with. Default 0.5 for AUCs, none for losses. */
    minMetric?: number | null;
  };
  shadow?: {
    /** Shadow ends once this many shadow-scored payments carry a label. Default 500. */
    minLabeledSamples?: number;
    /** …or when this much time has passed. Default "3d". */
    maxDuration?: DurationInput;
    /** How often the paired comparison is refreshed. Default "1h". */
    pollInterval?: DurationInput;
    /** Paired metric, champion vs shadow on the same payments. Default "logLoss". */
    metric?: QualityMetricName;
    /** The shadow fails when it is worse than the champion by more than this. Default 0.01. */
    maxDegradation?: number;
  };
  approval?: {
    /** Who may approve or reject a promotion (compared case-insensitively). Empty: nobody can. Default []. */
    approvers?: string[];
    /** Without a decision by then the candidate is rejected automatically. Default "24h". */
    deadline?: DurationInput;
  };
  watch?: {
    /** Post-promotion window (the previous champion shadows the new one); 0 disables. Default "24h". */
    duration?: DurationInput;
    checkInterval?: DurationInput;
    /** Comparisons on fewer labelled payments are inconclusive (no rollback). Default 200. */
    minLabeledSamples?: number;
    metric?: QualityMetricName;
    /** Roll back when the new champion is worse than the previous one by more than this. Default 0.02. */
    maxRegression?: number;
  };
  /**
   * Optional extra gate before shadow: replay the challenger over the last `hours` of the payments topic (a child
   * replay job) and fail when its AUC is below the champion's decisions of the time by more than `maxAucDrop`.
   * Default null (off).
   */
  backfillGate?: {
    hours: number;
    /** Largest tolerated AUC loss against the champion on the same replayed, labelled payments. Default 0.02. */
    maxAucDrop?: number;
    /** Fewer replayed payments with a decision and a label make the gate inconclusive (it passes). Default 50. */
    minLabeled?: number;
    topic?: string;
  } | null;
  continueAsNew?: {
    /** Continue-as-new after this many cycles in one run. Default 10. */
    afterCycles?: number;
    /** …or when the run's history has this many events (or the server suggests it). Default 20000. */
    maxHistoryEvents?: number;
  };
}

export interface LearningLoopConfig {
  triggers: { volumeLabels: number; maxChampionAgeMs: number | null; cooldownMs: number };
  drift: { checkIntervalMs: number | null; windowMs: number; minRows: number };
  training: {
    lookbackMs: number | null;
    maxRows: number;
    minRows: number;
    minPositives: number;
    holdoutFraction: number;
    l2: number;
    classWeight: 'none' | 'balanced';
  };
  gate: {
    metric: QualityMetricName;
    minImprovement: number;
    maxLogLossIncrease: number | null;
    minHoldoutRows: number;
    minHoldoutPositives: number;
    minMetric: number | null;
  };
  shadow: { minLabeledSamples: number; maxDurationMs: number; pollIntervalMs: number; metric: QualityMetricName; maxDegradation: number };
  approval: { approvers: string[]; deadlineMs: number };
  watch: { durationMs: number; checkIntervalMs: number; minLabeledSamples: number; metric: QualityMetricName; maxRegression: number };
  backfillGate: BackfillGateConfig | null;
  continueAsNew: { afterCycles: number; maxHistoryEvents: number };
}

export interface BackfillGateConfig {
  hours: number;
  maxAucDrop: number;
  minLabeled: number;
  topic: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const DEFAULT_LEARNING_CONFIG: LearningLoopConfig = {
  triggers: { volumeLabels: 1000, maxChampionAgeMs: 7 * DAY, cooldownMs: 6 * HOUR },
  drift: { checkIntervalMs: HOUR, windowMs: DAY, minRows: 200 },
  training: { lookbackMs: 90 * DAY, maxRows: 200_000, minRows: 500, minPositives: 10, holdoutFraction: 0.2, l2: 1e-4, classWeight: 'none' },
  gate: { metric: 'prAuc', minImprovement: 0, maxLogLossIncrease: 0.02, minHoldoutRows: 200, minHoldoutPositives: 5, minMetric: 0.5 },
  shadow: { minLabeledSamples: 500, maxDurationMs: 3 * DAY, pollIntervalMs: HOUR, metric: 'logLoss', maxDegradation: 0.01 },
  approval: { approvers: [], deadlineMs: DAY },
  watch: { durationMs: DAY, checkIntervalMs: HOUR, minLabeledSamples: 200, metric: 'logLoss', maxRegression: 0.02 },
  backfillGate: null,
  continueAsNew: { afterCycles: 10, maxHistoryEvents: 20_000 },
};

/** Smallest polling interval accepted: anything shorter floods the history without new information. */
const MIN_INTERVAL_MS = 1_000;

export class LearningConfigError extends Error {
  readonly code = 'LEARNING_CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid learning loop configuration: ${problems.join('; ')}`);
    this.name = 'LearningConfigError';
  }
}

type Problems = string[];

function duration(problems: Problems, path: string, value: DurationInput | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const ms = parseDurationMs(value);
  if (ms === undefined) {
    problems.push(`${path} must be a duration such as "6h" or a number of milliseconds, got ${JSON.stringify(value)}`);
    return fallback;
  }
  if (ms < min) {
    problems.push(`${path} must be at least ${min} ms, got ${ms}`);
    return fallback;
  }
  return ms;
}

function optionalDuration(problems: Problems, path: string, value: DurationInput | null | undefined, fallback: number | null, min = 0): number | null {
  if (value === null) return null;
  if (value === undefined) return fallback;
  return duration(problems, path, value, fallback ?? 0, min);
}

function int(problems: Problems, path: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    problems.push(`${path} must be a whole number ${range}, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

function num(problems: Problems, path: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    problems.push(`${path} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

function optionalNum(problems: Problems, path: string, value: number | null | undefined, fallback: number | null, min: number, max: number): number | null {
  if (value === null) return null;
  if (value === undefined) return fallback;
  return num(problems, path, value, fallback ?? 0, min, max);
}

function metric(problems: Problems, path: string, value: QualityMetricName | undefined, fallback: QualityMetricName): QualityMetricName {
  if (value === undefined) return fallback;
  if (!QUALITY_METRICS.includes(value)) {
    problems.push(`${path} must be one of ${QUALITY_METRICS.join(', ')}, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

/** Normalized identity for allow-list comparisons. */
export function normalizeIdentity(identity: string): string {
  return identity.trim().toLowerCase();
}

function approvers(problems: Problems, value: string[] | undefined, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.some((a) => typeof a !== 'string' || a.trim() === '' || a.length > 128)) {
    problems.push('approval.approvers must be a list of non-empty identities (at most 128 characters each)');
    return fallback;
  }
  return [...new Set(value.map(normalizeIdentity))];
}

function backfillGate(problems: Problems, value: LearningLoopConfigInput['backfillGate'], fallback: BackfillGateConfig | null): BackfillGateConfig | null {
  if (value === null) return null;
  if (value === undefined) return fallback;
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push('backfillGate must be an object such as { hours: 24, maxAucDrop: 0.02 } or null');
    return fallback;
  }
  if (value.topic !== undefined && (typeof value.topic !== 'string' || value.topic.trim() === '')) problems.push('backfillGate.topic must be a topic name');
  return {
    hours: num(problems, 'backfillGate.hours', value.hours ?? Number.NaN, fallback?.hours ?? 24, 0.01, 24 * 90),
    maxAucDrop: num(problems, 'backfillGate.maxAucDrop', value.maxAucDrop, fallback?.maxAucDrop ?? 0.02, 0, 1),
    minLabeled: int(problems, 'backfillGate.minLabeled', value.minLabeled, fallback?.minLabeled ?? 50, 1),
    topic: typeof value.topic === 'string' && value.topic.trim() !== '' ? value.topic.trim() : (fallback?.topic ?? 'payments.initiated'),
  };
}

/**
 * Layers `input` over `base` (the defaults, or the running configuration for a change) and checks every value.
 * Returns the problems instead of throwing, so validators can answer with all of them at once.
 */
export function resolveLearningConfig(
  input: LearningLoopConfigInput | undefined,
  base: LearningLoopConfig = DEFAULT_LEARNING_CONFIG,
): { config: LearningLoopConfig; problems: string[] } {
  const p: Problems = [];
  const i = input ?? {};
  if (typeof i !== 'object' || i === null || Array.isArray(i)) return { config: base, problems: ['config must be an object'] };
  const gateMetric = metric(p, 'gate.metric', i.gate?.metric, base.gate.metric);
  const config: LearningLoopConfig = {
    triggers: {
      volumeLabels: int(p, 'triggers.volumeLabels', i.triggers?.volumeLabels, base.triggers.volumeLabels, 0),
      maxChampionAgeMs: optionalDuration(p, 'triggers.maxChampionAge', i.triggers?.maxChampionAge, base.triggers.maxChampionAgeMs, MIN_INTERVAL_MS),
      cooldownMs: duration(p, 'triggers.cooldown', i.triggers?.cooldown, base.triggers.cooldownMs),
    },
    drift: {
      checkIntervalMs: optionalDuration(p, 'drift.checkInterval', i.drift?.checkInterval, base.drift.checkIntervalMs, MIN_INTERVAL_MS),
      windowMs: duration(p, 'drift.window', i.drift?.window, base.drift.windowMs, MIN_INTERVAL_MS),
      minRows: int(p, 'drift.minRows', i.drift?.minRows, base.drift.minRows, 1),
    },
    training: {
      lookbackMs: optionalDuration(p, 'training.lookback', i.training?.lookback, base.training.lookbackMs, MIN_INTERVAL_MS),
      maxRows: int(p, 'training.maxRows', i.training?.maxRows, base.training.maxRows, 10, 5_000_000),
      minRows: int(p, 'training.minRows', i.training?.minRows, base.training.minRows, 10),
      minPositives: int(p, 'training.minPositives', i.training?.minPositives, base.training.minPositives, 1),
      holdoutFraction: num(p, 'training.holdoutFraction', i.training?.holdoutFraction, base.training.holdoutFraction, 0.01, 0.9),
      l2: num(p, 'training.l2', i.training?.l2, base.training.l2, 0, 1e3),
      classWeight: i.training?.classWeight ?? base.training.classWeight,
    },
    gate: {
      metric: gateMetric,
      minImprovement: num(p, 'gate.minImprovement', i.gate?.minImprovement, base.gate.minImprovement, -1, 1),
      maxLogLossIncrease: optionalNum(p, 'gate.maxLogLossIncrease', i.gate?.maxLogLossIncrease, base.gate.maxLogLossIncrease, 0, 100),
      minHoldoutRows: int(p, 'gate.minHoldoutRows', i.gate?.minHoldoutRows, base.gate.minHoldoutRows, 1),
      minHoldoutPositives: int(p, 'gate.minHoldoutPositives', i.gate?.minHoldoutPositives, base.gate.minHoldoutPositives, 1),
      minMetric: optionalNum(p, 'gate.minMetric', i.gate?.minMetric, base.gate.minMetric, 0, 100),
    },
    shadow: {
      minLabeledSamples: int(p, 'shadow.minLabeledSamples', i.shadow?.minLabeledSamples, base.shadow.minLabeledSamples, 1),
      maxDurationMs: duration(p, 'shadow.maxDuration', i.shadow?.maxDuration, base.shadow.maxDurationMs, MIN_INTERVAL_MS),
      pollIntervalMs: duration(p, 'shadow.pollInterval', i.shadow?.pollInterval, base.shadow.pollIntervalMs, MIN_INTERVAL_MS),
      metric: metric(p, 'shadow.metric', i.shadow?.metric, base.shadow.metric),
      maxDegradation: num(p, 'shadow.maxDegradation', i.shadow?.maxDegradation, base.shadow.maxDegradation, 0, 100),
    },
    approval: {
      approvers: approvers(p, i.approval?.approvers, base.approval.approvers),
      deadlineMs: duration(p, 'approval.deadline', i.approval?.deadline, base.approval.deadlineMs, MIN_INTERVAL_MS),
    },
    watch: {
      durationMs: duration(p, 'watch.duration', i.watch?.duration, base.watch.durationMs),
      checkIntervalMs: duration(p, 'watch.checkInterval', i.watch?.checkInterval, base.watch.checkIntervalMs, MIN_INTERVAL_MS),
      minLabeledSamples: int(p, 'watch.minLabeledSamples', i.watch?.minLabeledSamples, base.watch.minLabeledSamples, 1),
      metric: metric(p, 'watch.metric', i.watch?.metric, base.watch.metric),
      maxRegression: num(p, 'watch.maxRegression', i.watch?.maxRegression, base.watch.maxRegression, 0, 100),
    },
    backfillGate: backfillGate(p, i.backfillGate, base.backfillGate ?? null),
    continueAsNew: {
      afterCycles: int(p, 'continueAsNew.afterCycles', i.continueAsNew?.afterCycles, base.continueAsNew.afterCycles, 1, 1000),
      maxHistoryEvents: int(p, 'continueAsNew.maxHistoryEvents', i.continueAsNew?.maxHistoryEvents, base.continueAsNew.maxHistoryEvents, 100, 50_000),
    },
  };
  if (i.training?.classWeight !== undefined && i.training.classWeight !== 'none' && i.training.classWeight !== 'balanced') {
    p.push(`training.classWeight must be "none" or "balanced", got ${JSON.stringify(i.training.classWeight)}`);
    config.training.classWeight = base.training.classWeight;
  }
  // An AUC floor makes no sense for a loss; drop the default floor when the metric is a loss and none was given.
  if (i.gate?.minMetric === undefined && i.gate?.metric !== undefined && isLowerBetter(gateMetric)) config.gate.minMetric = null;
  if (config.training.minRows < config.training.minPositives) p.push('training.minRows must be at least training.minPositives');
  return { config, problems: p };
}

export function isLowerBetter(metricName: QualityMetricName): boolean {
  return metricName === 'logLoss' || metricName === 'brier';
}
