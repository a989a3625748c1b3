// The inputs of the saga's steps, built from the payment: shared by the workflow and by anything that runs the same
// steps without Temporal (the bench's plain consumer), so both always do identical work. Pure: no I/O, no clock.
import type { PaymentInitiatedV1 } from '../schemas/events/payment-initiated.v1';
import type { RecordDecisionInput } from './audit.activities';
import type { EnrichmentResult, EnrichPaymentInput } from './enrichment.activities';
import type { ScoringResult } from './scoring.activities';

export function enrichInput(payment: PaymentInitiatedV1, envelopeTime: string, processedAt: string): EnrichPaymentInput {
  return {
    paymentId: payment.paymentId,
    userId: payment.userId,
    amount: payment.amount,
    currency: payment.currency,
    country: payment.country,
    merchantCategory: payment.merchantCategory,
    deviceId: payment.deviceId,
    ...(payment.newDevice === undefined ? {} : { newDevice: payment.newDevice }),
    eventTime: payment.eventTime ?? envelopeTime,
    processedAt,
  };
}

/** What a decision record says about the scoring: the same fields whoever records it (saga or plain consumer). */
export function scoringRecordFields(scored: ScoringResult, enriched: EnrichmentResult, threshold: number): Pick<RecordDecisionInput, 'score' | 'threshold' | 'modelName' | 'modelVersion' | 'fallback' | 'fallbackReason' | 'featureSpecVersion' | 'shadow' | 'reasons' | 'features'> {
  return {
    ...scoreSummary(scored, threshold),
    featureSpecVersion: enriched.featureSpecVersion,
    ...(scored.shadow ? { shadow: scored.shadow } : {}),
    reasons: scored.reasons,
    features: enriched.features,
  };
}

/** Which model scored the payment, how, and against what threshold: the same fields in the saga's status and record. */
export function scoreSummary(scored: ScoringResult, threshold: number): Pick<RecordDecisionInput, 'score' | 'threshold' | 'modelName' | 'modelVersion' | 'fallback' | 'fallbackReason'> {
  return {
    score: scored.probability,
    threshold,
    modelName: scored.modelName,
    modelVersion: scored.modelVersion,
    fallback: scored.fallback,
    ...(scored.fallbackReason ? { fallbackReason: scored.fallbackReason } : {}),
  };
}
