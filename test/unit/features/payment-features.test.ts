import {
  buildFeatureVector,
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURE_SPEC_VERSION,
  FeatureInputError,
  featureIndex,
  FeatureSpecMismatchError,
  featureVectorFromNamed,
  featureVectorFromValues,
  isLateEvent,
  MERCHANT_CATEGORY_RISK,
  PAYMENT_FEATURES,
  UNKNOWN_MERCHANT_CATEGORY_RISK,
  VelocityTracker,
  type PaymentFeatureInput,
} from '../../../src/features/payment-features';

const base: PaymentFeatureInput = {
  amount: 250,
  currency: 'USD',
  eventTime: '2025-03-01T06:00:00.000Z',
  userRiskScore: 0.4,
  accountAgeDays: 12,
  userHomeCountry: 'DE',
  paymentCountry: 'de',
  merchantCategory: 'electronics',
  newDevice: true,
  velocity60s: 2,
  lateEvent: false,
};

describe('payment feature spec', () => {
  it('lists every feature once, in the order of FEATURE_NAMES, with a type and a description', () => {
    expect(PAYMENT_FEATURES.map((f) => f.name)).toEqual([...FEATURE_NAMES]);
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_COUNT);
    expect(FEATURE_SPEC_VERSION).toBe('pf-v1');
    for (const f of PAYMENT_FEATURES) {
      expect(['numeric', 'binary', 'categorical-encoded']).toContain(f.type);
      expect(f.description.length).toBeGreaterThan(10);
      expect(Number.isFinite(f.defaultValue)).toBe(true);
    }
  });

  it('builds the vector in spec order from a full input', () => {
    const v = buildFeatureVector(base);
    expect(v.specVersion).toBe('pf-v1');
    expect(v.values).toBeInstanceOf(Float32Array);
    expect(v.values).toHaveLength(FEATURE_COUNT);
    expect(v.defaulted).toEqual([]);
    expect(v.named.amount).toBe(250);
    expect(v.named.log_amount).toBeCloseTo(Math.log(251), 5);
    expect(v.named.velocity_60s).toBe(2);
    expect(v.named.user_risk_score).toBeCloseTo(0.4, 6);
    expect(v.named.account_age_days).toBe(12);
    expect(v.named.country_mismatch).toBe(0); // DE vs de: case-insensitive
    expect(v.named.hour_sin).toBeCloseTo(1, 6); // 06:00 UTC is a quarter turn
    expect(v.named.hour_cos).toBeCloseTo(0, 6);
    expect(v.named.merchant_category_risk).toBeCloseTo(MERCHANT_CATEGORY_RISK.electronics, 6);
    expect(v.named.new_device).toBe(1);
    expect(v.named.late_event).toBe(0);
    FEATURE_NAMES.forEach((name, i) => expect(v.values[i]).toBe(v.named[name]));
    expect(featureIndex('late_event')).toBe(FEATURE_COUNT - 1);
  });

  it('uses the spec defaults for missing data and says which', () => {
    const v = buildFeatureVector({ amount: 10, eventTime: '2025-03-01T00:00:00Z', merchantCategory: 'no-such-category', velocity60s: 0 });
    expect(v.defaulted).toEqual(['user_risk_score', 'account_age_days', 'country_mismatch', 'new_device', 'late_event']);
    expect(v.named.user_risk_score).toBeCloseTo(0.1, 6);
    expect(v.named.account_age_days).toBe(365);
    expect(v.named.country_mismatch).toBe(0);
    expect(v.named.merchant_category_risk).toBe(UNKNOWN_MERCHANT_CATEGORY_RISK);
    expect(v.named.hour_cos).toBe(1);
  });

  it('converts currencies with the fixed spec table and flags country mismatch', () => {
    const jpy = buildFeatureVector({ ...base, amount: 10_000, currency: 'JPY', paymentCountry: 'NG' });
    expect(jpy.named.amount).toBeCloseTo(67, 3);
    expect(jpy.named.country_mismatch).toBe(1);
    const unknownCurrency = buildFeatureVector({ ...base, currency: 'XXX' });
    expect(unknownCurrency.named.amount).toBe(250);
  });

  it('encodes hour cyclically: 23:59 is next to 00:01', () => {
    const a = buildFeatureVector({ ...base, eventTime: '2025-03-01T23:59:00Z' });
    const b = buildFeatureVector({ ...base, eventTime: '2025-03-02T00:01:00Z' });
    const noon = buildFeatureVector({ ...base, eventTime: '2025-03-02T12:00:00Z' });
    const dist = (x: typeof a, y: typeof a) => Math.hypot(x.named.hour_sin - y.named.hour_sin, x.named.hour_cos - y.named.hour_cos);
    expect(dist(a, b)).toBeLessThan(0.01);
    expect(dist(a, noon)).toBeGreaterThan(1.9);
  });

  it('clips out-of-range values instead of passing them to the model', () => {
    const v = buildFeatureVector({ ...base, amount: -5, userRiskScore: 7, accountAgeDays: 99_999, velocity60s: 2.7 });
    expect(v.named.amount).toBe(0);
    expect(v.named.user_risk_score).toBe(1);
    expect(v.named.account_age_days).toBe(3650);
    expect(v.named.velocity_60s).toBe(2);
  });

  it('rejects inputs it cannot encode', () => {
    expect(() => buildFeatureVector({ ...base, amount: Number.NaN })).toThrow(FeatureInputError);
    expect(() => buildFeatureVector({ ...base, eventTime: 'yesterday' })).toThrow(FeatureInputError);
    expect(() => buildFeatureVector({ ...base, velocity60s: -1 })).toThrow(FeatureInputError);
    try {
      buildFeatureVector({ ...base, eventTime: 'nope' });
    } catch (err) {
      expect((err as FeatureInputError).code).toBe('FEATURE_INPUT_INVALID');
    }
  });

  it('rebuilds the same vector from logged named or positional values, and refuses another spec', () => {
    const v = buildFeatureVector(base);
    const fromNamed = featureVectorFromNamed({ ...v.named });
    expect(Array.from(fromNamed.values)).toEqual(Array.from(v.values));
    expect(Array.from(featureVectorFromValues(Array.from(v.values)).values)).toEqual(Array.from(v.values));
    const partial = featureVectorFromNamed({ amount: 3 });
    expect(partial.named.hour_cos).toBe(1);
    expect(partial.defaulted).toContain('velocity_60s');
    expect(() => featureVectorFromNamed(v.named, 'pf-v0')).toThrow(FeatureSpecMismatchError);
    expect(() => featureVectorFromValues([1, 2, 3])).toThrow(FeatureSpecMismatchError);
  });

  it('marks events late after 5 minutes', () => {
    expect(isLateEvent(0, 5 * 60_000)).toBe(false);
    expect(isLateEvent(0, 5 * 60_000 + 1)).toBe(true);
  });
});

describe('VelocityTracker', () => {
  it('counts earlier payments of the same user in [t-60s, t)', () => {
    const v = new VelocityTracker();
    expect(v.observe('u1', 0)).toBe(0);
    expect(v.observe('u1', 30_000)).toBe(1);
    expect(v.observe('u2', 30_000)).toBe(0); // other users do not count
    expect(v.observe('u1', 30_000)).toBe(1); // same instant: not "earlier"
    expect(v.observe('u1', 60_000)).toBe(3); // 0 is exactly 60 s before: inside
    expect(v.observe('u1', 90_001)).toBe(1); // only 60 000 remains in (30 001, 90 001)
  });

  it('counts by event time, so a late event still counts for later ones', () => {
    const v = new VelocityTracker();
    v.observe('u1', 100_000);
    expect(v.observe('u1', 80_000)).toBe(0); // arrives late, nothing before it
    expect(v.observe('u1', 120_000)).toBe(2);
  });
});
