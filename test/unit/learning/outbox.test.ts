import { enqueueRecord } from '../../../workflows/learning/outbox';
import type { ApprovalRecord, CycleRecord, LearningRecord, TriggerRecord } from '../../../workflows/learning/types';

const trigger = (id: string): TriggerRecord => ({ id, kind: 'manual', reason: 'asked', at: '2025-03-01T00:00:00.000Z', outcome: 'started' });
const cycle = (id: string) => ({ id, number: 1, modelName: 'fraud', trigger: trigger('t'), phase: 'retraining' }) as CycleRecord;
const approval = (requestId: string) => ({ requestId, cycleId: 'c1', version: 'v2', status: 'pending' }) as ApprovalRecord;

describe('enqueueRecord (the loop and cycle outbox)', () => {
  it('queues triggers always, and a cycle or approval snapshot only when none of the same id is waiting', () => {
    const outbox: LearningRecord[] = [];
    enqueueRecord(outbox, { type: 'trigger', trigger: trigger('t1') });
    enqueueRecord(outbox, { type: 'trigger', trigger: trigger('t1') });
    enqueueRecord(outbox, { type: 'cycle', cycle: cycle('c1') });
    enqueueRecord(outbox, { type: 'cycle', cycle: cycle('c1') });
    enqueueRecord(outbox, { type: 'cycle', cycle: cycle('c2') });
    enqueueRecord(outbox, { type: 'approval', approval: approval('r1') });
    enqueueRecord(outbox, { type: 'approval', approval: approval('r1') });
    expect(outbox.map((r) => (r.type === 'trigger' ? r.trigger.id : r.type === 'cycle' ? r.cycle.id : r.approval.requestId))).toEqual([
      't1',
      't1',
      'c1',
      'c2',
      'r1',
    ]);
    outbox.splice(0); // sent
    enqueueRecord(outbox, { type: 'cycle', cycle: cycle('c1') });
    expect(outbox).toHaveLength(1);
  });
});
