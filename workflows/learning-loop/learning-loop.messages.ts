// The learning loop's public surface: workflow type and id, input, signals (Kafka event batches from the bridge and
// the human-friendly ones for the Temporal UI), updates with validators (CLI), the `status` query and the
// LearningPhase search attribute. Imported by the workflow and by clients; only @temporalio/workflow and types.
//
// Temporal UI → "Send a signal" payloads (JSON, one object):
//   approvePromotion  {"version":"fraud-v4","approver":"alice@example.com","reason":"shadow PR-AUC +0.02"}
//   rejectPromotion   {"version":"fraud-v4","approver":"alice@example.com","reason":"recall dropped on gift cards"}
//   retrain           {"requestedBy":"alice@example.com","reason":"new merchant segment","force":false}
// A signal cannot be refused up front: an invalid one (wrong version, approver not allowed, …) changes nothing and is
// listed under `refused` in the status query. The updates of the same names answer with the refusal instead.
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { EventBatchSignal } from '../../src/kafka/routes';
import type { LearningLoopConfig, LearningLoopConfigInput } from '../learning/config';
import type { ConfigChangeRequest, PromotionDecisionRequest, RetrainRequest } from '../learning/requests';
import type { LearningLoopState, LearningLoopStatus, PromotionRecord } from '../learning/types';

export type { DurationInput } from '../../schemas/duration';
export type { LearningLoopConfig, LearningLoopConfigInput, QualityMetricName } from '../learning/config';
export type { ConfigChangeRequest, PromotionDecisionRequest, RequestRejectionCode, RetrainRequest } from '../learning/requests';
export type * from '../learning/types';

/** Workflow type name, as the bridge's routes and clients start it. */
export const LEARNING_LOOP_WORKFLOW_TYPE = 'learningLoop';

/** One loop per model: `learning-<modelName>`. */
export function learningWorkflowId(modelName: string): string {
  return `learning-${modelName}`;
}

/** What the bridge (signalWithStart) or a client starts the loop with. */
export interface LearningLoopInput {
  modelName: string;
  /** Per-model settings over the defaults (DEFAULT_LEARNING_CONFIG in workflows/learning/config.ts). */
  config?: LearningLoopConfigInput;
  /** Set only by the loop itself when it continues as new. */
  state?: LearningLoopState;
}

/** Signal names, for the bridge's routes (SignalWithStartRoute.signal) and the Temporal UI. */
export const LEARNING_SIGNALS = {
  labels: 'labels',
  driftDetected: 'driftDetected',
  retrainRequested: 'retrainRequested',
  approvePromotion: 'approvePromotion',
  rejectPromotion: 'rejectPromotion',
  retrain: 'retrain',
} as const;

// ---- from Kafka, through the bridge (one object: { events: BridgedEvent<…>[] }) ----------------------------------
export const labelsSignal = defineSignal<[EventBatchSignal<'payments.labeled'>]>(LEARNING_SIGNALS.labels);
export const driftDetectedSignal = defineSignal<[EventBatchSignal<'model.drift-detected'>]>(LEARNING_SIGNALS.driftDetected);
export const retrainRequestedSignal = defineSignal<[EventBatchSignal<'model.retrain-requested'>]>(LEARNING_SIGNALS.retrainRequested);

// ---- from people: signals (Temporal UI) ------------------------------------------------------------------------
export const approvePromotionSignal = defineSignal<[PromotionDecisionRequest]>(LEARNING_SIGNALS.approvePromotion);
export const rejectPromotionSignal = defineSignal<[PromotionDecisionRequest]>(LEARNING_SIGNALS.rejectPromotion);
export const retrainSignal = defineSignal<[RetrainRequest]>(LEARNING_SIGNALS.retrain);

// ---- from people: updates (CLI), validated before they reach history -------------------------------------------
export interface PromotionDecisionResult {
  requestId: string;
  version: string;
  decision: 'approved' | 'rejected';
  decidedBy: string;
  at: string;
  /** For an approval: the alias flip (returned once the promotion is done). */
  promotion?: PromotionRecord;
}

export interface RetrainRequestResult {
  /** starting: a cycle starts now; queued-*: it starts when the cooldown ends / the running cycle finishes. */
  status: 'starting' | 'queued-cooldown' | 'queued-cycle-running' | 'merged';
  cooldownUntil: string | null;
}

export const approvePromotionUpdate = defineUpdate<PromotionDecisionResult, [PromotionDecisionRequest]>(LEARNING_SIGNALS.approvePromotion);
export const rejectPromotionUpdate = defineUpdate<PromotionDecisionResult, [PromotionDecisionRequest]>(LEARNING_SIGNALS.rejectPromotion);

/** Each promotion decision with its update (answers when decided) and its signal (the Temporal UI's way in). */
export const PROMOTION_DECISIONS = [
  ['approve', approvePromotionUpdate, approvePromotionSignal],
  ['reject', rejectPromotionUpdate, rejectPromotionSignal],
] as const;
export const requestRetrainUpdate = defineUpdate<RetrainRequestResult, [RetrainRequest]>('requestRetrain');
export const updateConfigUpdate = defineUpdate<LearningLoopConfig, [ConfigChangeRequest]>('updateConfig');

export const statusQuery = defineQuery<LearningLoopStatus>('status');

/**
 * ApplicationFailure type of every validator refusal; details[0] = { code: RequestRejectionCode }.
 * `LearningConfigInvalid`: the start input's configuration is invalid (the workflow fails at once, nothing done).
 */
export const LEARNING_FAILURES = {
  requestRejected: 'LearningRequestRejected',
  configInvalid: 'LearningConfigInvalid',
} as const;

/**
 * The LearningPhase search attribute (Keyword; registered by the stack manager, src/temporal/search-attributes.ts).
 * Declared as a plain key because workflow code cannot import @temporalio/common's defineSearchAttributeKey.
 */
export const LEARNING_PHASE_SEARCH_ATTRIBUTE: SearchAttributeKey<'KEYWORD'> = { name: 'LearningPhase', type: 'KEYWORD' };
