/*
 * Test-only contract versions: a well-behaved payments.initiated v2 (with its upcaster) to exercise upcasting, and a
 * careless one to prove the compatibility check catches what it should. Neither is published.
 */
import { z } from 'zod';
import {
  allContracts,
  ContractRegistry,
  defineContract,
  defineUpcaster,
  paymentInitiatedV1,
  type ContractDescriptor,
  type PaymentInitiatedV1,
  type Upcaster,
} from '../../../schemas';
import { countryCode, currencyCode, opaqueId, timestamp } from '../../../schemas/primitives';

/** v2: money as integer minor units, and the two fields enrichment always needs made mandatory. */
export const paymentInitiatedV2Schema = z.strictObject({
  paymentId: opaqueId,
  userId: opaqueId,
  merchantId: opaqueId,
  amountMinor: z.int().positive().max(1_000_000_000),
  currency: currencyCode,
  country: countryCode,
  merchantCategory: z.string().min(1).max(64),
  deviceId: opaqueId,
  newDevice: z.boolean().optional(),
  channel: z.enum(['web', 'mobile', 'pos', 'api', 'unknown']),
  eventTime: timestamp,
  /** New and optional: needs nothing from the upcaster. */
  ipCountry: countryCode.optional(),
});

export type PaymentInitiatedV2 = z.output<typeof paymentInitiatedV2Schema>;

export const paymentInitiatedV2 = defineContract({
  type: 'payments.initiated',
  version: 2,
  schema: paymentInitiatedV2Schema,
  subjectField: 'userId',
  example: {
    paymentId: 'pay-0001',
    userId: 'user-42',
    merchantId: 'merch-7',
    amountMinor: 12990,
    currency: 'EUR',
    country: 'DE',
    merchantCategory: '5732',
    deviceId: 'dev-a1',
    channel: 'web',
    eventTime: '2025-01-15T10:00:00.000Z',
  },
});

export const paymentInitiatedV1ToV2 = defineUpcaster(
  paymentInitiatedV1,
  paymentInitiatedV2,
  ['amount', 'amountMinor', 'channel', 'eventTime'],
  ({ amount, channel, eventTime, ...rest }, envelope) => ({
    ...rest,
    // Test-only simplification: two-decimal currencies.
    amountMinor: Math.round(amount * 100),
    channel: channel ?? ('unknown' as const),
    eventTime: eventTime ?? envelope.time,
  }),
);

/** Breaks every rule once; each comment names the problem checkCompatibility must report. */
export const carelessV2Schema = z.strictObject({
  paymentId: opaqueId,
  userId: opaqueId,
  merchantId: opaqueId,
  amount: z.number().positive().max(1_000_000), // CONSTRAINT_NARROWED amount (max 1e7 → 1e6)
  currency: z.enum(['EUR', 'USD']), // ENUM_NARROWED currency (any ISO code → two)
  country: countryCode,
  // merchantCategory dropped: FIELD_REMOVED (strict object)
  deviceId: opaqueId,
  newDevice: z.enum(['yes', 'no']).optional(), // TYPE_CHANGED newDevice (boolean → string)
  channel: z.enum(['web', 'mobile', 'pos', 'api']).optional(),
  eventTime: timestamp.optional(),
  ipAddress: z.string().min(1), // REQUIRED_ADDED ipAddress
});

export const carelessV2 = defineContract({
  type: 'payments.initiated',
  version: 2,
  schema: carelessV2Schema,
  subjectField: 'userId',
  example: {
    paymentId: 'pay-1',
    userId: 'user-1',
    merchantId: 'm-1',
    amount: 10,
    currency: 'EUR',
    country: 'DE',
    deviceId: 'd-1',
    ipAddress: '192.0.2.1',
  },
});

/** Passes everything through: the upcaster a careless author writes. Drops merchantCategory so only static rules fire. */
export const carelessUpcaster = defineUpcaster(paymentInitiatedV1, carelessV2, [], (d: PaymentInitiatedV1) => {
  const { merchantCategory: _dropped, ...rest } = d;
  return rest as unknown as z.input<typeof carelessV2Schema>;
});

/** The real registry plus extra versions/upcasters. */
export function registryWith(
  extra: readonly ContractDescriptor[],
  upcasters: readonly Upcaster[],
): ContractRegistry<Record<string, unknown>> {
  return new ContractRegistry({ contracts: [...allContracts, ...extra], upcasters });
}
