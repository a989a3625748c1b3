import { createEvent, paymentFlaggedV1 } from '../../../schemas';
import { MAX_REASONS, toContractReasons } from '../../../schemas/limits';
import { eventIdFor } from '../../../activities/shared';

describe('activity helpers', () => {
  it('derives one stable, UUID-shaped event id per idempotency key', () => {
    const id = eventIdFor('payment-abc:publish-flagged');
    expect(id).toBe(eventIdFor('payment-abc:publish-flagged'));
    expect(id).not.toBe(eventIdFor('payment-abc:retract-flag'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Valid as an envelope id.
    const e = createEvent(paymentFlaggedV1, { id, source: 'mainspring/payment-saga', data: paymentFlaggedV1.example });
    expect(e.id).toBe(id);
  });

  it('cuts reasons to what the contracts accept', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ feature: `f${i}`, contribution: i / 10, value: i, rule: 'r' }));
    const out = toContractReasons(many);
    expect(out).toHaveLength(MAX_REASONS);
    // The contract agrees: one more would be refused.
    expect(paymentFlaggedV1.schema.safeParse({ ...paymentFlaggedV1.example, reasons: out }).success).toBe(true);
    expect(paymentFlaggedV1.schema.safeParse({ ...paymentFlaggedV1.example, reasons: toContractReasons([...many, ...many]).concat(out[0]) }).success).toBe(false);
    expect(out[0]).toEqual({ feature: 'f0', contribution: 0 });
  });
});
