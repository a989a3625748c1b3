// The ceiling: what the same Temporal server does in the same run with no work inside the workflows, and the ratios
// of the pipeline's figures to it. Pure: types, the fractions of capacity the latency runs use, and the ratio rows.
import { atLeast, atMost, allOf, type ComparisonRow } from './report';
import { ratio, type Summary } from './stats';

/** One-at-a-time variants of the ceiling: start → result, nothing else running. */
export const CEILING_VARIANTS = {
  emptyPlain: { workflowType: 'emptyWorkflow', eager: false, label: 'empty workflow, plain start' },
  emptyEager: { workflowType: 'emptyWorkflow', eager: true, label: 'empty workflow, eager start' },
  sagaPlain: { workflowType: 'sagaShapedWorkflow', eager: false, label: 'saga-shaped (3 local no-op activities + search attributes), plain start' },
  sagaEager: { workflowType: 'sagaShapedWorkflow', eager: true, label: 'saga-shaped (3 local no-op activities + search attributes), eager start' },
  sagaRemoteRecordEager: { workflowType: 'sagaShapedRemoteRecordWorkflow', eager: true, label: 'old saga shape (record as a remote activity), eager start' },
} as const;

export type CeilingVariant = keyof typeof CEILING_VARIANTS;

export interface CeilingChildOptions {
  taskQueue: string;
  /** Empty workflows kept in flight (start → result) in the throughput part: the pipeline's bound. */
  inFlight: number;
  throughputSeconds: number;
  /** Timed start → result calls per one-at-a-time variant (after a short warm-up). */
  callsPerVariant: number;
}

export interface CeilingResult {
  inFlight: number;
  emptyThroughput: { perSecond: number | null; completed: number; failed: number; seconds: number };
  oneAtATime: Record<CeilingVariant, { ms: Summary; calls: number; eagerlyStarted: number }>;
  /** History of one saga-shaped workflow: what the APPROVE saga's history could be at best. */
  sagaShapedHistory: { events: number; workflowTasks: number } | null;
}

/** Event rates at the given fractions of a measured capacity (0.1 ev/s steps, at least 1 ev/s). */
export function ratesAtFractions(capacityPerSecond: number, fractions: readonly number[]): Array<{ fraction: number; rate: number }> {
  if (!(capacityPerSecond > 0)) return [];
  return fractions.map((fraction) => ({ fraction, rate: Math.max(1, Math.round(capacityPerSecond * fraction * 10) / 10) }));
}

/** Events of a paced run: the rate held for `seconds`, but never fewer than `minEvents` (a p99 needs a sample). */
export function eventsFor(rate: number, seconds: number, minEvents = 20): number {
  return Math.max(minEvents, Math.round(rate * seconds));
}

export interface PipelineFigures {
  /** Sustained sagas/s of the throughput backlog. */
  sagasPerSecond: number | null;
  /** event → payments.scored, one payment at a time. */
  oneAtATime: Pick<Summary, 'n' | 'p50' | 'p99'> | null;
  /** event → payments.scored at 50 % of the measured capacity. */
  atHalfCapacity: Pick<Summary, 'n' | 'p50' | 'p99'> | null;
}

const present = (s: Pick<Summary, 'n' | 'p50' | 'p99'> | null): s is Pick<Summary, 'n' | 'p50' | 'p99'> => s !== null && s.n > 0;

/** The pipeline as a share of the ceiling measured in the same run (issue 15's targets). */
export function ceilingRatioRows(ceiling: CeilingResult, pipeline: PipelineFigures): ComparisonRow[] {
  const empty = ceiling.emptyThroughput.perSecond;
  const bare = ceiling.oneAtATime.sagaEager.ms;
  const bareP50 = bare.n > 0 ? bare.p50 : null;
  const share = ratio(pipeline.sagasPerSecond, empty);
  const latencyRow = (what: string, figures: Pick<Summary, 'n' | 'p50' | 'p99'> | null, maxRatio: number, maxP99: number): ComparisonRow => {
    const f = present(figures) ? figures : null;
    const r = ratio(f?.p50, bareP50);
    return {
      section: 'ceiling ratio',
      metric: `event → payments.scored ${what}, p50 ÷ bare saga-shaped p50 (eager); p99`,
      mainspring: { value: f?.p50 ?? null, unit: 'ms', ...(f ? { note: `p99 ${Math.round(f.p99)} ms, n ${f.n}` } : {}) },
      other: { name: 'bare saga-shaped workflow, eager start, p50', value: bareP50, unit: 'ms' },
      ratio: { value: r, label: 'p50 ÷ bare p50' },
      target: { text: `p50 ≤ ${maxRatio}× bare, p99 ≤ ${maxP99} ms`, verdict: f ? allOf(atMost(r, maxRatio), atMost(f.p99, maxP99)) : 'n/a' },
    };
  };
  return [
    {
      section: 'ceiling ratio',
      metric: `sustained sagas/s ÷ empty workflows/s (${ceiling.inFlight} in flight, same server, same run)`,
      mainspring: { value: pipeline.sagasPerSecond, unit: 'sagas/s' },
      other: { name: 'empty workflows', value: empty, unit: 'sagas/s' },
      ratio: { value: share, label: 'of the ceiling', plain: true },
      target: { text: '≥ 0.7', verdict: atLeast(share, 0.7) },
    },
    latencyRow('one at a time', pipeline.oneAtATime, 1.5, 200),
    latencyRow('at 50 % of the measured capacity', pipeline.atHalfCapacity, 2, 300),
  ];
}

/** The ceiling's own rows: throughput of empty workflows and the one-at-a-time latencies. */
export function ceilingRows(ceiling: CeilingResult): ComparisonRow[] {
  const t = ceiling.emptyThroughput;
  const rows: ComparisonRow[] = [
    {
      section: 'ceiling',
      metric: `empty workflows/s, ${ceiling.inFlight} in flight (start → result, plain start; ${t.seconds} s)`,
      mainspring: { value: t.perSecond, unit: 'sagas/s', note: `${t.completed} completed${t.failed > 0 ? `, ${t.failed} failed` : ''}` },
    },
  ];
  for (const [variant, def] of Object.entries(CEILING_VARIANTS) as Array<[CeilingVariant, (typeof CEILING_VARIANTS)[CeilingVariant]]>) {
    const r = ceiling.oneAtATime[variant];
    const eagerNote = def.eager ? `, ${r.eagerlyStarted} of ${r.calls} started eagerly` : '';
    rows.push({
      section: 'ceiling',
      metric: `one at a time, start → result: ${def.label}, p50 | p99`,
      mainspring: { value: r.ms.n > 0 ? r.ms.p50 : null, unit: 'ms', note: `p99 ${r.ms.n > 0 ? Math.round(r.ms.p99) : '—'} ms, n ${r.ms.n}${eagerNote}` },
    });
  }
  if (ceiling.sagaShapedHistory) {
    rows.push({
      section: 'ceiling',
      metric: 'history of the bare saga-shaped workflow: events | workflow tasks',
      mainspring: { value: ceiling.sagaShapedHistory.events, unit: 'count', note: `${ceiling.sagaShapedHistory.workflowTasks} workflow task(s)` },
    });
  }
  return rows;
}
