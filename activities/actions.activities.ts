import { and, eq, sql } from 'drizzle-orm';
import { createEvent, paymentFlaggedV1, paymentFlagRetractedV1, paymentLabeledV1, type EventEnvelope, type PaymentFlaggedV1, type PaymentInitiatedV1 } from '../schemas';
import { toContractReasons } from '../schemas/limits';
import { decision, notification, paymentHold, riskAdjustment, userRiskProfile } from '../src/db/schema';
import type { CompensationReason, CompensationStep, ReviewVerdict } from '../schemas/payment-saga';
import { writeLedger } from './audit.activities';
import type { ScoringResult } from './scoring.activities';
import { errorMessage, eventIdFor, failPermanentFast, publishEffect, type ResolvedDeps } from './shared';

// The effects of a FLAG and their undos. Every effect is keyed by an idempotency key the workflow derives from its id
// and the step (`<workflowId>:<step>`), and written as an insert-if-absent or a guarded update, so an activity retry,
// a worker crash mid-attempt or a replayed saga changes nothing twice. Undos write every attempt to the ledger.

/** Identifies the saga and its cause on every published event (correlation chain, causation = the initiating event). */
export interface SagaRef {
  workflowId: string;
  paymentId: string;
  correlationId: string;
  /** Envelope id of payments.initiated. */
  eventId: string;
}

export interface CompensationInput {
  workflowId: string;
  reason: CompensationReason;
}

export interface HoldPaymentInput {
  idempotencyKey: string;
  paymentId: string;
  reason: string;
}

export interface NotifyFraudTeamInput {
  idempotencyKey: string;
  paymentId: string;
  workflowId: string;
  summary: string;
}

export interface RaiseRiskInput {
  idempotencyKey: string;
  userId: string;
}

export interface RiskAdjustmentResult {
  previousScore: number;
  newScore: number;
}

/** What a flag is about, as the saga knows it; paymentFlaggedEvent turns it into the event. */
export interface FlagFacts {
  payment: Pick<PaymentInitiatedV1, 'paymentId' | 'userId' | 'amount' | 'currency'>;
  scored: Pick<ScoringResult, 'probability' | 'modelVersion' | 'reasons' | 'fallback'>;
  threshold: number;
}

export interface PublishFlaggedInput extends SagaRef {
  idempotencyKey: string;
  flag?: FlagFacts;
  /** The event's data as sagas built it before FlagFacts (their scheduled steps still carry it). */
  data?: PaymentFlaggedV1;
}

/** payments.flagged of a saga: the one place its data and envelope are built. */
export function paymentFlaggedEvent(input: PublishFlaggedInput, source: string): EventEnvelope<PaymentFlaggedV1> {
  const data: PaymentFlaggedV1 | undefined = input.flag
    ? {
        paymentId: input.flag.payment.paymentId,
        userId: input.flag.payment.userId,
        amount: input.flag.payment.amount,
        currency: input.flag.payment.currency,
        score: input.flag.scored.probability,
        threshold: input.flag.threshold,
        modelVersion: input.flag.scored.modelVersion,
        reasons: toContractReasons(input.flag.scored.reasons),
        fallback: input.flag.scored.fallback,
        workflowId: input.workflowId,
      }
    : input.data;
  if (!data) throw new Error(`publishFlagged for ${input.workflowId}: neither flag nor data given`);
  return createEvent(paymentFlaggedV1, { id: eventIdFor(input.idempotencyKey), source, correlationId: input.correlationId, causationId: input.eventId, data });
}

export interface EscalateReviewInput extends SagaRef {
  idempotencyKey: string;
  /** Workflow time of the escalation, ISO-8601. */
  escalatedAt: string;
  summary: string;
}

export interface PublishLabelInput extends SagaRef {
  idempotencyKey: string;
  label: ReviewVerdict;
  labeledAt: string;
}

const FRAUD_TEAM = 'fraud-team';

export function createActionActivities(deps: ResolvedDeps) {
  const { db, topics } = deps;

  /** Wraps an undo so each attempt, failed or not, lands in compensation_ledger before the activity reports. */
  const compensation =
    <I extends CompensationInput, R>(step: CompensationStep, undo: (input: I) => Promise<R>) =>
    async (input: I): Promise<R> => {
      let result: R;
      try {
        result = await undo(input);
      } catch (err) {
        // The undo's own error is what the retry is about; a ledger outage on top is logged, not allowed to mask it.
        await writeLedger(db, { workflowId: input.workflowId, step, reason: input.reason, outcome: 'failed', error: errorMessage(err).slice(0, 2000) }).catch(
          (ledgerErr: unknown) => deps.logger?.error({ err: ledgerErr, step, workflowId: input.workflowId }, 'compensation ledger write failed'),
        );
        throw err;
      }
      await writeLedger(db, { workflowId: input.workflowId, step, reason: input.reason, outcome: 'succeeded' });
      return result;
    };

  const sagaEvent = (ref: SagaRef, id: string) => ({ id, source: deps.source, correlationId: ref.correlationId, causationId: ref.eventId });

  return {
    async holdPayment(input: HoldPaymentInput): Promise<{ holdKey: string }> {
      await db
        .insert(paymentHold)
        .values({ idempotencyKey: input.idempotencyKey, paymentId: input.paymentId, status: 'held', reason: input.reason })
        .onConflictDoNothing();
      return { holdKey: input.idempotencyKey };
    },

    releaseHold: compensation('release-hold', async (input: CompensationInput & { holdKey: string }) => {
      await db
        .update(paymentHold)
        .set({ status: 'released', releasedAt: sql`now()` })
        .where(and(eq(paymentHold.idempotencyKey, input.holdKey), eq(paymentHold.status, 'held')));
    }),

    async notifyFraudTeam(input: NotifyFraudTeamInput): Promise<void> {
      await db
        .insert(notification)
        .values({ idempotencyKey: input.idempotencyKey, paymentId: input.paymentId, channel: FRAUD_TEAM, kind: 'fraud-case', body: input.summary })
        .onConflictDoNothing();
    },

    // A message cannot be unsent; its undo is a follow-up that closes the case, so nobody works a void one.
    withdrawFraudNotification: compensation(
      'withdraw-fraud-notification',
      async (input: CompensationInput & { idempotencyKey: string; paymentId: string }) => {
        const why = input.reason === 'review-legit' ? 'reviewed as legitimate' : 'the screening saga was rolled back';
        await db
          .insert(notification)
          .values({ idempotencyKey: input.idempotencyKey, paymentId: input.paymentId, channel: FRAUD_TEAM, kind: 'case-withdrawn', body: `payment ${input.paymentId}: case withdrawn, ${why}` })
          .onConflictDoNothing();
      },
    ),

    /**
     * Raises the user's risk score and remembers the score it replaced (risk_adjustment, keyed like the effect), so
     * the undo can restore it. Profile row lock + adjustment insert in one transaction: a duplicate attempt either
     * sees the adjustment or rolls back entirely.
     */
    async raiseRiskProfile(input: RaiseRiskInput): Promise<RiskAdjustmentResult> {
      return db.transaction(async (tx) => {
        const [existing] = await tx.select().from(riskAdjustment).where(eq(riskAdjustment.idempotencyKey, input.idempotencyKey));
        if (existing) return { previousScore: existing.previousScore, newScore: existing.newScore };
        await tx.insert(userRiskProfile).values({ userId: input.userId }).onConflictDoNothing();
        const [profile] = await tx.select({ riskScore: userRiskProfile.riskScore }).from(userRiskProfile).where(eq(userRiskProfile.userId, input.userId)).for('update');
        const previousScore = profile.riskScore;
        const newScore = Math.min(1, Math.round((previousScore + deps.riskRaise) * 1e6) / 1e6);
        await tx.update(userRiskProfile).set({ riskScore: newScore, updatedAt: sql`now()` }).where(eq(userRiskProfile.userId, input.userId));
        await tx.insert(riskAdjustment).values({ idempotencyKey: input.idempotencyKey, userId: input.userId, previousScore, newScore });
        return { previousScore, newScore };
      });
    },

    /**
     * Puts back the score the raise replaced. Exactly when nothing else moved it since; otherwise only this raise's
     * delta is taken off, so undoing one saga never erases another saga's raise of the same user.
     */
    restoreRiskProfile: compensation('restore-risk-profile', async (input: CompensationInput & { adjustmentKey: string }) => {
      return db.transaction(async (tx) => {
        const [adj] = await tx.select().from(riskAdjustment).where(eq(riskAdjustment.idempotencyKey, input.adjustmentKey)).for('update');
        if (!adj) throw new Error(`no risk adjustment ${input.adjustmentKey} to restore`);
        if (adj.reverted) return { restoredTo: null };
        const [profile] = await tx.select({ riskScore: userRiskProfile.riskScore }).from(userRiskProfile).where(eq(userRiskProfile.userId, adj.userId)).for('update');
        const current = profile?.riskScore ?? adj.newScore;
        const restoredTo = current === adj.newScore ? adj.previousScore : Math.max(0, Math.round((current - (adj.newScore - adj.previousScore)) * 1e6) / 1e6);
        await tx.update(userRiskProfile).set({ riskScore: restoredTo, updatedAt: sql`now()` }).where(eq(userRiskProfile.userId, adj.userId));
        await tx.update(riskAdjustment).set({ reverted: true }).where(eq(riskAdjustment.idempotencyKey, input.adjustmentKey));
        return { restoredTo };
      });
    }),

    async publishFlagged(input: PublishFlaggedInput): Promise<{ flagEventId: string }> {
      return failPermanentFast(async () => {
        const envelope = paymentFlaggedEvent(input, deps.source);
        await publishEffect(deps, topics.flagged, envelope);
        return { flagEventId: envelope.id };
      });
    },

    retractFlag: compensation('retract-flag', async (input: CompensationInput & SagaRef & { idempotencyKey: string; flagEventId: string }) => {
      const envelope = createEvent(paymentFlagRetractedV1, {
        ...sagaEvent(input, eventIdFor(input.idempotencyKey)),
        data: {
          paymentId: input.paymentId,
          workflowId: input.workflowId,
          reason: input.reason === 'review-legit' ? 'manual-review' : 'saga-compensation',
          flagEventId: input.flagEventId,
          detail: input.reason === 'review-legit' ? 'reviewed as legitimate' : 'a saga step failed after acting',
        },
      });
      await publishEffect(deps, topics.flagRetracted, envelope);
    }),

    /** The review deadline passed: tell the fraud team, mark the decision escalated. The hold stays. */
    async escalateReview(input: EscalateReviewInput): Promise<void> {
      await db.transaction(async (tx) => {
        await tx
          .insert(notification)
          .values({ idempotencyKey: input.idempotencyKey, paymentId: input.paymentId, channel: FRAUD_TEAM, kind: 'review-escalation', body: input.summary })
          .onConflictDoNothing();
        await tx
          .update(decision)
          .set({ status: 'escalated', escalatedAt: new Date(input.escalatedAt), updatedAt: sql`now()` })
          .where(eq(decision.paymentId, input.paymentId));
      });
    },

    /** A verdict is a label: payments.labeled feeds the model's learning loop. */
    async publishLabel(input: PublishLabelInput): Promise<{ labelEventId: string }> {
      return failPermanentFast(async () => {
        const id = eventIdFor(input.idempotencyKey);
        const envelope = createEvent(paymentLabeledV1, {
          ...sagaEvent(input, id),
          data: { paymentId: input.paymentId, label: input.label, source: 'review', labeledAt: input.labeledAt, modelName: deps.modelName },
        });
        await publishEffect(deps, topics.labeled, envelope);
        return { labelEventId: id };
      });
    },
  };
}
