import { cpuSecondsBetween, type CpuSample } from '../../../bench/lib/proc-stats';

const sample = (at: number, cpu: Record<string, number>): CpuSample => ({ at, cpuSeconds: new Map(Object.entries(cpu)) });

describe('cpuSecondsBetween', () => {
  const samples = [sample(0, { a: 0, b: 10 }), sample(1000, { a: 1, b: 10.5 }), sample(2000, { a: 3, b: 11 })];

  it('sums the named targets over the interval, interpolating between samples', () => {
    expect(cpuSecondsBetween(samples, ['a'], 500, 1500)).toBeCloseTo(1.5, 10);
    expect(cpuSecondsBetween(samples, ['a', 'b'], 0, 2000)).toBeCloseTo(4, 10);
    expect(cpuSecondsBetween(samples, ['b'], 250, 750)).toBeCloseTo(0.25, 10);
  });

  it('clamps instants outside the samples and ignores unknown targets', () => {
    expect(cpuSecondsBetween(samples, ['a', 'nobody'], -500, 5000)).toBeCloseTo(3, 10);
  });

  it('is null without two samples or for a reversed interval', () => {
    expect(cpuSecondsBetween(samples.slice(0, 1), ['a'], 0, 10)).toBeNull();
    expect(cpuSecondsBetween(samples, ['a'], 10, 0)).toBeNull();
  });
});
