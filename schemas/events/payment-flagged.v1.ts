import { z } from 'zod';
import { defineContract } from '../contract';
import { currencyCode, modelVersion, opaqueId, probability, reasons } from '../primitives';

/**
 * payments.flagged v1 — published by the act step once the payment is held, for the fraud team's tools. Carries what
 * a case view needs without a lookup. Key = paymentId, so a later retraction is ordered after its flag.
 */
export const paymentFlaggedV1Schema = z.strictObject({
  paymentId: opaqueId,
  userId: opaqueId,
  amount: z.number().positive().max(10_000_000),
  currency: currencyCode,
  score: probability,
  /** The threshold in force when deciding: scores are only comparable with it. */
  threshold: probability,
  modelVersion,
  reasons,
  fallback: z.boolean(),
  workflowId: z.string().min(1).max(256),
});

export type PaymentFlaggedV1 = z.output<typeof paymentFlaggedV1Schema>;

export const paymentFlaggedV1 = defineContract({
  type: 'payments.flagged',
  version: 1,
  schema: paymentFlaggedV1Schema,
  subjectField: 'paymentId',
  example: {
    paymentId: 'pay-0001',
    userId: 'user-42',
    amount: 129.9,
    currency: 'EUR',
    score: 0.93,
    threshold: 0.85,
    modelVersion: 'fraud-7',
    reasons: [{ feature: 'velocity_60s', contribution: 0.41 }],
    fallback: false,
    workflowId: 'payment-3f2b7c1e-8d5a-4e0b-9a61-0c2d4e6f8a10',
  },
});
