import type { EventEnvelope } from './envelope';
import { modelDriftDetectedV1, type ModelDriftDetectedV1 } from './events/model-drift-detected.v1';
import { modelRetrainRequestedV1, type ModelRetrainRequestedV1 } from './events/model-retrain-requested.v1';
import { paymentFlagRetractedV1, type PaymentFlagRetractedV1 } from './events/payment-flag-retracted.v1';
import { paymentFlaggedV1, type PaymentFlaggedV1 } from './events/payment-flagged.v1';
import { paymentInitiatedV1, type PaymentInitiatedV1 } from './events/payment-initiated.v1';
import { paymentLabeledV1, type PaymentLabeledV1 } from './events/payment-labeled.v1';
import { paymentScoredV1, type PaymentScoredV1 } from './events/payment-scored.v1';
import { ContractRegistry, type ParseOptions, type ParseResult } from './registry';

export * from './contract';
export * from './envelope';
export * from './errors';
export * from './registry';
export * from './events/model-drift-detected.v1';
export * from './events/model-retrain-requested.v1';
export * from './events/payment-flag-retracted.v1';
export * from './events/payment-flagged.v1';
export * from './events/payment-initiated.v1';
export * from './events/payment-labeled.v1';
export * from './events/payment-scored.v1';

/** Event type names, for topic wiring and switches. */
export const EventTypes = {
  paymentInitiated: 'payments.initiated',
  paymentLabeled: 'payments.labeled',
  paymentScored: 'payments.scored',
  paymentFlagged: 'payments.flagged',
  paymentFlagRetracted: 'payments.flag-retracted',
  modelDriftDetected: 'model.drift-detected',
  modelRetrainRequested: 'model.retrain-requested',
} as const;

export type EventType = (typeof EventTypes)[keyof typeof EventTypes];

/**
 * Data type of the latest version of each event type: what parseEvent hands out after upcasting. When a v2 is added,
 * point its entry at the v2 type (the compiler then shows every consumer that must handle it).
 */
export interface LatestEventData {
  'payments.initiated': PaymentInitiatedV1;
  'payments.labeled': PaymentLabeledV1;
  'payments.scored': PaymentScoredV1;
  'payments.flagged': PaymentFlaggedV1;
  'payments.flag-retracted': PaymentFlagRetractedV1;
  'model.drift-detected': ModelDriftDetectedV1;
  'model.retrain-requested': ModelRetrainRequestedV1;
}

/** A parsed, upcast event of one type. */
export type MainspringEvent<K extends EventType = EventType> = Extract<ParseResult<LatestEventData>, { ok: true; type: K }>;

/** A latest-version envelope of one type, as producers build it with createEvent. */
export type LatestEnvelope<K extends EventType> = EventEnvelope<LatestEventData[K]>;

/** Every published contract version. Append only. */
export const allContracts = [
  paymentInitiatedV1,
  paymentLabeledV1,
  paymentScoredV1,
  paymentFlaggedV1,
  paymentFlagRetractedV1,
  modelDriftDetectedV1,
  modelRetrainRequestedV1,
] as const;

/** Every upcaster vN → vN+1. Empty until a type gets its v2. */
export const allUpcasters = [] as const;

/** The platform's registry: all versions of all event types plus their upcasters. */
export const contractRegistry: ContractRegistry<LatestEventData> = new ContractRegistry<LatestEventData>({
  contracts: allContracts,
  upcasters: allUpcasters,
});

/** `contractRegistry.parseEvent`, for the bridge's hot path. Never throws. */
export function parseEvent(raw: unknown, options?: ParseOptions): ParseResult<LatestEventData> {
  return contractRegistry.parseEvent(raw, options);
}
