// Records of the continual-learning loop (workflows/learning-loop/learning-loop.workflow.ts): every trigger it saw, every cycle with
// all its artefacts (training, gate, shadow comparison, approvals, promotion, watch, rollback) and every approval
// request with who decided and when. Written by activities/learning.activities.ts as idempotent upserts keyed by ids
// the workflow generates, so a retried write never duplicates a row.
import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type {
  ApprovalRecord,
  CycleOutcome,
  DriftFinding,
  GateResult,
  LearningPhase,
  PromotionRecord,
  RollbackRecord,
  ShadowSummary,
  TrainingSummary,
  TriggerKind,
  TriggerOutcome,
  TriggerRecord,
  WatchSummary,
} from '../../../schemas/learning';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/** Every trigger the loop evaluated: the cycle it started, or why it was suppressed, deferred or merged. */
export const learningTrigger = pgTable(
  'learning_trigger',
  {
    id: text('id').primaryKey(),
    modelName: text('model_name').notNull(),
    workflowId: text('workflow_id').notNull(),
    kind: text('kind').$type<TriggerKind>().notNull(),
    outcome: text('outcome').$type<TriggerOutcome>().notNull(),
    reason: text('reason').notNull(),
    cycleId: text('cycle_id'),
    detail: jsonb('detail').$type<TriggerRecord['detail']>(),
    at: ts('at').notNull(),
  },
  (t) => [index('learning_trigger_model_at_idx').on(t.modelName, t.at)],
);

/** One retrain → gate → shadow → approval → promote → watch cycle, updated as it advances. */
export const learningCycle = pgTable(
  'learning_cycle',
  {
    id: text('id').primaryKey(),
    modelName: text('model_name').notNull(),
    workflowId: text('workflow_id').notNull(),
    number: integer('number').notNull(),
    triggerId: text('trigger_id').notNull(),
    triggerKind: text('trigger_kind').$type<TriggerKind>().notNull(),
    triggerReason: text('trigger_reason').notNull(),
    phase: text('phase').$type<LearningPhase>().notNull(),
    outcome: text('outcome').$type<CycleOutcome>(),
    outcomeReason: text('outcome_reason'),
    /** Data cut-off of the training set (point in time). */
    asOf: ts('as_of').notNull(),
    championAtStart: text('champion_at_start'),
    candidateVersion: text('candidate_version'),
    training: jsonb('training').$type<TrainingSummary>(),
    gate: jsonb('gate').$type<GateResult>(),
    /** Gate re-runs after drift expired an approval request. */
    regates: jsonb('regates').$type<GateResult[]>().notNull().default([]),
    shadow: jsonb('shadow').$type<ShadowSummary>(),
    promotion: jsonb('promotion').$type<PromotionRecord>(),
    watch: jsonb('watch').$type<WatchSummary>(),
    rollback: jsonb('rollback').$type<RollbackRecord>(),
    drift: jsonb('drift').$type<DriftFinding[]>().notNull().default([]),
    error: text('error'),
    startedAt: ts('started_at').notNull(),
    endedAt: ts('ended_at'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('learning_cycle_model_started_idx').on(t.modelName, t.startedAt)],
);

/** A promotion request and its decision (approver, time, reason; or auto-reject at the deadline, or drift expiry). */
export const approval = pgTable(
  'approval',
  {
    requestId: text('request_id').primaryKey(),
    modelName: text('model_name').notNull(),
    cycleId: text('cycle_id').notNull(),
    version: text('version').notNull(),
    status: text('status').$type<ApprovalRecord['status']>().notNull(),
    requestedAt: ts('requested_at').notNull(),
    deadline: ts('deadline').notNull(),
    decidedBy: text('decided_by'),
    decidedAt: ts('decided_at'),
    reason: text('reason'),
    via: text('via').$type<NonNullable<ApprovalRecord['via']>>(),
    evidence: jsonb('evidence').$type<ApprovalRecord['evidence']>().notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('approval_model_requested_idx').on(t.modelName, t.requestedAt), index('approval_cycle_idx').on(t.cycleId)],
);
