import { buildFeatureVector } from '../../src/features/payment-features';

/** A payment every sensible fraud model scores high: night, crypto, new device, foreign country, risky young account. */
export const RISKY_VECTOR = buildFeatureVector({
  amount: 5000,
  eventTime: '2025-01-01T03:00:00Z',
  merchantCategory: 'crypto',
  velocity60s: 4,
  newDevice: true,
  userHomeCountry: 'DE',
  paymentCountry: 'NG',
  userRiskScore: 0.8,
  accountAgeDays: 3,
});
