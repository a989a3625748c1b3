// The saga's pure helpers, without a server: decision rule, option checks, the review validator, the UI summary.
import { ApplicationFailure } from '@temporalio/common';
import { decide } from '../../schemas/payment-saga';
import { checkOptions, resolveThreshold } from '../../workflows/payment-saga/decide';
import { sagaDetails } from '../../workflows/payment-saga/details';
import { validateReviewRequest } from '../../workflows/payment-saga/review';
import type { PaymentSagaStatus } from '../../workflows/payment-saga/payment-saga.messages';

describe('payment saga helpers', () => {
  it('flags strictly above the threshold; per-model threshold wins over the saga-wide one', () => {
    expect(decide(0.851, 0.85)).toBe('FLAG');
    expect(decide(0.85, 0.85)).toBe('APPROVE');
    expect(resolveThreshold(undefined, 'fraud')).toBe(0.85);
    expect(resolveThreshold({ threshold: 0.9 }, 'fraud')).toBe(0.9);
    expect(resolveThreshold({ threshold: 0.9, thresholdByModel: { fraud: 0.7 } }, 'fraud')).toBe(0.7);
    expect(resolveThreshold({ threshold: 0.9, thresholdByModel: { other: 0.7 } }, 'fraud')).toBe(0.9);
    expect(checkOptions({ threshold: 0.5, thresholdByModel: { fraud: 1 } })).toEqual([]);
    expect(checkOptions({ threshold: -0.1, thresholdByModel: { fraud: Number.NaN } })).toHaveLength(2);
  });

  it('validates review requests with a code per problem', () => {
    const code = (request: unknown, phase: PaymentSagaStatus['phase'] = 'in-review'): string | undefined => {
      try {
        validateReviewRequest(request, phase);
        return undefined;
      } catch (err) {
        expect(err).toBeInstanceOf(ApplicationFailure);
        expect((err as ApplicationFailure).type).toBe('ReviewRejected');
        return ((err as ApplicationFailure).details?.[0] as { code: string }).code;
      }
    };
    expect(code({ verdict: 'fraud', reviewer: 'ana' })).toBeUndefined();
    expect(code({ verdict: 'legit', reviewer: 'ana', note: 'ok' })).toBeUndefined();
    expect(code({ verdict: 'fraud', reviewer: 'ana' }, 'acting')).toBe('NOT_IN_REVIEW');
    expect(code({ verdict: 'fraud', reviewer: 'ana' }, 'resolving')).toBe('NOT_IN_REVIEW');
    expect(code(null)).toBe('REQUEST_INVALID');
    expect(code({ verdict: 'FRAUD', reviewer: 'ana' })).toBe('UNKNOWN_VERDICT');
    expect(code({ verdict: 'fraud', reviewer: 42 })).toBe('REVIEWER_MISSING');
    expect(code({ verdict: 'fraud', reviewer: 'x'.repeat(257) })).toBe('REVIEWER_MISSING');
    expect(code({ verdict: 'fraud', reviewer: 'ana', note: 7 })).toBe('NOTE_INVALID');
  });

  it('summarises the saga for the Temporal UI', () => {
    const status: PaymentSagaStatus = {
      workflowId: 'payment-1',
      paymentId: 'p-123',
      phase: 'in-review',
      decision: 'FLAG',
      score: 0.934,
      threshold: 0.85,
      modelVersion: 'fraud-7',
      fallback: false,
      actions: [
        { step: 'hold-payment', status: 'done' },
        { step: 'notify-fraud-team', status: 'failed' },
      ],
      compensations: [],
    };
    const text = sagaDetails(status, 950, 'EUR');
    expect(text.split('\n\n')[0]).toBe('**payment p-123** · 950.00 EUR · FLAG 0.93');
    expect(text).toContain('phase in-review');
    expect(text).toContain('actions: hold-payment');
    expect(text).not.toContain('notify-fraud-team');
  });
});
