// Per-model configuration of the learning loop in the resolved form the workflow runs on (every field set, durations
// in milliseconds): the defaults, and a caller's input (schemas/learning-config.ts checks it) layered over them or
// over the running configuration.

import type { QualityMetricName } from '../../schemas/learning';
import type { TrainingConfig } from '../../schemas/learning-activities';
import { parseLearningConfigInput, type LearningLoopConfigInput, type ParsedLearningConfigInput } from '../../schemas/learning-config';

export type { LearningLoopConfigInput, QualityMetricName };
export { normalizeIdentity, QUALITY_METRICS } from '../../schemas/learning-config';

export interface LearningLoopConfig {
  triggers: { volumeLabels: number; maxChampionAgeMs: number | null; cooldownMs: number };
  drift: { checkIntervalMs: number | null; windowMs: number; minRows: number };
  training: TrainingConfig;
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

export class LearningConfigError extends Error {
  readonly code = 'LEARNING_CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid learning loop configuration: ${problems.join('; ')}`);
    this.name = 'LearningConfigError';
  }
}

/** The given value, or the base's when the field was left out (null is a value: it disables). */
const or = <T>(value: T | undefined, base: T): T => (value === undefined ? base : value);

function layer(i: ParsedLearningConfigInput, base: LearningLoopConfig): LearningLoopConfig {
  const { triggers: t = {}, drift: d = {}, training: tr = {}, gate: g = {}, shadow: sh = {}, approval: a = {}, watch: w = {}, continueAsNew: can = {} } = i;
  const bg = i.backfillGate;
  return {
    triggers: {
      volumeLabels: or(t.volumeLabels, base.triggers.volumeLabels),
      maxChampionAgeMs: or(t.maxChampionAge, base.triggers.maxChampionAgeMs),
      cooldownMs: or(t.cooldown, base.triggers.cooldownMs),
    },
    drift: {
      checkIntervalMs: or(d.checkInterval, base.drift.checkIntervalMs),
      windowMs: or(d.window, base.drift.windowMs),
      minRows: or(d.minRows, base.drift.minRows),
    },
    training: {
      lookbackMs: or(tr.lookback, base.training.lookbackMs),
      maxRows: or(tr.maxRows, base.training.maxRows),
      minRows: or(tr.minRows, base.training.minRows),
      minPositives: or(tr.minPositives, base.training.minPositives),
      holdoutFraction: or(tr.holdoutFraction, base.training.holdoutFraction),
      l2: or(tr.l2, base.training.l2),
      classWeight: or(tr.classWeight, base.training.classWeight),
    },
    gate: {
      metric: or(g.metric, base.gate.metric),
      minImprovement: or(g.minImprovement, base.gate.minImprovement),
      maxLogLossIncrease: or(g.maxLogLossIncrease, base.gate.maxLogLossIncrease),
      minHoldoutRows: or(g.minHoldoutRows, base.gate.minHoldoutRows),
      minHoldoutPositives: or(g.minHoldoutPositives, base.gate.minHoldoutPositives),
      // An AUC floor makes no sense for a loss: a newly chosen loss metric drops the floor unless one is given.
      minMetric: g.minMetric === undefined && g.metric !== undefined && isLowerBetter(g.metric) ? null : or(g.minMetric, base.gate.minMetric),
    },
    shadow: {
      minLabeledSamples: or(sh.minLabeledSamples, base.shadow.minLabeledSamples),
      maxDurationMs: or(sh.maxDuration, base.shadow.maxDurationMs),
      pollIntervalMs: or(sh.pollInterval, base.shadow.pollIntervalMs),
      metric: or(sh.metric, base.shadow.metric),
      maxDegradation: or(sh.maxDegradation, base.shadow.maxDegradation),
    },
    approval: { approvers: or(a.approvers, base.approval.approvers), deadlineMs: or(a.deadline, base.approval.deadlineMs) },
    watch: {
      durationMs: or(w.duration, base.watch.durationMs),
      checkIntervalMs: or(w.checkInterval, base.watch.checkIntervalMs),
      minLabeledSamples: or(w.minLabeledSamples, base.watch.minLabeledSamples),
      metric: or(w.metric, base.watch.metric),
      maxRegression: or(w.maxRegression, base.watch.maxRegression),
    },
    // A given gate is layered over the running one (or the gate defaults); null switches it off.
    backfillGate:
      bg === undefined
        ? (base.backfillGate ?? null)
        : bg && {
            hours: bg.hours,
            maxAucDrop: bg.maxAucDrop ?? base.backfillGate?.maxAucDrop ?? 0.02,
            minLabeled: bg.minLabeled ?? base.backfillGate?.minLabeled ?? 50,
            topic: bg.topic ?? base.backfillGate?.topic ?? 'payments.initiated',
          },
    continueAsNew: {
      afterCycles: or(can.afterCycles, base.continueAsNew.afterCycles),
      maxHistoryEvents: or(can.maxHistoryEvents, base.continueAsNew.maxHistoryEvents),
    },
  };
}

/**
 * Layers `input` over `base` (the defaults, or the running configuration for a change) and checks every value.
 * Returns the problems instead of throwing, so validators can answer with all of them at once; with problems, the
 * config returned is `base`.
 */
export function resolveLearningConfig(
  input: LearningLoopConfigInput | undefined,
  base: LearningLoopConfig = DEFAULT_LEARNING_CONFIG,
): { config: LearningLoopConfig; problems: string[] } {
  const parsed = parseLearningConfigInput(input);
  if (!parsed.ok) return { config: base, problems: parsed.problems };
  const config = layer(parsed.value, base);
  if (config.training.minRows < config.training.minPositives) {
    return { config: base, problems: ['training.minRows must be at least training.minPositives'] };
  }
  return { config, problems: [] };
}

export function isLowerBetter(metricName: QualityMetricName): boolean {
  return metricName === 'logLoss' || metricName === 'brier';
}
