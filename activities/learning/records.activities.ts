// Record activity: trigger, cycle and approval records upserted by the ids the workflow generated (the loop's outbox
// may write a snapshot more than once; the newest wins).
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client';
import { approval as approvalTable, learningCycle, learningTrigger } from '../../src/db/schema/learning';
import type { LearningRecord, PersistRecordsInput } from '../../schemas/learning-activities';
import type { LearningActivityDeps } from './shared';

export function createRecordActivities(deps: LearningActivityDeps) {
  const { db } = deps;
  return {
    /** Upserts trigger, cycle and approval records (keyed by workflow-generated ids). */
    async persistRecords(input: PersistRecordsInput): Promise<{ written: number }> {
      await db.transaction(async (tx) => {
        for (const record of input.records) await upsertRecord(tx as unknown as Db, input, record);
      });
      return { written: input.records.length };
    },
  };
}

const date = (v: string | undefined | null): Date | null => (v ? new Date(v) : null);

async function upsertRecord(db: Db, input: PersistRecordsInput, record: LearningRecord): Promise<void> {
  if (record.type === 'trigger') {
    const t = record.trigger;
    await db
      .insert(learningTrigger)
      .values({ id: t.id, modelName: input.modelName, workflowId: input.workflowId, kind: t.kind, outcome: t.outcome, reason: t.reason, cycleId: t.cycleId ?? null, detail: t.detail ?? null, at: new Date(t.at) })
      .onConflictDoNothing({ target: learningTrigger.id });
    return;
  }
  if (record.type === 'cycle') {
    const c = record.cycle;
    const values = {
      id: c.id,
      modelName: c.modelName,
      workflowId: input.workflowId,
      number: c.number,
      triggerId: c.trigger.id,
      triggerKind: c.trigger.kind,
      triggerReason: c.trigger.reason,
      phase: c.phase,
      outcome: c.outcome ?? null,
      outcomeReason: c.outcomeReason ?? null,
      asOf: new Date(c.asOf),
      championAtStart: c.championAtStart,
      candidateVersion: c.candidate ?? null,
      training: c.training ?? null,
      gate: c.gate ?? null,
      regates: c.regates,
      shadow: c.shadow ?? null,
      promotion: c.promotion ?? null,
      watch: c.watch ?? null,
      rollback: c.rollback ?? null,
      drift: c.drift,
      error: c.error ?? null,
      startedAt: new Date(c.startedAt),
      endedAt: date(c.endedAt),
    };
    const { id: _id, ...update } = values;
    await db
      .insert(learningCycle)
      .values(values)
      .onConflictDoUpdate({ target: learningCycle.id, set: { ...update, updatedAt: sql`now()` } });
    return;
  }
  const a = record.approval;
  const values = {
    requestId: a.requestId,
    modelName: a.modelName,
    cycleId: a.cycleId,
    version: a.version,
    status: a.status,
    requestedAt: new Date(a.requestedAt),
    deadline: new Date(a.deadline),
    decidedBy: a.decidedBy ?? null,
    decidedAt: date(a.decidedAt),
    reason: a.reason ?? null,
    via: a.via ?? null,
    evidence: a.evidence,
  };
  const { requestId: _requestId, ...update } = values;
  await db
    .insert(approvalTable)
    .values(values)
    .onConflictDoUpdate({ target: approvalTable.requestId, set: { ...update, updatedAt: sql`now()` } });
}
