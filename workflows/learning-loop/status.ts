// The learning loop's `status` query: the carried state plus what the current run knows (phase, running cycle, open
// approval request).
import { workflowInfo } from '@temporalio/workflow';
import { iso } from '../learning-cycle/steps';
import { labelsSinceTraining } from '../learning/state';
import { scheduleDueAtMs } from '../learning/triggers';
import type { ApprovalRecord, CycleRecord, LearningLoopState, LearningLoopStatus, LearningPhase } from '../learning/types';

const toMs = (t: string | null | undefined): number | null => (t ? Date.parse(t) : null);

/** The run-local part of the status. */
export interface RunView {
  phase: LearningPhase;
  cycle: CycleRecord | null;
  cycleWorkflowId: string | null;
  /** The open approval request no decision or drift has answered yet. */
  awaiting: ApprovalRecord | null;
  cyclesThisRun: number;
}

export function loopStatus(s: LearningLoopState, run: RunView): LearningLoopStatus {
  const info = workflowInfo();
  const scheduleDue = scheduleDueAtMs({
    config: s.config,
    championTrainedAtMs: toMs(s.champion?.trainedAt),
    lastTrainingAtMs: toMs(s.lastTrainingAt),
    loopStartedAtMs: Date.parse(s.startedAt),
  });
  const interval = s.config.drift.checkIntervalMs;
  return {
    modelName: s.modelName,
    workflowId: info.workflowId,
    runId: info.runId,
    phase: run.phase,
    config: s.config,
    champion: s.champion,
    labels: { ...s.labels, sinceLastTraining: labelsSinceTraining(s), queued: s.pendingLabels.length },
    cooldownUntil: s.cooldownUntil,
    scheduleDueAt: scheduleDue === null ? null : iso(scheduleDue),
    nextDriftCheckAt: interval === null ? null : iso(Date.parse(s.lastDriftCheckAt ?? s.startedAt) + interval),
    lastDriftCheckAt: s.lastDriftCheckAt,
    lastDrift: s.lastDrift,
    pending: { manual: s.pendingManual, drift: s.pendingDrift },
    lastTrigger: s.lastTrigger,
    cycle: run.cycle,
    cycleWorkflowId: run.cycleWorkflowId,
    awaitingApproval: run.awaiting ? { requestId: run.awaiting.requestId, version: run.awaiting.version, deadline: run.awaiting.deadline, approvers: s.config.approval.approvers } : null,
    history: s.history,
    triggers: s.triggers,
    refused: s.refused,
    runs: s.runs,
    cyclesThisRun: run.cyclesThisRun,
    historyLength: info.historyLength,
  };
}
