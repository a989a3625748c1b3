import { buildFeatureVector, FEATURE_COUNT, MERCHANT_CATEGORY_RISK } from '../../../src/features/payment-features';
import {
  generatePayments,
  generateTrainingSet,
  paymentFeatureInput,
  SYNTHETIC_MERCHANT_CATEGORIES,
  type SyntheticPayment,
} from '../../../src/model/synthetic';

function take(n: number, options: Parameters<typeof generatePayments>[0]): SyntheticPayment[] {
  return [...generatePayments({ ...options, count: n })];
}

// Aggregate checks instead of one expect per row: a failing row is reported by index, and passing runs stay fast.
function firstViolation<T>(items: readonly T[], ok: (item: T, i: number) => boolean): number {
  return items.findIndex((item, i) => !ok(item, i));
}

describe('synthetic payments', () => {
  const payments = take(20_000, { seed: 11 });

  it('is deterministic per seed and differs across seeds', () => {
    const again = take(2_000, { seed: 11 });
    expect(firstViolation(again, (p, i) => JSON.stringify(p) === JSON.stringify(payments[i]))).toBe(-1);
    const other = take(2_000, { seed: 12 });
    expect(other.map((p) => p.amount)).not.toEqual(again.map((p) => p.amount));
  });

  it('has a fraud rate between 1 % and 3 % for several seeds', () => {
    for (const seed of [1, 2, 3]) {
      const set = generateTrainingSet({ rows: 20_000, seed });
      expect(set.fraudRate).toBeGreaterThanOrEqual(0.01);
      expect(set.fraudRate).toBeLessThanOrEqual(0.03);
    }
  });

  it('emits in event-time order with labels after the event', () => {
    expect(firstViolation(payments, (p, i) => i === 0 || p.eventTimeMs >= payments[i - 1].eventTimeMs)).toBe(-1);
    expect(firstViolation(payments, (p) => p.labelTimeMs > p.eventTimeMs && Date.parse(p.eventTime) === p.eventTimeMs)).toBe(-1);
    expect(firstViolation(payments, (p) => p.merchantCategory in MERCHANT_CATEGORY_RISK)).toBe(-1);
    const ids = new Set(payments.map((p) => p.paymentId));
    expect(ids.size).toBe(payments.length);
  });

  it('computes velocity exactly as the spec defines it (same user, event time in [t-60s, t))', () => {
    const byUser = new Map<string, number[]>();
    for (const p of payments) {
      const times = byUser.get(p.userId) ?? [];
      times.push(p.eventTimeMs);
      byUser.set(p.userId, times);
    }
    const expected = payments.map((p) => byUser.get(p.userId)!.filter((t) => t >= p.eventTimeMs - 60_000 && t < p.eventTimeMs).length);
    expect(firstViolation(payments, (p, i) => p.velocity60s === expected[i])).toBe(-1);
    expect(expected.filter((v) => v > 0).length).toBeGreaterThan(50); // the check is not vacuous
  });

  it('makes fraud depend on the features (bursts, new devices abroad, risky merchants)', () => {
    const fraud = payments.filter((p) => p.isFraud);
    const legit = payments.filter((p) => !p.isFraud);
    const share = (xs: SyntheticPayment[], f: (p: SyntheticPayment) => boolean) => xs.filter(f).length / xs.length;
    expect(share(fraud, (p) => p.velocity60s > 0)).toBeGreaterThan(5 * share(legit, (p) => p.velocity60s > 0));
    expect(share(fraud, (p) => p.newDevice)).toBeGreaterThan(5 * share(legit, (p) => p.newDevice));
    expect(share(fraud, (p) => p.country !== p.userHomeCountry)).toBeGreaterThan(5 * share(legit, (p) => p.country !== p.userHomeCountry));
    const risk = (xs: SyntheticPayment[]) => xs.reduce((s, p) => s + MERCHANT_CATEGORY_RISK[p.merchantCategory], 0) / xs.length;
    expect(risk(fraud)).toBeGreaterThan(risk(legit) + 0.15);
    // Some fraud looks ordinary, so the task is not trivially separable.
    expect(fraud.some((p) => p.fraudPattern === 'stealth')).toBe(true);
  });

  it('produces training rows through the serving feature builder (no skew)', () => {
    const set = generateTrainingSet({ rows: 3_000, seed: 11 });
    const ps = payments.slice(0, 3_000);
    expect(set.X.cols).toBe(FEATURE_COUNT);
    const mismatch = firstViolation(ps, (p, i) => {
      const v = buildFeatureVector(paymentFeatureInput(p)).values;
      const row = set.X.data.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT);
      return v.every((x, j) => x === row[j]) && set.y[i] === (p.isFraud ? 1 : 0);
    });
    expect(mismatch).toBe(-1);
    expect(SYNTHETIC_MERCHANT_CATEGORIES.every((c) => c in MERCHANT_CATEGORY_RISK)).toBe(true);
  });

  it('injects drift only from the chosen event time', () => {
    const startAt = payments[10_000].eventTimeMs;
    const drifted = take(20_000, { seed: 11, drift: { startAt, amountScale: 3, newCountryShare: 0.3 } });
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const before = drifted.filter((p) => !p.drifted);
    const after = drifted.filter((p) => p.drifted);
    expect(before.length).toBeGreaterThan(9_000);
    expect(after.every((p) => p.eventTimeMs >= startAt)).toBe(true);
    // Same seed, drift not yet active: identical payments.
    expect(firstViolation(before.slice(0, 5_000), (p, i) => JSON.stringify(p) === JSON.stringify(payments[i]))).toBe(-1);
    const ratio = median(after.filter((p) => !p.isFraud).map((p) => p.amount)) / median(before.filter((p) => !p.isFraud).map((p) => p.amount));
    expect(ratio).toBeGreaterThan(2.5);
    expect(ratio).toBeLessThan(3.5);
    const abroad = (xs: SyntheticPayment[]) => xs.filter((p) => p.country !== p.userHomeCountry).length / xs.length;
    expect(abroad(after)).toBeGreaterThan(abroad(before) + 0.2);
  });

  it('shifts the fraud pattern to card testing when asked', () => {
    const shifted = take(20_000, { seed: 5, drift: { fraudPatternShift: true } });
    const fraud = shifted.filter((p) => p.isFraud);
    expect(fraud.length).toBeGreaterThan(100);
    expect(fraud.every((p) => p.fraudPattern === 'card-testing')).toBe(true);
    expect(fraud.every((p) => !p.newDevice && p.country === p.userHomeCountry)).toBe(true);
    expect(Math.max(...fraud.map((p) => p.amount))).toBeLessThan(20);
  });
});
