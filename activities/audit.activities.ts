import { sql, type Placeholder } from 'drizzle-orm';
import { createEvent, paymentScoredV1 } from '../schemas';
import { toContractReasons } from '../schemas/limits';
import type { Db } from '../src/db/client';
import { decision as decisionTable, paymentEvent } from '../src/db/schema';
import type { KafkaCoordinates } from '../schemas/bridged-event';
import type { CompensationRecord, Decision, ReviewRecord } from '../schemas/payment-saga';
import type { ScoreReason } from './scoring.activities';
import { enqueueCte, enqueueParams, ENQUEUE_NOTIFIED, type OutboxEffect } from '../src/kafka/outbox';
import { effectOf, eventIdFor, failPermanentFast, poolOf, type ResolvedDeps } from './shared';

export interface RecordDecisionInput {
  paymentId: string;
  workflowId: string;
  runId: string;
  correlationId: string;
  /** Envelope id of the payments.initiated event: the cause of everything the saga publishes. */
  eventId: string;
  decision: Decision;
  /** in-review, escalated, approved, confirmed-fraud, released, compensated. */
  status: string;
  score: number;
  threshold: number;
  modelName: string;
  modelVersion: string;
  fallback: boolean;
  fallbackReason?: string;
  featureSpecVersion: string;
  shadow?: { modelVersion: string; probability?: number; error?: string };
  reasons: ScoreReason[];
  features: Record<string, number>;
  actions: string[];
  compensations: CompensationRecord[];
  review?: ReviewRecord;
  escalatedAt?: string;
  kafka: KafkaCoordinates;
  /** Publish payments.scored too: once per saga, with the first record (its event id is derived from the workflow id). */
  publishScored: boolean;
}


/**
 * Appends one compensation attempt to the ledger. The attempt number counts every row of this step of this saga, so
 * activity retries and workflow-level rounds share one sequence.
 */
export async function writeLedger(
  db: Db,
  row: { workflowId: string; step: string; reason: string; outcome: 'succeeded' | 'failed'; error?: string },
): Promise<void> {
  await db.execute(sql`
    insert into compensation_ledger (workflow_id, step, reason, attempt, outcome, error)
    select ${row.workflowId}, ${row.step}, ${row.reason}, coalesce(max(attempt), 0) + 1, ${row.outcome}, ${row.error ?? null}
    from compensation_ledger where workflow_id = ${row.workflowId} and step = ${row.step}`);
}

/** Every column a decision record writes; the upsert's parameters, and what a later record replaces. */
const RECORDED_COLUMNS = [
  'paymentId', 'workflowId', 'runId', 'correlationId', 'decision', 'status', 'score', 'threshold', 'modelName', 'modelVersion', 'fallback',
  'fallbackReason', 'featureSpecVersion', 'shadowVersion', 'shadowScore', 'reasons', 'features', 'actions', 'compensations', 'review',
  'escalatedAt', 'kafkaTopic', 'kafkaPartition', 'kafkaOffset',
] as const satisfies ReadonlyArray<keyof typeof decisionTable.$inferInsert>;

/** What the decision upsert returns: the payment's event time and whether this statement inserted the row. */
type Stored = { eventTime: Date | string | null; inserted: boolean } | undefined;

/**
 * The decision upsert, built once per worker and prepared by name on each connection (every saga runs it; building
 * the statement again each time cost more CPU than running it). A later record replaces every recorded column.
 * The first record also queues payments.scored in the outbox, in the same statement: the record and its effect
 * commit together or not at all.
 */
function decisionUpsert(db: Db) {
  // Raw placeholders (values go to the driver as given, see decisionParams): drizzle's column encoders would turn a
  // null jsonb into JSON null and fail on a null timestamp.
  const params = Object.fromEntries(RECORDED_COLUMNS.map((c) => [c, sql`${sql.placeholder(c)}`])) as unknown as typeof decisionTable.$inferInsert;
  const replaced = Object.fromEntries(RECORDED_COLUMNS.filter((c) => c !== 'paymentId').map((c) => [c, sql.raw(`excluded.${decisionTable[c].name}`)]));
  const upsert = db
    .insert(decisionTable)
    .values(params)
    .onConflictDoUpdate({ target: decisionTable.paymentId, set: { ...replaced, updatedAt: sql`now()` } })
    .returning({
      // The payment's event time (by primary key, same statement) gives the event → decision latency metric.
      // Qualified by hand: drizzle writes columns unqualified here, and both tables have a payment_id.
      eventTime: sql<Date | string | null>`(select e.event_time from ${paymentEvent} e where e.payment_id = ${sql.raw('"decision"."payment_id"')})`,
      // xmax = 0 ⇔ this statement inserted the row: a first record that finds its row was run before.
      inserted: sql<boolean>`(xmax = 0)`,
    });
  const prepared = upsert.prepare('record_decision');
  const { sql: upsertText, params: placeholders } = upsert.toSQL();
  const names = placeholders.map((p) => (p as Placeholder).name as string);
  const withEffect = `with decision_upsert as (${upsertText}), ${enqueueCte(names.length + 1)} select decision_upsert.*, ${ENQUEUE_NOTIFIED} from decision_upsert`;
  const pool = poolOf(db);
  return async (values: Record<string, unknown>, effect?: OutboxEffect): Promise<Stored> => {
    if (!effect) return (await prepared.execute(values))[0];
    const result = await pool.query<unknown[]>({ name: 'record_decision_scored', text: withEffect, values: [...names.map((n) => values[n]), ...enqueueParams(effect)], rowMode: 'array' });
    const row = result.rows[0];
    return row ? { eventTime: row[0] as Date | string | null, inserted: row[1] === true } : undefined;
  };
}

/** A record's values as the driver takes them: jsonb as JSON text (SQL NULL stays NULL), the rest as they are. */
export function decisionParams(row: Record<(typeof RECORDED_COLUMNS)[number], unknown>): Record<string, unknown> {
  return Object.fromEntries(RECORDED_COLUMNS.map((c) => [c, decisionTable[c].columnType === 'PgJsonb' && row[c] !== null ? JSON.stringify(row[c]) : row[c]]));
}

export function createAuditActivities(deps: ResolvedDeps) {
  const upsertDecision = decisionUpsert(deps.db);
  return {
    /**
     * Upserts the decision record of a payment (the audit trail the CLI and the UI read) and, on the first record,
     * queues payments.scored in the outbox in the same statement. Upsert: the saga records again after a review or
     * a compensation.
     */
    async recordDecision(input: RecordDecisionInput): Promise<{ scoredEventId?: string }> {
      return failPermanentFast(async () => {
        const row = {
          paymentId: input.paymentId,
          workflowId: input.workflowId,
          runId: input.runId,
          correlationId: input.correlationId,
          decision: input.decision,
          status: input.status,
          score: input.score,
          threshold: input.threshold,
          modelName: input.modelName,
          modelVersion: input.modelVersion,
          fallback: input.fallback,
          fallbackReason: input.fallbackReason ?? null,
          featureSpecVersion: input.featureSpecVersion,
          shadowVersion: input.shadow?.modelVersion ?? null,
          shadowScore: input.shadow?.probability ?? null,
          reasons: input.reasons,
          features: input.features,
          actions: input.actions,
          compensations: input.compensations,
          review: input.review ?? null,
          escalatedAt: input.escalatedAt ? new Date(input.escalatedAt) : null,
          kafkaTopic: input.kafka.topic,
          kafkaPartition: input.kafka.partition,
          kafkaOffset: Number(input.kafka.offset),
        };
        if (!input.publishScored) {
          await upsertDecision(decisionParams(row));
          return {};
        }
        const id = eventIdFor(`${input.workflowId}:scored`);
        const shadow = input.shadow?.probability === undefined ? undefined : { version: input.shadow.modelVersion, score: input.shadow.probability };
        const envelope = createEvent(paymentScoredV1, {
          id,
          source: deps.source,
          correlationId: input.correlationId,
          causationId: input.eventId,
          data: {
            paymentId: input.paymentId,
            decision: input.decision,
            score: input.score,
            modelVersion: input.modelVersion,
            ...(shadow ? { shadow } : {}),
            reasons: toContractReasons(input.reasons),
            fallback: input.fallback,
            workflowId: input.workflowId,
          },
        });
        // payments.scored is keyed by the workflow id: a re-run of this local activity (its workflow task retried)
        // or a retried attempt queues nothing more.
        const stored = await upsertDecision(decisionParams(row), effectOf(deps, deps.topics.scored, envelope));
        if (stored?.eventTime) deps.metrics?.decided(input.decision, new Date(stored.eventTime));
        return { scoredEventId: id };
      });
    },
  };
}
