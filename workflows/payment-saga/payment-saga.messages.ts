// The payment saga's public surface: its input and result, the `status` query and the `resolveReview` update.
// Imported by the workflow and by clients (CLI, bridge, tests); only @temporalio/workflow and types, so both sides can.
import type { Duration } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { PaymentInitiatedV1 } from '../../schemas/events/payment-initiated.v1';
import type { BridgedEvent } from '../../schemas/bridged-event';
import type { ActionStep, CompensationReason, CompensationRecord, CompensationStep, Decision, ResolveReviewRequest, ReviewRecord, ReviewVerdict } from '../../schemas/payment-saga';

export type { ActionStep, CompensationReason, CompensationRecord, CompensationStep, Decision, ResolveReviewRequest, ReviewRecord, ReviewVerdict };

/** Workflow type name, as the bridge's route and clients start it. */
export const PAYMENT_SAGA_WORKFLOW_TYPE = 'paymentSaga';

export interface PaymentSagaOptions {
  /** Score above which a payment is flagged; default 0.85. */
  threshold?: number;
  /** Per-model thresholds (by model name, e.g. "fraud"); win over `threshold` for that model. */
  thresholdByModel?: Record<string, number>;
  /** How long a flagged payment waits for a verdict before the case is escalated; default 72 h. */
  reviewDeadline?: Duration;
}

/** What the bridge starts the saga with (one argument), plus optional per-run options for clients and tests. */
export type PaymentSagaInput = BridgedEvent<PaymentInitiatedV1> & { options?: PaymentSagaOptions };

export type SagaPhase =
  | 'enriching'
  | 'scoring'
  | 'acting'
  | 'recording'
  | 'in-review'
  | 'resolving'
  | 'compensating'
  | 'completed'
  | 'compensated'
  | 'failed';

/** Final business status; also the decision row's `status` once the saga ends. */
export type SagaOutcome = 'approved' | 'confirmed-fraud' | 'released' | 'compensated';

export interface ActionRecord {
  step: ActionStep;
  status: 'running' | 'done' | 'failed';
  error?: string;
}

export interface PaymentSagaStatus {
  workflowId: string;
  paymentId: string;
  phase: SagaPhase;
  outcome?: SagaOutcome;
  decision?: Decision;
  score?: number;
  threshold?: number;
  modelName?: string;
  modelVersion?: string;
  fallback?: boolean;
  fallbackReason?: string;
  shadow?: { modelVersion: string; score?: number; error?: string };
  actions: ActionRecord[];
  compensations: CompensationRecord[];
  review?: ReviewRecord;
  escalatedAt?: string;
  failure?: { step: string; message: string };
}

export interface PaymentSagaResult {
  paymentId: string;
  decision: Decision;
  outcome: Exclude<SagaOutcome, 'compensated'>;
  score: number;
  threshold: number;
  modelVersion: string;
  fallback: boolean;
  actions: ActionStep[];
  compensations: CompensationRecord[];
  review?: ReviewRecord;
}

export interface ResolveReviewResult {
  outcome: 'confirmed-fraud' | 'released';
  compensations: CompensationStep[];
}

/**
 * ApplicationFailure types the saga ends with. `PaymentSagaCompensated`: a step after acting failed for good, every
 * effect was undone (details[0] = { step, compensations }). `PaymentSagaFailed`: a step before acting failed, nothing to
 * undo. `PaymentSagaInputInvalid`: options out of range, nothing was done.
 */
export const PAYMENT_SAGA_FAILURES = {
  compensated: 'PaymentSagaCompensated',
  failed: 'PaymentSagaFailed',
  inputInvalid: 'PaymentSagaInputInvalid',
} as const;

/** Rejection codes of the resolveReview validator (ApplicationFailure type `ReviewRejected`, details[0].code). */
export type ReviewRejectionCode = 'NOT_IN_REVIEW' | 'UNKNOWN_VERDICT' | 'REVIEWER_MISSING' | 'NOTE_INVALID' | 'REQUEST_INVALID';
export const REVIEW_REJECTED = 'ReviewRejected';

export const statusQuery = defineQuery<PaymentSagaStatus>('status');
export const resolveReviewUpdate = defineUpdate<ResolveReviewResult, [ResolveReviewRequest]>('resolveReview');
