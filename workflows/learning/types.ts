// Data shapes of the learning loop for its workflows and the CLI: the loop's state and status query here, the records
// (schemas/learning.ts) and the activities' inputs and outputs (schemas/learning-activities.ts, which the activities
// import from there) re-exported. Types only: everything here crosses a Temporal payload boundary, so it is plain
// JSON (no Dates, no NaN: a metric that is undefined on a data set, e.g. ROC-AUC without positives, is null).

import type { LearningLoopConfig } from './config';
import type { ChampionInfo, CycleRecord, DriftFinding, LabelCounters, LabelInput, LearningPhase, ManualRequest, RefusedRequest, TriggerRecord } from '../../schemas/learning';

export type { BackfillGateResult } from '../replay-job/gate';
export type * from '../../schemas/learning';
export type * from '../../schemas/learning-activities';
export { LEARNING_PHASES } from '../../schemas/learning';

/** The loop's whole memory; carried across continue-as-new. */
export interface LearningLoopState {
  modelName: string;
  config: LearningLoopConfig;
  /** Workflow time the loop first started (schedule base when there is neither champion nor training). */
  startedAt: string;
  runs: number;
  cycleSeq: number;
  labels: LabelCounters;
  /** Label events accepted but not yet stored. */
  pendingLabels: LabelInput[];
  /** Recently seen event ids (bounded): drops re-deliveries before they cost an activity. */
  seenEventIds: string[];
  pendingManual: ManualRequest | null;
  pendingDrift: DriftFinding | null;
  champion: ChampionInfo | null;
  lastTrainingAt: string | null;
  cooldownUntil: string | null;
  lastDriftCheckAt: string | null;
  lastDrift: DriftFinding | null;
  lastTrigger: TriggerRecord | null;
  /** `<kind>:<blockedBy>` already recorded as suppressed/deferred in the current episode (not recorded again). */
  notedBlocked: string[];
  triggers: TriggerRecord[];
  history: CycleRecord[];
  refused: RefusedRequest[];
}

/** The `status` query. */
export interface LearningLoopStatus {
  modelName: string;
  workflowId: string;
  runId: string;
  phase: LearningPhase;
  config: LearningLoopConfig;
  champion: ChampionInfo | null;
  labels: LabelCounters & { sinceLastTraining: number; queued: number };
  cooldownUntil: string | null;
  /** When the schedule trigger falls due (null: disabled). */
  scheduleDueAt: string | null;
  nextDriftCheckAt: string | null;
  lastDriftCheckAt: string | null;
  lastDrift: DriftFinding | null;
  pending: { manual: ManualRequest | null; drift: DriftFinding | null };
  lastTrigger: TriggerRecord | null;
  /** The running cycle (candidate, shadow metrics so far, approval request and deadline, …). */
  cycle: CycleRecord | null;
  /**
   * The running cycle's own workflow (learningCycle child, `<loop id>-cycle-<n>`): its history, status query and
   * approval handlers. Null between cycles and for a cycle the loop runs itself (started before the child existed).
   */
  cycleWorkflowId?: string | null;
  /** Pending approval request, if any (also inside `cycle`). */
  awaitingApproval: { requestId: string; version: string; deadline: string; approvers: string[] } | null;
  /** Finished cycles, most recent first (bounded). */
  history: CycleRecord[];
  /** Most recent triggers first (bounded). */
  triggers: TriggerRecord[];
  refused: RefusedRequest[];
  runs: number;
  cyclesThisRun: number;
  historyLength: number;
}

