import { paymentFlaggedEvent, type PublishFlaggedInput } from '../../../activities/actions.activities';
import { eventIdFor } from '../../../activities/shared';
import { paymentFlaggedV1 } from '../../../schemas';
import { MAX_REASONS } from '../../../schemas/limits';

const ref = { workflowId: 'payment-e1', paymentId: 'p-1', correlationId: 'c-1', eventId: 'e-1', idempotencyKey: 'payment-e1:publish-flagged' };
const reasons = Array.from({ length: MAX_REASONS + 3 }, (_, i) => ({ feature: `f${i}`, contribution: 1 - i / 100, value: i }));
const flag: NonNullable<PublishFlaggedInput['flag']> = {
  payment: { paymentId: 'p-1', userId: 'u-1', amount: 120.5, currency: 'EUR' },
  scored: { probability: 0.93, modelVersion: 'fraud-7', reasons, fallback: false },
  threshold: 0.85,
};

describe('paymentFlaggedEvent', () => {
  it('builds the contract event from what the saga knows: id from the idempotency key, causation = the payment event', () => {
    const e = paymentFlaggedEvent({ ...ref, flag }, 'mainspring/payment-saga');
    expect(paymentFlaggedV1.schema.safeParse(e.data).success).toBe(true);
    expect(e).toMatchObject({ id: eventIdFor(ref.idempotencyKey), source: 'mainspring/payment-saga', correlationid: 'c-1', causationid: 'e-1', subject: 'p-1' });
    expect(e.data).toMatchObject({ paymentId: 'p-1', userId: 'u-1', amount: 120.5, currency: 'EUR', score: 0.93, threshold: 0.85, modelVersion: 'fraud-7', fallback: false, workflowId: 'payment-e1' });
    expect(e.data.reasons).toHaveLength(MAX_REASONS);
  });

  it('takes the data as given by a saga that scheduled the step before (its input carries it)', () => {
    const built = paymentFlaggedEvent({ ...ref, flag }, 's');
    const legacy = paymentFlaggedEvent({ ...ref, data: built.data }, 's');
    expect({ ...legacy, time: built.time }).toEqual(built);
    expect(() => paymentFlaggedEvent(ref, 's')).toThrow(/neither flag nor data/);
  });
});
