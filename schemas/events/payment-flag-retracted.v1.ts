import { z } from 'zod';
import { defineContract } from '../contract';
import { opaqueId, shortText } from '../primitives';

/**
 * payments.flag-retracted v1 — undoes a payments.flagged: the saga's compensation after a later step failed, or an
 * analyst clearing the payment. Consumers drop the case. Key = paymentId (same partition as the flag).
 */
export const paymentFlagRetractedV1Schema = z.strictObject({
  paymentId: opaqueId,
  workflowId: z.string().min(1).max(256),
  reason: z.enum(['saga-compensation', 'manual-review']),
  /** Envelope id of the payments.flagged event being retracted, when the retracting side knows it. */
  flagEventId: opaqueId.optional(),
  detail: shortText.optional(),
});

export type PaymentFlagRetractedV1 = z.output<typeof paymentFlagRetractedV1Schema>;

export const paymentFlagRetractedV1 = defineContract({
  type: 'payments.flag-retracted',
  version: 1,
  schema: paymentFlagRetractedV1Schema,
  subjectField: 'paymentId',
  example: {
    paymentId: 'pay-0001',
    workflowId: 'payment-3f2b7c1e-8d5a-4e0b-9a61-0c2d4e6f8a10',
    reason: 'saga-compensation',
    flagEventId: '9b1d4f3a-6c2e-4a7b-8d90-1e2f3a4b5c6d',
    detail: 'record step failed after act',
  },
});
