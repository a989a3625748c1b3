import { Registry } from 'prom-client';
import { createModelMetrics } from '../../../src/observability/model-metrics';
import { ModelRuntime } from '../../../src/model/runtime';
import { PAYMENT_FEATURES } from '../../../src/features/payment-features';

async function values(registry: Registry, name: string) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

describe('model metrics', () => {
  it('counts scored rows and fallbacks by reason from the runtime', async () => {
    const registry = new Registry();
    const metrics = createModelMetrics(registry);
    // No champion loaded: every score is a rule fallback with reason no-model.
    const runtime = new ModelRuntime({ modelName: 'fraud', observer: metrics.scoring('fraud') });
    const row = PAYMENT_FEATURES.map((f) => f.defaultValue);
    await runtime.scoreBatch([row, row, row]);
    await runtime.score(row);
    expect((await values(registry, 'mainspring_model_scored_rows_total'))[0]).toMatchObject({ value: 4, labels: { model: 'fraud' } });
    expect(await values(registry, 'mainspring_model_fallbacks_total')).toEqual([expect.objectContaining({ value: 4, labels: { model: 'fraud', reason: 'no-model' } })]);
    const count = (await values(registry, 'mainspring_model_score_seconds')).find((v) => v.metricName === 'mainspring_model_score_seconds_count');
    expect(count).toMatchObject({ value: 2, labels: { model: 'fraud', fallback: 'true' } });
    await runtime.close();
  });

  it('sets one drift gauge per feature and drops the series a later check no longer reports', async () => {
    const registry = new Registry();
    const metrics = createModelMetrics(registry);
    const f = (name: string, statisticName: string, statistic: number, drifted: boolean) => ({ name, statisticName, statistic, threshold: 0.05, drifted });
    metrics.drift('fraud', { features: [f('amount', 'ks_p_value', 0.001, true), f('hour', 'ks_p_value', 0.4, false)], predictionDrift: null, share: 0.5, datasetDrift: true, rows: 800 });
    metrics.drift('fraud', { features: [f('amount', 'psi', 0.3, true), f('hour', 'psi', 0.01, false)], predictionDrift: f('score', 'psi', 0.2, true), share: 0.5, datasetDrift: true, rows: 4000 });
    const stats = (await values(registry, 'mainspring_model_drift_statistic')).map((v) => [v.labels.feature, v.labels.statistic, v.value]);
    expect(stats.sort()).toEqual([['amount', 'psi', 0.3], ['hour', 'psi', 0.01], ['prediction', 'psi', 0.2]]);
    expect((await values(registry, 'mainspring_model_feature_drifted')).filter((v) => v.value === 1).map((v) => v.labels.feature).sort()).toEqual(['amount', 'prediction']);
    expect((await values(registry, 'mainspring_model_drift_window_rows'))[0].value).toBe(4000);
  });

  it('shows exactly one current learning phase per model', async () => {
    const registry = new Registry();
    const metrics = createModelMetrics(registry);
    metrics.learningPhase('fraud', 'retraining');
    metrics.learningPhase('fraud', 'gating');
    metrics.learningPhase('other', 'idle');
    const current = (await values(registry, 'mainspring_learning_phase')).filter((v) => v.value === 1).map((v) => `${v.labels.model}:${v.labels.phase}`);
    expect(current.sort()).toEqual(['fraud:gating', 'other:idle']);
  });

  it('reads the learning phases at each scrape, and keeps the last ones when the read fails', async () => {
    const registry = new Registry();
    let stored: Array<{ modelName: string; phase: string }> = [{ modelName: 'fraud', phase: 'shadowing' }];
    let failing = false;
    createModelMetrics(registry, {
      learningPhases: async () => {
        if (failing) throw new Error('database unavailable');
        return stored;
      },
    });
    const current = async () => (await values(registry, 'mainspring_learning_phase')).filter((v) => v.value === 1).map((v) => `${v.labels.model}:${v.labels.phase}`).sort();
    expect(await current()).toEqual(['fraud:shadowing']);
    stored = [{ modelName: 'fraud', phase: 'awaiting-approval' }, { modelName: 'churn', phase: 'idle' }];
    expect(await current()).toEqual(['churn:idle', 'fraud:awaiting-approval']);
    failing = true;
    expect(await current()).toEqual(['churn:idle', 'fraud:awaiting-approval']);
  });

  it('reads the latest stored drift report at each scrape: every gauge of one scrape from the same report', async () => {
    const registry = new Registry();
    const f = (name: string, statistic: number, drifted: boolean) => ({ name, statisticName: 'psi', statistic, threshold: 0.1, drifted });
    let latest = { modelName: 'fraud', at: new Date('2026-11-23T10:00:00Z'), report: { features: [f('amount', 0.3, true), f('hour', 0.02, false)], predictionDrift: null, share: 0.5, datasetDrift: true, rows: 900 } };
    createModelMetrics(registry, { latestDrift: async () => [latest] });
    const scrape = async () => {
      const json = await registry.getMetricsAsJSON();
      const of = (name: string) => (json.find((m) => m.name === name)?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
      return {
        statistics: of('mainspring_model_drift_statistic').map((v) => `${v.labels.feature}=${v.value}`).sort(),
        rows: of('mainspring_model_drift_window_rows').map((v) => v.value),
        checkedAt: of('mainspring_model_drift_checked_timestamp_seconds').map((v) => v.value),
      };
    };
    expect(await scrape()).toEqual({ statistics: ['amount=0.3', 'hour=0.02'], rows: [900], checkedAt: [Date.parse('2026-11-23T10:00:00Z') / 1000] });
    latest = { modelName: 'fraud', at: new Date('2026-11-23T10:05:00Z'), report: { features: [f('amount', 0.05, false)], predictionDrift: null, share: 0, datasetDrift: false, rows: 1200 } };
    expect(await scrape()).toEqual({ statistics: ['amount=0.05'], rows: [1200], checkedAt: [Date.parse('2026-11-23T10:05:00Z') / 1000] });
  });
});
