import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  customType,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';
import type { DriftReport, ReferenceProfile } from '../../model/drift';
import type { ModelMetrics } from '../../model/metrics';

/** PostgreSQL bytea; node-postgres returns it as a Buffer. */
export const bytea = customType<{ data: Uint8Array; driverData: Buffer }>({
  dataType: () => 'bytea',
  toDriver: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
  fromDriver: (value) => new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
});

export const MODEL_ALIASES = ['champion', 'shadow', 'previous'] as const;
export type ModelAlias = (typeof MODEL_ALIASES)[number];

/** Where a model version came from: enough to reproduce or audit it. */
export interface ModelLineage {
  /** sha256 over the training rows (features + labels) in order. */
  datasetHash: string;
  rowCount: number;
  positives?: number;
  labelTimeRange: { from: string; to: string } | null;
  eventTimeRange?: { from: string; to: string } | null;
  /** Kafka coordinates of the events behind the training rows, per topic/partition. */
  kafkaOffsetRange?: { topic: string; partition: number; from: string; to: string }[];
  codeVersion: string;
  trainedAt: string;
  /** Trainer parameters (l2, class weights, split seed, …). */
  params?: Record<string, unknown>;
  /** Free-form origin, e.g. 'synthetic:seed=7' or 'learning-loop:run=…'. */
  source?: string;
}

/** Immutable: a version is written once with its artifact and never updated. */
export const modelVersion = pgTable(
  'model_version',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    modelName: text('model_name').notNull(),
    version: text('version').notNull(),
    family: text('family').notNull(),
    artifact: bytea('artifact').notNull(),
    sha256: text('sha256').notNull(),
    featureSpecVersion: text('feature_spec_version').notNull(),
    metrics: jsonb('metrics').$type<ModelMetrics>().notNull(),
    lineage: jsonb('lineage').$type<ModelLineage>().notNull(),
    /** Training-set profile for drift checks (kept out of version listings: it is large). */
    referenceProfile: jsonb('reference_profile').$type<ReferenceProfile>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('model_version_name_version_uq').on(t.modelName, t.version),
    index('model_version_name_created_idx').on(t.modelName, t.createdAt),
    check('model_version_sha256_hex', sql`${t.sha256} ~ '^[0-9a-f]{64}$'`),
  ],
);

/** Current pointer per (model, alias); the runtime serves whatever `champion` names. */
export const modelAlias = pgTable(
  'model_alias',
  {
    modelName: text('model_name').notNull(),
    alias: text('alias', { enum: MODEL_ALIASES }).notNull(),
    version: text('version').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.modelName, t.alias] }),
    // An alias can only name a registered version.
    foreignKey({ columns: [t.modelName, t.version], foreignColumns: [modelVersion.modelName, modelVersion.version], name: 'model_alias_version_fk' }),
    check('model_alias_alias_known', sql`${t.alias} in ('champion', 'shadow', 'previous')`),
  ],
);

/** Append-only audit of every alias move (promotion, rollback, shadow changes); to_version null = alias cleared. */
export const modelAliasHistory = pgTable(
  'model_alias_history',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    modelName: text('model_name').notNull(),
    alias: text('alias', { enum: MODEL_ALIASES }).notNull(),
    fromVersion: text('from_version'),
    toVersion: text('to_version'),
    actor: text('actor').notNull(),
    reason: text('reason').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('model_alias_history_name_at_idx').on(t.modelName, t.at)],
);

export const driftReport = pgTable(
  'drift_report',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    modelName: text('model_name').notNull(),
    championVersion: text('champion_version'),
    report: jsonb('report').$type<DriftReport>().notNull(),
    datasetDrift: boolean('dataset_drift').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('drift_report_name_created_idx').on(t.modelName, t.createdAt)],
);
