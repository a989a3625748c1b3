// The plain consumer's per-event work: the payment saga's steps up to its first record, called directly (no
// Temporal). Uses the very activity functions the worker registers, so both sides do identical database and Kafka work.
import type { PaymentSagaActivities } from '../../activities';
import type { PaymentInitiatedV1 } from '../../schemas/events/payment-initiated.v1';
import type { EventEnvelope } from '../../schemas/envelope';
import type { KafkaCoordinates } from '../../schemas/bridged-event';
import { enrichInput, scoringRecordFields } from '../../activities/payment-steps';
import { decide, DEFAULT_THRESHOLD } from '../../schemas/payment-saga';

/** One payment, start to finish, in-process: what the saga does up to its first record (no review wait). */
export async function processPayment(acts: PaymentSagaActivities, envelope: EventEnvelope<PaymentInitiatedV1>, kafka: KafkaCoordinates): Promise<void> {
  const payment = envelope.data;
  const workflowId = `plain-${envelope.id}`;
  const keyOf = (step: string) => `${workflowId}:${step}`;
  const ref = { workflowId, paymentId: payment.paymentId, correlationId: envelope.correlationid, eventId: envelope.id };
  const enriched = await acts.enrichPayment(enrichInput(payment, envelope.time, new Date().toISOString()));
  const scored = await acts.scorePayment({ paymentId: payment.paymentId, featureSpecVersion: enriched.featureSpecVersion, vector: enriched.vector });
  const threshold = DEFAULT_THRESHOLD;
  const decision = decide(scored.probability, threshold);
  const actions: string[] = [];
  if (decision === 'FLAG') {
    const why = `score ${scored.probability.toFixed(3)} > ${threshold} (${scored.modelVersion})`;
    const hold = await acts.holdPayment({ idempotencyKey: keyOf('hold-payment'), paymentId: payment.paymentId, reason: why });
    actions.push('hold-payment');
    await Promise.all([
      acts.publishFlagged({
        ...ref,
        idempotencyKey: keyOf('publish-flagged'),
        flag: { payment, scored, threshold },
      }),
      acts.notifyFraudTeam({ idempotencyKey: keyOf('notify-fraud-team'), paymentId: payment.paymentId, workflowId, summary: `payment ${payment.paymentId} flagged: ${why}; hold ${hold.holdKey}` }),
      acts.raiseRiskProfile({ idempotencyKey: keyOf('raise-risk-profile'), userId: payment.userId }),
    ]);
    actions.push('publish-flagged', 'notify-fraud-team', 'raise-risk-profile');
  }
  await acts.recordDecision({
    ...ref,
    runId: 'plain-consumer',
    decision,
    status: decision === 'FLAG' ? 'in-review' : 'approved',
    ...scoringRecordFields(scored, enriched, threshold),
    actions,
    compensations: [],
    kafka,
    publishScored: true,
  });
}
