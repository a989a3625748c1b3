import { driftDataset } from '../../../bench/lib/drift-data';
import { buildReferenceProfile, detectDrift } from '../../../src/model/drift';
import { getColumn } from '../../../src/model/matrix';

const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('drift benchmark data', () => {
  const data = driftDataset({ rows: 5000, features: 20, seed: 3 });

  it('has the asked shape, named columns and a type for each', () => {
    expect(data.reference.rows).toBe(5000);
    expect(data.current.rows).toBe(5000);
    expect(data.reference.cols).toBe(20);
    expect(data.columns.map((c) => c.name)).toEqual(Array.from({ length: 20 }, (_, j) => `f${String(j).padStart(2, '0')}`));
    expect(new Set(data.columns.map((c) => c.type))).toEqual(new Set(['numeric', 'binary', 'categorical-encoded']));
  });

  it('shifts the columns it says it shifts and leaves the others alone', () => {
    const f01 = data.columns[1];
    expect(f01.injected).toBe('mean +0.5 σ');
    expect(mean(getColumn(data.current, 1)) - mean(getColumn(data.reference, 1))).toBeGreaterThan(0.4);
    expect(data.columns[0].injected).toBe('');
    expect(Math.abs(mean(getColumn(data.current, 0)) - mean(getColumn(data.reference, 0)))).toBeLessThan(0.1);
  });

  it('is deterministic per seed', () => {
    const again = driftDataset({ rows: 5000, features: 20, seed: 3 });
    expect(Buffer.from(again.current.data.buffer).equals(Buffer.from(data.current.data.buffer))).toBe(true);
    const other = driftDataset({ rows: 5000, features: 20, seed: 4 });
    expect(Buffer.from(other.current.data.buffer).equals(Buffer.from(data.current.data.buffer))).toBe(false);
  });
});

describe('shifts graded around the threshold', () => {
  it('has columns just below and just above the 0.1 PSI / Jensen–Shannon threshold', () => {
    const data = driftDataset({ rows: 50_000, features: 20, seed: 11 });
    const profile = buildReferenceProfile(data.reference, { features: data.columns.map(({ name, type }) => ({ name, type })) });
    const report = detectDrift(profile, data.current, { exclude: [] });
    const graded = report.features.filter((f) => data.columns.find((c) => c.name === f.name)?.injected.includes('graded'));
    expect(graded.length).toBeGreaterThanOrEqual(5);
    for (const f of graded) {
      expect(f.statistic).toBeGreaterThan(0.04);
      expect(f.statistic).toBeLessThan(0.2);
    }
    expect(graded.some((f) => f.drifted)).toBe(true);
    expect(graded.some((f) => !f.drifted)).toBe(true);
  });
});
