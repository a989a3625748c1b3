// The learning cycle's public surface: workflow type and id, input and result, the signals the loop forwards to it
// (decisions, drift, configuration), the progress it reports back to the loop, and its `status` query. The approval
// signals and updates are the loop's (same names, same payloads): the Temporal UI page of a cycle accepts
// approvePromotion / rejectPromotion exactly as the loop's page does.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PromotionDecisionResult } from '../learning-loop/learning-loop.messages';
import type { LearningLoopConfig } from '../learning/config';
import type { PromotionDecisionRequest } from '../learning/requests';
import type { ApprovalRecord, ChampionInfo, CycleRecord, DriftFinding, LearningPhase, RefusedRequest } from '../learning/types';

export { approvePromotionSignal, approvePromotionUpdate, rejectPromotionSignal, rejectPromotionUpdate } from '../learning-loop/learning-loop.messages';

/** Workflow type name. */
export const LEARNING_CYCLE_WORKFLOW_TYPE = 'learningCycle';

/** One id per cycle of a loop, deterministic: `learning-fraud-cycle-4` (the loop's id, the cycle's number). */
export function learningCycleWorkflowId(loopWorkflowId: string, cycleNumber: number): string {
  return `${loopWorkflowId}-cycle-${cycleNumber}`;
}

/** What the loop starts a cycle with: the record it opened (trigger, as-of time), its configuration and champion. */
export interface LearningCycleInput {
  loopWorkflowId: string;
  cycle: CycleRecord;
  config: LearningLoopConfig;
  champion: ChampionInfo | null;
}

export interface LearningCycleResult {
  /** The final record (outcome, reason, every step's evidence). */
  cycle: CycleRecord;
  /** Drift the loop retrains on next: the finding that expired an approval whose re-evaluation failed. */
  pendingDrift: DriftFinding | null;
}

/** A decision the loop validated and passes on (`via` says whether it came to the loop as an update or a signal). */
export interface ForwardedDecision {
  kind: 'approve' | 'reject';
  request: PromotionDecisionRequest;
  via: 'update' | 'signal';
}

/** What the cycle tells its loop (coalesced: the newest snapshot each time). */
export interface CycleProgress {
  cycle: CycleRecord;
  phase: LearningPhase;
  /** The open approval request no decision or drift has answered yet. */
  awaiting: ApprovalRecord | null;
  /** Answers for the loop's waiting decision updates. */
  decisions: PromotionDecisionResult[];
  /** The champion as the cycle last read it (a promotion changes it). */
  champion: ChampionInfo | null;
}

export const LEARNING_CYCLE_SIGNALS = {
  forwardedDecision: 'forwardedDecision',
  drift: 'cycleDrift',
  config: 'cycleConfig',
  progress: 'cycleProgress',
} as const;

// ---- loop → cycle ----------------------------------------------------------------------------------------------
export const forwardedDecisionSignal = defineSignal<[ForwardedDecision]>(LEARNING_CYCLE_SIGNALS.forwardedDecision);
/** A dataset-drift finding that arrived while the cycle runs: recorded, and it expires an open approval request. */
export const cycleDriftSignal = defineSignal<[DriftFinding]>(LEARNING_CYCLE_SIGNALS.drift);
/** The loop's configuration changed (`learning configure`): approvers, watch and shadow settings apply from now. */
export const cycleConfigSignal = defineSignal<[LearningLoopConfig]>(LEARNING_CYCLE_SIGNALS.config);

// ---- cycle → loop ----------------------------------------------------------------------------------------------
export const cycleProgressSignal = defineSignal<[CycleProgress]>(LEARNING_CYCLE_SIGNALS.progress);

export interface LearningCycleStatus {
  modelName: string;
  loopWorkflowId: string;
  phase: LearningPhase;
  cycle: CycleRecord;
  awaitingApproval: { requestId: string; version: string; deadline: string; approvers: string[] } | null;
  /** Decision signals sent to this workflow directly that it refused. */
  refused: RefusedRequest[];
}

export const cycleStatusQuery = defineQuery<LearningCycleStatus>('status');
