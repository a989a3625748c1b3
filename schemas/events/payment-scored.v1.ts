import { z } from 'zod';
import { defineContract } from '../contract';
import { modelVersion, opaqueId, probability, reasons } from '../primitives';

/**
 * payments.scored v1 — the outcome of one payment saga, published by the record step. Key = paymentId.
 */
export const paymentScoredV1Schema = z.strictObject({
  paymentId: opaqueId,
  decision: z.enum(['APPROVE', 'FLAG']),
  score: probability,
  /** Champion version that decided, or the rule set's version when `fallback` is true. */
  modelVersion,
  /** The shadow model's opinion, recorded for comparison only: it never acts. */
  shadow: z.strictObject({ version: modelVersion, score: probability }).optional(),
  reasons,
  /** True when the circuit breaker routed scoring to the rule fallback. */
  fallback: z.boolean(),
  workflowId: z.string().min(1).max(256),
});

export type PaymentScoredV1 = z.output<typeof paymentScoredV1Schema>;

export const paymentScoredV1 = defineContract({
  type: 'payments.scored',
  version: 1,
  schema: paymentScoredV1Schema,
  subjectField: 'paymentId',
  example: {
    paymentId: 'pay-0001',
    decision: 'FLAG',
    score: 0.93,
    modelVersion: 'fraud-7',
    shadow: { version: 'fraud-8', score: 0.88 },
    reasons: [
      { feature: 'velocity_60s', contribution: 0.41 },
      { feature: 'new_device', contribution: 0.22 },
    ],
    fallback: false,
    workflowId: 'payment-3f2b7c1e-8d5a-4e0b-9a61-0c2d4e6f8a10',
  },
});
