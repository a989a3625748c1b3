// The learning records a workflow has yet to persist (its outbox, emptied by an outbox pump). Pure.
import type { LearningRecord } from './types';

/**
 * Queues `record` unless an unsent snapshot of the same cycle / approval is already queued. Records are full
 * snapshots: an unsent snapshot of the same cycle / approval already carries the latest state.
 */
export function enqueueRecord(outbox: LearningRecord[], record: LearningRecord): void {
  const same = outbox.some(
    (r) =>
      (r.type === 'cycle' && record.type === 'cycle' && r.cycle.id === record.cycle.id) ||
      (r.type === 'approval' && record.type === 'approval' && r.approval.requestId === record.approval.requestId),
  );
  if (!same) outbox.push(record);
}
