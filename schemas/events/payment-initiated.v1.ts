import { z } from 'zod';
import { defineContract } from '../contract';
import { countryCode, currencyCode, opaqueId, timestamp } from '../primitives';

/**
 * payments.initiated v1 — a payment a producer asks us to screen. Key (subject) = userId, so one user's payments stay
 * in order on one partition: velocity features depend on it.
 *
 * Deliberately absent: anything the platform already knows better than the producer. Account age and the user's risk
 * level come from the risk profile (looked up by userId); velocity is computed from stored events by event time.
 * `newDevice` is an optional producer hint; without it enrichment compares deviceId with the profile's devices.
 */
export const paymentInitiatedV1Schema = z.strictObject({
  paymentId: opaqueId,
  userId: opaqueId,
  merchantId: opaqueId,
  /** Major units of `currency` (12.5 = 12.50 EUR). Upper bound keeps garbage out of features and sums. */
  amount: z.number().positive().max(10_000_000),
  currency: currencyCode,
  /** Country where the payment originates (card-present: terminal; online: billing). */
  country: countryCode,
  /** Merchant category as the producer classifies it, e.g. an ISO 18245 MCC ("5411") or a slug ("electronics"). */
  merchantCategory: z.string().min(1).max(64),
  deviceId: opaqueId,
  newDevice: z.boolean().optional(),
  channel: z.enum(['web', 'mobile', 'pos', 'api']).optional(),
  /**
   * When the payment happened at the source, if it differs from the envelope `time` (offline terminals upload
   * late). Velocity windows use `eventTime ?? envelope.time`, never the processing time.
   */
  eventTime: timestamp.optional(),
});

export type PaymentInitiatedV1 = z.output<typeof paymentInitiatedV1Schema>;

export const paymentInitiatedV1 = defineContract({
  type: 'payments.initiated',
  version: 1,
  schema: paymentInitiatedV1Schema,
  subjectField: 'userId',
  example: {
    paymentId: 'pay-0001',
    userId: 'user-42',
    merchantId: 'merch-7',
    amount: 129.9,
    currency: 'EUR',
    country: 'DE',
    merchantCategory: '5732',
    deviceId: 'dev-a1',
    newDevice: false,
    channel: 'web',
    eventTime: '2025-01-15T10:00:00.000Z',
  },
});
