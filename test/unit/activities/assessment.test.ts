import { ApplicationFailure } from '@temporalio/common';
import { assessPayment, type AssessmentSteps } from '../../../activities/assessment.activities';
import type { EnrichmentResult, EnrichPaymentInput, ScoringResult } from '../../../activities';

const input: EnrichPaymentInput = {
  paymentId: 'pay-1',
  userId: 'u-1',
  amount: 10,
  currency: 'EUR',
  country: 'DE',
  merchantCategory: 'grocery',
  deviceId: 'd-1',
  eventTime: '2026-12-01T10:00:00.000Z',
  processedAt: '2026-12-01T10:00:00.050Z',
};
const enriched = { featureSpecVersion: 'pf-v1', vector: [1, 2, 3] } as unknown as EnrichmentResult;
const scored = { probability: 0.1, modelVersion: 'm-1' } as unknown as ScoringResult;

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('assessPayment', () => {
  it('scores exactly the vector enrichment produced and returns both results', async () => {
    const seen: unknown[] = [];
    const steps: AssessmentSteps = { enrichPayment: async () => enriched, scorePayment: async (i) => (seen.push(i), scored) };
    await expect(assessPayment(steps, input)).resolves.toEqual({ enriched, scored });
    expect(seen).toEqual([{ paymentId: 'pay-1', featureSpecVersion: 'pf-v1', vector: [1, 2, 3] }]);
  });

  it('names the failing step and keeps a plain error retryable, typed by its code', async () => {
    const steps: AssessmentSteps = {
      enrichPayment: async () => {
        throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
      },
      scorePayment: async () => scored,
    };
    const failure = await failureOf(assessPayment(steps, input));
    expect(failure).toMatchObject({ message: 'enrich: connection refused', type: 'ECONNREFUSED', nonRetryable: false, details: [{ step: 'enrich' }] });
  });

  it('keeps a non-retryable failure non-retryable and does not score after enrichment failed', async () => {
    let scoredCalls = 0;
    const steps: AssessmentSteps = {
      enrichPayment: async () => enriched,
      scorePayment: async () => {
        scoredCalls++;
        throw ApplicationFailure.create({ message: 'spec mismatch', type: 'FEATURE_SPEC_MISMATCH', nonRetryable: true });
      },
    };
    const failure = await failureOf(assessPayment(steps, input));
    expect(failure).toMatchObject({ type: 'FEATURE_SPEC_MISMATCH', nonRetryable: true, details: [{ step: 'score' }] });
    expect(scoredCalls).toBe(1);

    const enrichFails: AssessmentSteps = { enrichPayment: async () => Promise.reject(new Error('down')), scorePayment: async () => (scoredCalls++, scored) };
    await failureOf(assessPayment(enrichFails, input));
    expect(scoredCalls).toBe(1);
  });
});
