import { agreement, median, percentile, ratePerSecond, ratio, steadyRate, steadyWindow, summarize } from '../../../bench/lib/stats';

describe('percentile (numpy linear interpolation)', () => {
  it('matches numpy.percentile on a small sample', () => {
    const xs = [15, 20, 35, 40, 50];
    // numpy.percentile([15, 20, 35, 40, 50], [0, 25, 50, 90, 100]) = [15, 20, 35, 46, 50]
    expect(percentile(xs, 0)).toBe(15);
    expect(percentile(xs, 25)).toBe(20);
    expect(percentile(xs, 50)).toBe(35);
    expect(percentile(xs, 90)).toBeCloseTo(46, 10);
    expect(percentile(xs, 100)).toBe(50);
  });

  it('interpolates between ranks and ignores input order', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile(Float64Array.from([10, 0]), 99)).toBeCloseTo(9.9, 10);
  });

  it('is NaN for an empty sample and rejects p outside [0, 100]', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('reports n, min, mean, p50/p95/p99 and max', () => {
    const s = summarize(Array.from({ length: 101 }, (_, i) => i));
    expect(s).toEqual({ n: 101, min: 0, mean: 50, p50: 50, p95: 95, p99: 99, max: 100 });
  });

  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    summarize(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  it('gives NaN fields for no data', () => {
    const s = summarize([]);
    expect(s.n).toBe(0);
    expect(s.p50).toBeNaN();
    expect(s.mean).toBeNaN();
  });

  it('median is the 50th percentile', () => {
    expect(median([5, 1, 9])).toBe(5);
  });
});

describe('ratio and rates', () => {
  it('divides, and gives null for missing or non-finite quotients', () => {
    expect(ratio(6, 3)).toBe(2);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(null, 2)).toBeNull();
    expect(ratio(2, undefined)).toBeNull();
    expect(ratio(0, 0)).toBeNull();
  });

  it('events per second over a span in ms', () => {
    expect(ratePerSecond(500, 2000)).toBe(250);
    expect(ratePerSecond(10, 0)).toBeNull();
  });

  it('steady rate ignores the slow start and the tail', () => {
    // 10 slow completions (1/s) then 100 fast ones (100/s) then a slow tail.
    const times: number[] = [];
    for (let i = 0; i < 10; i++) times.push(i * 1000);
    for (let i = 0; i < 100; i++) times.push(10_000 + i * 10);
    for (let i = 0; i < 10; i++) times.push(12_000 + i * 1000);
    const r = steadyRate(times, 0.1, 0.9)!;
    expect(r).toBeGreaterThan(90);
    expect(r).toBeLessThan(110);
    expect(steadyRate([1, 2, 3])).toBeNull();
  });
});

describe('agreement of drift verdicts', () => {
  it('counts equal verdicts by feature name and names the others', () => {
    const a = [
      { name: 'f1', drifted: true },
      { name: 'f2', drifted: false },
      { name: 'f3', drifted: true },
    ];
    const b = [
      { name: 'f3', drifted: true },
      { name: 'f2', drifted: true },
      { name: 'f1', drifted: true },
    ];
    expect(agreement(a, b)).toEqual({ agree: 2, total: 3, share: 2 / 3, disagreeing: ['f2'] });
  });

  it('treats a feature judged on one side only as a disagreement', () => {
    expect(agreement([{ name: 'x', drifted: false }], []).disagreeing).toEqual(['x']);
    expect(agreement([], []).share).toBe(1);
  });
});

describe('steadyWindow', () => {
  it('spans the 10 % to 90 % completions and counts the completions in between', () => {
    const times = Array.from({ length: 11 }, (_, i) => 1000 + i * 100).reverse();
    expect(steadyWindow(times)).toEqual({ start: 1100, end: 1900, count: 8, perSecond: 10 });
    expect(steadyRate(times)).toBe(10);
  });

  it('is null for fewer than ten completions', () => {
    expect(steadyWindow([1, 2, 3])).toBeNull();
  });
});
