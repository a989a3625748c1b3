import { ceilingRatioRows, ceilingRows, eventsFor, ratesAtFractions, type CeilingResult } from '../../../bench/lib/ceiling';
import { IN_FLIGHT_PER_PARTITION, pipelineInFlight } from '../../../bench/lib/config';
import { summarize } from '../../../bench/lib/stats';
import { DEFAULT_BRIDGE_OPTIONS } from '../../../src/kafka/bridge';

const ms = (p50: number, p99: number) => ({ ...summarize([p50]), p50, p99 });

function ceiling(emptyPerSecond: number | null, bareP50: number): CeilingResult {
  const variant = { ms: ms(bareP50, bareP50 * 2), calls: 1, eagerlyStarted: 1 };
  return {
    inFlight: 96,
    emptyThroughput: { perSecond: emptyPerSecond, completed: 500, failed: 0, seconds: 8 },
    oneAtATime: { emptyPlain: variant, emptyEager: variant, sagaPlain: variant, sagaEager: variant, sagaRemoteRecordEager: variant },
    sagaShapedHistory: { events: 8, workflowTasks: 1 },
  };
}

describe('fractions of the measured capacity', () => {
  it('gives one rate per fraction, rounded to 0.1 ev/s and at least 1 ev/s', () => {
    expect(ratesAtFractions(26.4, [0.25, 0.5, 0.8])).toEqual([
      { fraction: 0.25, rate: 6.6 },
      { fraction: 0.5, rate: 13.2 },
      { fraction: 0.8, rate: 21.1 },
    ]);
    expect(ratesAtFractions(2, [0.25])).toEqual([{ fraction: 0.25, rate: 1 }]);
  });

  it('gives nothing without a capacity', () => {
    expect(ratesAtFractions(0, [0.5])).toEqual([]);
    expect(ratesAtFractions(Number.NaN, [0.5])).toEqual([]);
  });

  it('holds a rate for the asked seconds but never runs fewer events than a percentile needs', () => {
    expect(eventsFor(13.2, 12)).toBe(158);
    expect(eventsFor(1, 6)).toBe(20);
    expect(eventsFor(1, 6, 5)).toBe(6);
  });
});

describe('the in-flight bound', () => {
  it('is the bridge default per partition, for both pipelines and the ceiling', () => {
    expect(IN_FLIGHT_PER_PARTITION).toBe(DEFAULT_BRIDGE_OPTIONS.maxInFlightPerPartition);
    expect(pipelineInFlight(6)).toBe(6 * DEFAULT_BRIDGE_OPTIONS.maxInFlightPerPartition);
  });
});

describe('ratios to the ceiling', () => {
  it('divides the pipeline by the ceiling and grades each against its target', () => {
    const rows = ceilingRatioRows(ceiling(50, 40), { sagasPerSecond: 40, oneAtATime: ms(56, 150), atHalfCapacity: ms(90, 280) });
    expect(rows.map((r) => r.ratio?.value)).toEqual([0.8, 1.4, 2.25]);
    expect(rows.map((r) => r.target?.verdict)).toEqual(['pass', 'pass', 'miss']);
  });

  it('misses a latency target on p99 alone', () => {
    const [, one, half] = ceilingRatioRows(ceiling(50, 40), { sagasPerSecond: 20, oneAtATime: ms(40, 201), atHalfCapacity: ms(40, 301) });
    expect(one.target?.verdict).toBe('miss');
    expect(half.target?.verdict).toBe('miss');
  });

  it('says n/a for what was not measured', () => {
    const rows = ceilingRatioRows(ceiling(null, 40), { sagasPerSecond: 20, oneAtATime: null, atHalfCapacity: { n: 0, p50: Number.NaN, p99: Number.NaN } });
    expect(rows.map((r) => r.target?.verdict)).toEqual(['n/a', 'n/a', 'n/a']);
    expect(rows.map((r) => r.ratio?.value)).toEqual([null, null, null]);
  });
});

describe('the ceiling rows', () => {
  it('show throughput, every one-at-a-time variant with its eager share, and the bare history', () => {
    const rows = ceilingRows(ceiling(50, 40));
    expect(rows).toHaveLength(1 + 5 + 1);
    expect(rows[0].mainspring.value).toBe(50);
    expect(rows.find((r) => r.metric.includes('saga-shaped') && r.metric.includes('eager start'))?.mainspring.note).toContain('1 of 1 started eagerly');
    expect(rows[rows.length - 1].mainspring).toMatchObject({ value: 8, note: '1 workflow task(s)' });
  });
});
