// The Grafana dashboard must not rot: every metric it queries is registered by our code (the worker's and the bridge's
// registries, built by the same functions the processes use) or is one of the Temporal SDK's listed metrics.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { bridgeMetrics } from '../../../src/kafka/bridge';
import { createMetricsRegistry, METRIC_PREFIXES, TEMPORAL_SDK_METRICS } from '../../../src/observability/metrics';
import { createModelMetrics } from '../../../src/observability/model-metrics';

const DASHBOARD = join(__dirname, '../../../deploy/grafana/mainspring-dashboard.json');

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

function dashboard(): { panels: Panel[]; templating: { list: Array<{ type: string; query?: unknown; definition?: string }> } } {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8'));
}

/** Every PromQL expression of the dashboard: panel targets (rows included) and query variables. */
function expressions(): string[] {
  const d = dashboard();
  const flat = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...flat(p.panels ?? [])]);
  const fromPanels = flat(d.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const fromVariables = d.templating.list.filter((v) => v.type === 'query').map((v) => v.definition ?? '');
  return [...fromPanels, ...fromVariables];
}

/** Metric names in PromQL: our names all start with mainspring_ or temporal_ (label names and functions never do). */
export function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  return [...withoutStrings.matchAll(/\b(?:mainspring|temporal)_[a-zA-Z0-9_:]*/g)].map((m) => m[0]);
}

/** name → type of every metric the processes register, with the series names Prometheus derives from histograms. */
async function registered(): Promise<Map<string, string>> {
  const worker = createMetricsRegistry(METRIC_PREFIXES.worker);
  createModelMetrics(worker);
  const bridge = createMetricsRegistry(METRIC_PREFIXES.bridge);
  bridgeMetrics(bridge);
  const merged = Registry.merge([worker, bridge]);
  const names = new Map<string, string>();
  for (const m of await merged.getMetricsAsJSON()) names.set(m.name, String(m.type));
  for (const [name, type] of Object.entries(TEMPORAL_SDK_METRICS)) names.set(name, type);
  return names;
}

function seriesOf(names: Map<string, string>): Set<string> {
  const series = new Set<string>();
  for (const [name, type] of names) {
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) series.add(name + suffix);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) series.add(name + suffix);
    else series.add(name);
  }
  return series;
}

describe('Grafana dashboard', () => {
  it('queries only metrics our code registers (or the Temporal SDK exports)', async () => {
    const series = seriesOf(await registered());
    const used = [...new Set(expressions().flatMap(metricNames))].sort();
    expect(used.length).toBeGreaterThan(20);
    expect(used.filter((name) => !series.has(name))).toEqual([]);
  });

  it('covers throughput, lag, DLQ, latency, model, drift, learning phase and SDK slots', () => {
    const used = new Set(expressions().flatMap(metricNames));
    for (const name of [
      'mainspring_bridge_consumed_total',
      'mainspring_bridge_accepted_total',
      'mainspring_bridge_lag',
      'mainspring_bridge_dlq_total',
      'mainspring_saga_event_to_decision_seconds_bucket',
      'mainspring_model_score_seconds_bucket',
      'mainspring_model_fallbacks_total',
      'mainspring_model_drift_statistic',
      'mainspring_learning_phase',
      'temporal_workflow_task_schedule_to_start_latency_bucket',
      'temporal_worker_task_slots_available',
    ]) {
      expect(used).toContain(name);
    }
  });

  it('uses a Prometheus datasource variable in every panel and query', () => {
    const d = dashboard();
    expect(d.templating.list.find((v) => v.type === 'datasource')).toMatchObject({ query: 'prometheus' });
    const panels = d.panels.filter((p) => p.type !== 'row') as Array<Panel & { datasource?: { uid: string } }>;
    expect(panels.length).toBeGreaterThan(10);
    for (const p of panels) expect(p.datasource?.uid).toBe('${datasource}');
  });

  it('finds metric names inside PromQL, not label values or functions', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(mainspring_x_bucket{task_queue=~"temporal_y"}[5m])))')).toEqual(['mainspring_x_bucket']);
    expect(metricNames('time() - max(temporal_a) / mainspring_b')).toEqual(['temporal_a', 'mainspring_b']);
  });
});
