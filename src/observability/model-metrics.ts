// Prometheus metrics of the model side of the worker: scoring (latency, fallbacks by reason), drift (one gauge per
// feature) and the learning loop's phase — the last two read from the stored drift reports and cycles at each scrape. Served on the worker's /metrics endpoint next to
// Node's default metrics; the Grafana dashboard (deploy/grafana) queries these names.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the model runtime reports per scored batch (src/model/runtime.ts `observer`). */
export interface ScoreObservation {
  rows: number;
  latencyMicros: number;
  fallback: boolean;
  fallbackReason?: string;
}

export interface ScoreObserver {
  scored(observation: ScoreObservation): void;
}

/** The part of a drift report the gauges show (src/model/drift.ts DriftReport). */
interface FeatureDriftObservation {
  name: string;
  statisticName: string;
  statistic: number;
  threshold: number;
  drifted: boolean;
}

export interface DriftObservation {
  features: readonly FeatureDriftObservation[];
  predictionDrift: FeatureDriftObservation | null;
  share: number;
  datasetDrift: boolean;
  rows: number;
}

export interface ModelMetrics {
  /** Scoring observer for one model's runtime. */
  scoring(modelName: string): ScoreObserver;
  drift(modelName: string, report: DriftObservation, at?: Date): void;
  /** 1 for the loop's current phase, 0 for the others seen before (a stat panel shows the one at 1). */
  learningPhase(modelName: string, phase: string): void;
  /** The saga's activities report each first decision (event time → decision recorded). */
  saga: { decided(decision: string, eventTime: Date): void };
}

export const MODEL_METRIC_NAMES = {
  scoreSeconds: 'mainspring_model_score_seconds',
  scoredRows: 'mainspring_model_scored_rows_total',
  fallbacks: 'mainspring_model_fallbacks_total',
  driftStatistic: 'mainspring_model_drift_statistic',
  driftThreshold: 'mainspring_model_drift_threshold',
  featureDrifted: 'mainspring_model_feature_drifted',
  driftShare: 'mainspring_model_drift_share',
  datasetDrift: 'mainspring_model_dataset_drift',
  driftRows: 'mainspring_model_drift_window_rows',
  driftCheckedAt: 'mainspring_model_drift_checked_timestamp_seconds',
  learningPhase: 'mainspring_learning_phase',
  eventToDecision: 'mainspring_saga_event_to_decision_seconds',
} as const;

export interface ModelMetricsOptions {
  /**
   * The current phase of each model's learning loop, read at every scrape (src/db/learning-state.ts). Every worker
   * then shows the same phase, from its first scrape, whichever worker ran the loop's activities.
   */
  learningPhases?: () => Promise<ReadonlyArray<{ modelName: string; phase: string }>>;
  /** Each model's latest stored drift report, read at every scrape (src/db/learning-state.ts), for the same reason. */
  latestDrift?: () => Promise<ReadonlyArray<{ modelName: string; report: DriftObservation; at: Date }>>;
}

/** Registers the model metrics on the worker's registry. */
export function createModelMetrics(registry: Registry, options: ModelMetricsOptions = {}): ModelMetrics {
  const registers = [registry];
  const n = MODEL_METRIC_NAMES;
  const scoreSeconds = new Histogram({
    name: n.scoreSeconds,
    help: 'Time of one score call (champion + shadow, or the rule fallback)',
    labelNames: ['model', 'fallback'],
    // ONNX scoring of one row takes tens of microseconds; the breaker's budget is milliseconds.
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
    registers,
  });
  const scoredRows = new Counter({ name: n.scoredRows, help: 'Rows scored', labelNames: ['model'], registers });
  const fallbacks = new Counter({ name: n.fallbacks, help: 'Rows scored by the rules instead of the model, by reason', labelNames: ['model', 'reason'], registers });
  // With a reader, every drift gauge waits at scrape time for one shared read of the latest stored reports (the
  // registry collects metrics concurrently), so all of them show the same report.
  const readDrift = options.latestDrift;
  const driftShown = new Map<string, number>();
  let driftRead: Promise<void> | undefined;
  const refreshDrift = (read: NonNullable<ModelMetricsOptions['latestDrift']>) =>
    (driftRead ??= (async () => {
      // A database hiccup keeps the last values rather than failing the whole scrape.
      for (const d of await read().catch(() => [])) {
        if (driftShown.get(d.modelName) === d.at.getTime()) continue;
        driftShown.set(d.modelName, d.at.getTime());
        setDrift(d.modelName, d.report, d.at);
      }
    })().finally(() => (driftRead = undefined)));
  const fromStore = readDrift ? { collect: () => refreshDrift(readDrift) } : {};
  const labels = { labelNames: ['model', 'feature', 'statistic'] as const, registers, ...fromStore };
  const driftStatistic = new Gauge({ name: n.driftStatistic, help: 'Drift statistic of a feature in the last drift check (p-value for tests, PSI/JS distance otherwise)', ...labels });
  const driftThreshold = new Gauge({ name: n.driftThreshold, help: 'Threshold the drift statistic is compared with', ...labels });
  const featureDrifted = new Gauge({ name: n.featureDrifted, help: '1 when the feature drifted in the last drift check', labelNames: ['model', 'feature'], registers, ...fromStore });
  const driftShare = new Gauge({ name: n.driftShare, help: 'Share of checked features that drifted in the last drift check', labelNames: ['model'], registers, ...fromStore });
  const datasetDrift = new Gauge({ name: n.datasetDrift, help: '1 when the last drift check found dataset drift', labelNames: ['model'], registers, ...fromStore });
  const driftRows = new Gauge({ name: n.driftRows, help: 'Rows in the window of the last drift check', labelNames: ['model'], registers, ...fromStore });
  const driftCheckedAt = new Gauge({ name: n.driftCheckedAt, help: 'When the last drift check ran (Unix seconds)', labelNames: ['model'], registers, ...fromStore });
  const phases = new Map<string, Set<string>>();
  const setPhase = (model: string, current: string) => {
    const seen = phases.get(model) ?? new Set<string>();
    seen.add(current);
    phases.set(model, seen);
    for (const p of seen) phase.set({ model, phase: p }, p === current ? 1 : 0);
  };
  const readPhases = options.learningPhases;
  const phase: Gauge<'model' | 'phase'> = new Gauge({
    name: n.learningPhase,
    help: 'Learning loop phase: 1 for the current one',
    labelNames: ['model', 'phase'],
    registers,
    // A database hiccup keeps the last values rather than failing the whole scrape.
    collect: readPhases ? async () => (await readPhases().catch(() => [])).forEach((p) => setPhase(p.modelName, p.phase)) : undefined,
  });
  const eventToDecision = new Histogram({
    name: n.eventToDecision,
    help: 'From the payment event time to its decision being recorded (includes Kafka, the bridge and Temporal)',
    labelNames: ['decision'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  // Series of the previous check per model: the statistic can switch (tests ↔ distances with the window size) and a
  // stale series would linger on the dashboard.
  const driftSeries = new Map<string, Array<{ model: string; feature: string; statistic: string }>>();
  const setDrift = (model: string, report: DriftObservation, at = new Date()) => {
    for (const old of driftSeries.get(model) ?? []) {
      driftStatistic.remove(old);
      driftThreshold.remove(old);
    }
    const series: Array<{ model: string; feature: string; statistic: string }> = [];
    const prediction = report.predictionDrift ? [{ ...report.predictionDrift, name: 'prediction' }] : [];
    for (const f of [...report.features, ...prediction]) {
      const labels = { model, feature: f.name, statistic: f.statisticName };
      series.push(labels);
      driftStatistic.set(labels, f.statistic);
      driftThreshold.set(labels, f.threshold);
      featureDrifted.set({ model, feature: f.name }, f.drifted ? 1 : 0);
    }
    driftSeries.set(model, series);
    driftShare.set({ model }, report.share);
    datasetDrift.set({ model }, report.datasetDrift ? 1 : 0);
    driftRows.set({ model }, report.rows);
    driftCheckedAt.set({ model }, at.getTime() / 1000);
  };

  return {
    scoring: (model) => ({
      scored: (o) => {
        scoreSeconds.observe({ model, fallback: String(o.fallback) }, o.latencyMicros / 1e6);
        scoredRows.inc({ model }, o.rows);
        if (o.fallback) fallbacks.inc({ model, reason: o.fallbackReason ?? 'unknown' }, o.rows);
      },
    }),
    drift: setDrift,
    saga: {
      // A producer clock ahead of ours would give a negative latency: counted as 0 rather than dropped.
      decided: (decision, eventTime) => eventToDecision.observe({ decision }, Math.max(0, (Date.now() - eventTime.getTime()) / 1000)),
    },
    learningPhase: setPhase,
  };
}
