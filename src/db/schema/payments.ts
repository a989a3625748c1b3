import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/** Online store: what we know about a user when a payment arrives. */
export const userRiskProfile = pgTable('user_risk_profile', {
  userId: text('user_id').primaryKey(),
  riskScore: doublePrecision('risk_score').notNull().default(0.1),
  homeCountry: text('home_country'),
  accountCreatedAt: timestamp('account_created_at', { withTimezone: true }),
  knownDevices: text('known_devices').array().notNull().default(sql`'{}'::text[]`),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Every payment seen, by event time: the source of the 60 s velocity feature. */
export const paymentEvent = pgTable(
  'payment_event',
  {
    paymentId: text('payment_id').primaryKey(),
    userId: text('user_id').notNull(),
    amount: numeric('amount', { precision: 14, scale: 2 }).notNull(),
    currency: text('currency').notNull(),
    eventTime: timestamp('event_time', { withTimezone: true }).notNull(),
    receivedAt: createdAt(),
  },
  (t) => [index('payment_event_user_time_idx').on(t.userId, t.eventTime)],
);

/** Offline store: the exact vector the model saw, keyed by payment (training reads this, never recomputes). */
export const featureLog = pgTable('feature_log', {
  paymentId: text('payment_id').primaryKey(),
  featureSpecVersion: text('feature_spec_version').notNull(),
  features: jsonb('features').$type<Record<string, number>>().notNull(),
  vector: doublePrecision('vector').array().notNull(),
  eventTime: timestamp('event_time', { withTimezone: true }).notNull(),
  createdAt: createdAt(),
});

/** Ground truth arriving later (chargebacks, reviews). One label per payment; the latest wins. */
export const label = pgTable('label', {
  paymentId: text('payment_id').primaryKey(),
  label: text('label', { enum: ['fraud', 'legit'] }).notNull(),
  source: text('source').notNull(),
  labeledAt: timestamp('labeled_at', { withTimezone: true }).notNull(),
  eventId: text('event_id').notNull(),
  createdAt: createdAt(),
});

export const decision = pgTable(
  'decision',
  {
    paymentId: text('payment_id').primaryKey(),
    workflowId: text('workflow_id').notNull(),
    runId: text('run_id').notNull(),
    correlationId: text('correlation_id').notNull(),
    decision: text('decision', { enum: ['APPROVE', 'FLAG'] }).notNull(),
    /** Where the saga stands: approved, in-review, escalated, confirmed-fraud, released, compensated. */
    status: text('status').notNull(),
    score: doublePrecision('score').notNull(),
    threshold: doublePrecision('threshold').notNull(),
    modelName: text('model_name').notNull(),
    modelVersion: text('model_version').notNull(),
    fallback: boolean('fallback').notNull().default(false),
    /** Why the rules decided instead of the model (no-model, breaker-open, model-error, timeout). */
    fallbackReason: text('fallback_reason'),
    featureSpecVersion: text('feature_spec_version'),
    shadowVersion: text('shadow_version'),
    shadowScore: doublePrecision('shadow_score'),
    reasons: jsonb('reasons').$type<Array<{ feature: string; contribution: number }>>().notNull(),
    features: jsonb('features').$type<Record<string, number>>().notNull(),
    actions: jsonb('actions').$type<string[]>().notNull(),
    /** Compensations that ran, in the order they ran (reverse of the actions), with why. */
    compensations: jsonb('compensations')
      .$type<Array<{ step: string; reason: string; attempts: number }>>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    /** The fraud team's verdict on a flagged payment, once given. */
    review: jsonb('review').$type<{ verdict: 'fraud' | 'legit'; reviewer: string; note?: string; at: string }>(),
    /** Set when the review deadline passed without a verdict (the hold stays). */
    escalatedAt: timestamp('escalated_at', { withTimezone: true }),
    kafkaTopic: text('kafka_topic'),
    kafkaPartition: integer('kafka_partition'),
    kafkaOffset: bigint('kafka_offset', { mode: 'number' }),
    decidedAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('decision_model_idx').on(t.modelVersion, t.decidedAt)],
);

/** Every compensation attempt and result: a saga never undoes silently. */
export const compensationLedger = pgTable(
  'compensation_ledger',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    workflowId: text('workflow_id').notNull(),
    step: text('step').notNull(),
    /** Why the saga undid: a later step failed for good, or a reviewer cleared the payment. */
    reason: text('reason'),
    attempt: integer('attempt').notNull(),
    outcome: text('outcome', { enum: ['succeeded', 'failed'] }).notNull(),
    error: text('error'),
    at: createdAt(),
  },
  (t) => [index('compensation_ledger_wf_idx').on(t.workflowId)],
);

export const paymentHold = pgTable('payment_hold', {
  idempotencyKey: text('idempotency_key').primaryKey(),
  paymentId: text('payment_id').notNull(),
  status: text('status', { enum: ['held', 'released'] }).notNull(),
  reason: text('reason').notNull(),
  createdAt: createdAt(),
  releasedAt: timestamp('released_at', { withTimezone: true }),
});

export const notification = pgTable(
  'notification',
  {
    idempotencyKey: text('idempotency_key').notNull(),
    paymentId: text('payment_id').notNull(),
    channel: text('channel').notNull(),
    kind: text('kind').notNull(),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.idempotencyKey] }), index('notification_payment_idx').on(t.paymentId)],
);

/** Previous risk score kept by the "raise risk" step so its compensation can restore it exactly. */
export const riskAdjustment = pgTable('risk_adjustment', {
    idempotencyKey: text('idempotency_key').primaryKey(),
    userId: text('user_id').notNull(),
    previousScore: doublePrecision('previous_score').notNull(),
    newScore: doublePrecision('new_score').notNull(),
    reverted: boolean('reverted').notNull().default(false),
    createdAt: createdAt(),
  },
);
