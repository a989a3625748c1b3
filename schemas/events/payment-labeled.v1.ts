import { z } from 'zod';
import { defineContract } from '../contract';
import { modelName, opaqueId, timestamp } from '../primitives';

/**
 * payments.labeled v1 — ground truth that arrives later (chargeback, analyst review, customer confirmation). The bridge
 * routes it to the learning workflow of `modelName` and stores it joined to the feature vector logged at scoring time.
 * Key = paymentId.
 */
export const paymentLabeledV1Schema = z.strictObject({
  paymentId: opaqueId,
  label: z.enum(['fraud', 'legit']),
  source: z.enum(['chargeback', 'review', 'confirmed']),
  /** When the truth became known; training sets are built point-in-time on it. */
  labeledAt: timestamp,
  /** Which model learns from it; absent = the default model the bridge is configured with. */
  modelName: modelName.optional(),
});

export type PaymentLabeledV1 = z.output<typeof paymentLabeledV1Schema>;

export const paymentLabeledV1 = defineContract({
  type: 'payments.labeled',
  version: 1,
  schema: paymentLabeledV1Schema,
  subjectField: 'paymentId',
  example: {
    paymentId: 'pay-0001',
    label: 'fraud',
    source: 'chargeback',
    labeledAt: '2025-02-01T09:30:00.000Z',
    modelName: 'fraud',
  },
});
