import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  rootCause,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { EnrichmentResult, PaymentSagaActivities, RecordDecisionInput, SagaRef, ScoringResult } from '../../activities';
import { ASSESS, EFFECT, ENRICH, MUST_COMPLETE, RECORD_APPROVAL, SCORE } from './activity-profiles';
import { checkOptions, DEFAULT_REVIEW_DEADLINE, resolveThreshold } from './decide';
import { decide } from '../../schemas/payment-saga';
import { formatAmount, sagaDetails } from './details';
import { enrichInput, scoreSummary, scoringRecordFields } from '../../activities/payment-steps';
import { failedAssessmentStep, PaymentSagaFailure } from './errors';
import { SAGA_PATCHES } from './patches';
import { validateReviewRequest } from './review';
import { CompensationStack, type Compensation } from './saga';
import { SEARCH_ATTRIBUTES as SA } from '../../src/temporal/search-attributes';
import {
  resolveReviewUpdate,
  statusQuery,
  type ActionRecord,
  type ActionStep,
  type CompensationReason,
  type Decision,
  type PaymentSagaInput,
  type PaymentSagaResult,
  type PaymentSagaStatus,
  type ResolveReviewResult,
  type SagaOutcome,
  type SagaPhase,
} from './payment-saga.messages';

// Local activities: fast, in-process, no history events per attempt (one marker each).
const { enrichPayment } = proxyLocalActivities<PaymentSagaActivities>(ENRICH);
const { scorePayment } = proxyLocalActivities<PaymentSagaActivities>(SCORE);
const { assessPayment } = proxyLocalActivities<PaymentSagaActivities>(ASSESS);
const { recordDecision: recordApproval } = proxyLocalActivities<PaymentSagaActivities>(RECORD_APPROVAL);
// Effects that may be given up on (then undone) and those that must finish (undos, escalation, post-review).
const effect = proxyActivities<PaymentSagaActivities>(EFFECT);
const mustComplete = proxyActivities<PaymentSagaActivities>(MUST_COMPLETE);

// An ActivityFailure's own message is "Activity task failed"; what the operator needs is the error underneath it.
const errorText = (err: unknown): string => rootCause(err) ?? String(err);

/**
 * One payment, screened: enrich → score → decide → (FLAG) act → record → review. Started by the bridge per
 * payments.initiated event (workflow id `payment-<eventId>`). Every effect is keyed by `<workflowId>:<step>`; every
 * effect registers its undo once it succeeded; a step after acting that fails for good undoes them all, in reverse.
 */
export async function paymentSaga(input: PaymentSagaInput): Promise<PaymentSagaResult> {
  const { envelope, kafka, options } = input;
  const payment = envelope.data;
  const info = workflowInfo();
  const { workflowId } = info;
  const keyOf = (step: string): string => `${workflowId}:${step}`;
  const ref: SagaRef = { workflowId, paymentId: payment.paymentId, correlationId: envelope.correlationid, eventId: envelope.id };

  const status: PaymentSagaStatus = { workflowId, paymentId: payment.paymentId, phase: 'enriching', actions: [], compensations: [] };
  const show = (): void => setCurrentDetails(sagaDetails(status, payment.amount, payment.currency));
  const enter = (phase: SagaPhase): void => {
    status.phase = phase;
    show();
  };
  let reviewResult: ResolveReviewResult | undefined;

  setHandler(statusQuery, () => status);
  setHandler(
    resolveReviewUpdate,
    async (request) => {
      status.review = { verdict: request.verdict, reviewer: request.reviewer.trim(), ...(request.note ? { note: request.note } : {}), at: new Date().toISOString() };
      enter('resolving');
      // Answer once the verdict is carried out, so the reviewer's CLI shows what actually happened.
      await condition(() => reviewResult !== undefined);
      return reviewResult!;
    },
    { validator: (request) => validateReviewRequest(request, status.phase) },
  );

  const problems = checkOptions(options);
  if (problems.length > 0) {
    status.failure = { step: 'input', message: problems.join('; ') };
    enter('failed');
    throw new PaymentSagaFailure(`invalid saga options: ${problems.join('; ')}`, { code: 'SAGA_INPUT_INVALID', paymentId: payment.paymentId });
  }
  show();

  // Version 2 (sagas started since): one local step to assess, and an approval recorded locally — see SAGA_PATCHES.
  const oneTaskApproval = patched(SAGA_PATCHES.oneTaskApproval);

  // 1 enrich, 2 score. Nothing has been done yet, so a failure here just ends the saga, visibly.
  let enriched: EnrichmentResult;
  let scored: ScoringResult;
  try {
    const input = enrichInput(payment, envelope.time, info.runStartTime.toISOString());
    if (oneTaskApproval) {
      ({ enriched, scored } = await assessPayment(input));
    } else {
      enriched = await enrichPayment(input);
      enter('scoring');
      scored = await scorePayment({ paymentId: payment.paymentId, featureSpecVersion: enriched.featureSpecVersion, vector: enriched.vector });
    }
  } catch (err) {
    if (isCancellation(err)) throw err; // cancelled before acting: nothing to undo, end as cancelled
    const step = failedAssessmentStep(err) ?? (status.phase === 'enriching' ? 'enrich' : 'score');
    status.failure = { step, message: errorText(err) };
    enter('failed');
    throw new PaymentSagaFailure(`payment ${payment.paymentId}: ${step} failed: ${errorText(err)}`, { code: 'SAGA_FAILED', paymentId: payment.paymentId, step }, err as Error);
  }

  // 3 decide: pure code on recorded results, so replay decides the same.
  const threshold = resolveThreshold(options, scored.modelName);
  const decision: Decision = decide(scored.probability, threshold);
  Object.assign(status, {
    decision,
    ...scoreSummary(scored, threshold),
    ...(scored.shadow ? { shadow: { modelVersion: scored.shadow.modelVersion, score: scored.shadow.probability, error: scored.shadow.error } } : {}),
  });
  upsertSearchAttributes([
    { key: SA.PaymentId, value: payment.paymentId },
    { key: SA.UserId, value: enriched.userIdHash },
    { key: SA.Decision, value: decision },
    { key: SA.RiskScore, value: scored.probability },
    { key: SA.ModelVersion, value: scored.modelVersion },
  ]);
  log.info('payment decided', { paymentId: payment.paymentId, decision, score: scored.probability, threshold, modelVersion: scored.modelVersion, fallback: scored.fallback });

  const doneActions = (): ActionStep[] => status.actions.filter((a) => a.status === 'done').map((a) => a.step);
  const record = (recordStatus: string, publishScored: boolean): RecordDecisionInput => ({
    ...ref,
    runId: info.runId,
    decision,
    status: recordStatus,
    ...scoringRecordFields(scored, enriched, threshold),
    actions: doneActions(),
    compensations: status.compensations,
    ...(status.review ? { review: status.review } : {}),
    ...(status.escalatedAt ? { escalatedAt: status.escalatedAt } : {}),
    kafka,
    publishScored,
  });

  const saga = new CompensationStack();
  const undo = async (reason: CompensationReason): Promise<void> => {
    await saga.unwind(reason, {
      onDone: (c) => {
        status.compensations.push(c);
        if (status.failure?.step === c.step) delete status.failure; // a retried undo that went through is no failure
        show();
      },
      onRoundFailed: (step, round, error) => {
        status.failure = { step, message: `compensation round ${round} failed: ${errorText(error)}` };
        show();
      },
    });
  };

  /** Runs one effect; on success records it and registers its undo (never before: a failed effect left nothing). */
  const act = async <T>(step: ActionStep, run: () => Promise<T>, compensation: (result: T) => Compensation): Promise<T> => {
    const entry: ActionRecord = { step, status: 'running' };
    status.actions.push(entry);
    try {
      const result = await run();
      entry.status = 'done';
      saga.register(compensation(result));
      return result;
    } catch (err) {
      entry.status = 'failed';
      entry.error = errorText(err);
      throw err;
    } finally {
      show();
    }
  };
  const summary = `${payment.paymentId} · ${formatAmount(payment.amount, payment.currency)}`;
  const why = `score ${scored.probability.toFixed(3)} > ${threshold} (${scored.modelVersion}${scored.fallback ? ', rules fallback' : ''})`;

  let outcome: Exclude<SagaOutcome, 'compensated'>;
  try {
    // 4 act
    if (decision === 'FLAG') {
      enter('acting');
      // Hold first: payments.flagged tells the fraud tools the money is held.
      const hold = await act(
        'hold-payment',
        () => effect.holdPayment.executeWithOptions({ summary: `hold ${payment.paymentId}` }, [{ idempotencyKey: keyOf('hold-payment'), paymentId: payment.paymentId, reason: why }]),
        ({ holdKey }) => ({ step: 'release-hold', run: (reason) => mustComplete.releaseHold({ workflowId, reason, holdKey }) }),
      );
      // The other three are independent: run them together, then wait for all of them to settle so that every one
      // that succeeded has registered its undo before a failure of another one unwinds the saga.
      const settled = await Promise.allSettled([
        act(
          'publish-flagged',
          () =>
            effect.publishFlagged.executeWithOptions({ summary: `publish payments.flagged for ${payment.paymentId}` }, [
              {
                ...ref,
                idempotencyKey: keyOf('publish-flagged'),
                // The step builds the event (activities' paymentFlaggedEvent). Sagas that scheduled it earlier passed
                // its data; an activity's input is not part of the command replay compares, so no patch is needed.
                flag: { payment, scored, threshold },
              },
            ]),
          ({ flagEventId }) => ({
            step: 'retract-flag',
            run: (reason) => mustComplete.retractFlag({ ...ref, reason, idempotencyKey: keyOf('retract-flag'), flagEventId }),
          }),
        ),
        act(
          'notify-fraud-team',
          () =>
            effect.notifyFraudTeam.executeWithOptions({ summary: `notify fraud team of ${payment.paymentId}` }, [
              { idempotencyKey: keyOf('notify-fraud-team'), paymentId: payment.paymentId, workflowId, summary: `payment ${summary} flagged: ${why}; hold ${hold.holdKey}` },
            ]),
          () => ({
            step: 'withdraw-fraud-notification',
            run: (reason) => mustComplete.withdrawFraudNotification({ workflowId, reason, idempotencyKey: keyOf('withdraw-fraud-notification'), paymentId: payment.paymentId }),
          }),
        ),
        act(
          'raise-risk-profile',
          () => effect.raiseRiskProfile.executeWithOptions({ summary: `raise risk profile (${payment.paymentId})` }, [{ idempotencyKey: keyOf('raise-risk-profile'), userId: payment.userId }]),
          () => ({
            step: 'restore-risk-profile',
            run: (reason) => mustComplete.restoreRiskProfile({ workflowId, reason, adjustmentKey: keyOf('raise-risk-profile') }),
          }),
        ),
      ]);
      const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (rejected) throw rejected.reason;
    }

    // 5 record (first time: with payments.scored)
    enter('recording');
    if (decision === 'APPROVE' && oneTaskApproval) {
      await recordApproval.executeWithOptions({ summary: `record decision APPROVE for ${payment.paymentId}` }, [record('approved', true)]);
    } else {
      await effect.recordDecision.executeWithOptions({ summary: `record decision ${decision} for ${payment.paymentId}` }, [record(decision === 'FLAG' ? 'in-review' : 'approved', true)]);
    }

    if (decision === 'APPROVE') {
      outcome = 'approved';
    } else {
      // 6 review: wait for the fraud team; past the deadline escalate once, keep the hold, keep waiting.
      enter('in-review');
      const deadline = options?.reviewDeadline ?? DEFAULT_REVIEW_DEADLINE;
      const inTime = await condition(() => status.review !== undefined, deadline, { summary: `review deadline ${String(deadline)}` });
      if (!inTime) {
        status.escalatedAt = new Date().toISOString();
        show();
        log.warn('review deadline passed; escalating', { paymentId: payment.paymentId, deadline: String(deadline) });
        await mustComplete.escalateReview({ ...ref, idempotencyKey: keyOf('escalate-review'), escalatedAt: status.escalatedAt, summary: `review overdue (${String(deadline)}): payment ${summary} flagged: ${why}` });
        await condition(() => status.review !== undefined);
      }
      const review = status.review!;
      // From here the verdict is final: everything retries until it succeeds; nothing is undone for a late failure.
      if (review.verdict === 'legit') await undo('review-legit');
      await mustComplete.publishLabel({ ...ref, idempotencyKey: keyOf('label'), label: review.verdict, labeledAt: review.at });
      outcome = review.verdict === 'legit' ? 'released' : 'confirmed-fraud';
      status.outcome = outcome;
      await mustComplete.recordDecision(record(outcome, false));
      reviewResult = { outcome, compensations: status.compensations.map((c) => c.step) };
    }
  } catch (err) {
    const cancelled = isCancellation(err);
    const failedStep = status.actions.find((a) => a.status === 'failed')?.step ?? (status.phase === 'recording' ? 'record' : status.phase);
    status.failure = { step: failedStep, message: errorText(err) };
    if (saga.registered.length === 0 && status.compensations.length === 0) {
      // Nothing was done (an APPROVE whose record failed, a hold that never happened): nothing to undo, and another
      // record attempt would most likely fail the same way. End visibly; a reset re-runs the saga.
      log.error('payment saga step failed before any effect', { paymentId: payment.paymentId, step: failedStep, error: errorText(err), cancelled });
      enter('failed');
      if (cancelled) throw err;
      throw new PaymentSagaFailure(`payment ${payment.paymentId}: ${failedStep} failed: ${errorText(err)}`, { code: 'SAGA_FAILED', paymentId: payment.paymentId, step: failedStep }, err as Error);
    }
    // A step failed for good after acting began (or the saga was cancelled): undo everything, in reverse, whatever
    // cancellation says, record it, and end visibly.
    log.error('payment saga step failed; compensating', { paymentId: payment.paymentId, step: failedStep, error: errorText(err), cancelled });
    enter('compensating');
    await CancellationScope.nonCancellable(async () => {
      await undo(cancelled ? 'saga-cancelled' : 'step-failed');
      status.outcome = 'compensated';
      status.failure = { step: failedStep, message: errorText(err) };
      await mustComplete.recordDecision(record('compensated', false));
    });
    enter('compensated');
    if (cancelled) throw err;
    throw new PaymentSagaFailure(
      `payment ${payment.paymentId}: ${failedStep} failed after acting; ${status.compensations.length} effect(s) undone: ${errorText(err)}`,
      { code: 'SAGA_COMPENSATED', paymentId: payment.paymentId, step: failedStep, compensations: status.compensations },
      err as Error,
    );
  }

  status.outcome = outcome;
  enter('completed');
  // An update that is still returning its answer must finish before the run closes.
  await condition(allHandlersFinished);
  return {
    paymentId: payment.paymentId,
    decision,
    outcome,
    score: scored.probability,
    threshold,
    modelVersion: scored.modelVersion,
    fallback: scored.fallback,
    actions: doneActions(),
    compensations: status.compensations,
    ...(status.review ? { review: status.review } : {}),
  };
}
