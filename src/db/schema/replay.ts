// Records of replay jobs (workflows/replay-job/replay-job.workflow.ts): what a model version would have decided on historical
// events, the events that could not be replayed, and the job's report. Every row is keyed by the replay id and the
// Kafka coordinates of its event and written as an upsert, so a chunk that runs again (worker killed mid-way,
// activity retry) overwrites its own rows instead of adding to them.
import { bigint, boolean, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/** One replayed event: the recomputed features and the replayed model's score and decision. Never acted on. */
export const replayDecision = pgTable(
  'replay_decision',
  {
    replayId: text('replay_id').notNull(),
    topic: text('topic').notNull(),
    partition: integer('partition').notNull(),
    offset: bigint('offset', { mode: 'number' }).notNull(),
    paymentId: text('payment_id').notNull(),
    eventTime: ts('event_time').notNull(),
    modelName: text('model_name').notNull(),
    modelVersion: text('model_version').notNull(),
    featureSpecVersion: text('feature_spec_version').notNull(),
    score: doublePrecision('score').notNull(),
    threshold: doublePrecision('threshold').notNull(),
    decision: text('decision', { enum: ['APPROVE', 'FLAG'] }).notNull(),
    reasons: jsonb('reasons').$type<Array<{ feature: string; contribution: number }>>().notNull(),
    features: jsonb('features').$type<Record<string, number>>().notNull(),
    /** The point in time the features were computed as of (what the serving path could have seen). */
    asOf: ts('as_of').notNull(),
    /** True when the recomputed vector equals the one serving logged for this payment (null: nothing logged). */
    matchesFeatureLog: boolean('matches_feature_log'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'replay_decision_pk', columns: [t.replayId, t.topic, t.partition, t.offset] }),
    index('replay_decision_payment_idx').on(t.paymentId),
  ],
);

/** An event of the range that could not be replayed (not JSON, contract broken, no key, …): counted and listed. */
export const replayBadEvent = pgTable(
  'replay_bad_event',
  {
    replayId: text('replay_id').notNull(),
    topic: text('topic').notNull(),
    partition: integer('partition').notNull(),
    offset: bigint('offset', { mode: 'number' }).notNull(),
    code: text('code').notNull(),
    reason: text('reason').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'replay_bad_event_pk', columns: [t.replayId, t.topic, t.partition, t.offset] })],
);

/** The report of a finished replay job (or feature rebuild), as the workflow returned it. */
export const replayReport = pgTable('replay_report', {
  replayId: text('replay_id').primaryKey(),
  kind: text('kind', { enum: ['score', 'rebuild-features'] }).notNull(),
  topic: text('topic').notNull(),
  modelName: text('model_name'),
  modelVersion: text('model_version'),
  featureSpecVersion: text('feature_spec_version'),
  report: jsonb('report').$type<Record<string, unknown>>().notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
