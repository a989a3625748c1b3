import { ApplicationFailure } from '@temporalio/activity';
import type { EventEnvelope } from '../schemas';
import { isPermanentFailure } from '../schemas/failures';
import type { Db } from '../src/db/client';
import { DEFAULT_CLOUDEVENTS_MODE, type CloudEventsMode } from '../src/kafka/cloudevents-binding';
import { DEFAULT_OUTBOX_SHARDS, enqueueEffect, outboxEffect, type OutboxEffect, type Queryable } from '../src/kafka/outbox';
import type { ModelRuntime } from '../src/model/runtime';
import type { Logger } from '../src/observability/logger';
import { TOPICS } from '../src/kafka/topics';

/** Topics the saga writes; overridable so tests can use their own. */
export interface SagaTopics {
  scored: string;
  flagged: string;
  flagRetracted: string;
  labeled: string;
}

export const DEFAULT_SAGA_TOPICS: SagaTopics = {
  scored: TOPICS.paymentsScored,
  flagged: TOPICS.paymentsFlagged,
  flagRetracted: TOPICS.paymentsFlagRetracted,
  labeled: TOPICS.paymentsLabeled,
};

export interface ActivityDeps {
  /** Also where effects go: the outbox (src/kafka/outbox/), published by the workers' relays. */
  db: Db;
  /** Champion/shadow scoring with rule fallback; the caller loads models (alias watcher) and closes it. */
  models: ModelRuntime;
  /** Key of the keyed hash for user ids in search attributes (config.piiHashKey). */
  piiHashKey: string;
  /** Name of the model the runtime serves (labels and per-model thresholds refer to it); default "fraud". */
  modelName?: string;
  topics?: Partial<SagaTopics>;
  /** How much a flag raises the user's risk score (capped at 1); default 0.2. */
  riskRaise?: number;
  /** Envelope `source` of the events the saga publishes; default "mainspring/payment-saga". */
  source?: string;
  logger?: Logger;
  /** How the effects' records are written (CloudEvents Kafka binding); default structured. */
  cloudEventsMode?: CloudEventsMode;
  /** Outbox shards (MAINSPRING_OUTBOX_SHARDS); every worker must use the same count as the relays. */
  outboxShards?: number;
  /** Prometheus metrics of the worker (event → decision latency); src/observability/model-metrics.ts. */
  metrics?: SagaMetrics;
}

export interface SagaMetrics {
  /** A decision was first recorded for a payment whose event happened at `eventTime`. */
  decided(decision: string, eventTime: Date): void;
}

export interface ResolvedDeps extends Required<Omit<ActivityDeps, 'topics' | 'logger' | 'metrics'>> {
  topics: SagaTopics;
  logger: Logger | undefined;
  metrics: SagaMetrics | undefined;
}

export function resolveDeps(deps: ActivityDeps): ResolvedDeps {
  return {
    ...deps,
    modelName: deps.modelName ?? 'fraud',
    topics: { ...DEFAULT_SAGA_TOPICS, ...deps.topics },
    riskRaise: deps.riskRaise ?? 0.2,
    source: deps.source ?? 'mainspring/payment-saga',
    logger: deps.logger?.child({ component: 'payment-saga-activities' }),
    metrics: deps.metrics,
    cloudEventsMode: deps.cloudEventsMode ?? DEFAULT_CLOUDEVENTS_MODE,
    outboxShards: deps.outboxShards ?? DEFAULT_OUTBOX_SHARDS,
  };
}

/** The record of a saga effect as the outbox keeps it (encoded now, in the activity's trace context). */
export function effectOf(deps: Pick<ResolvedDeps, 'cloudEventsMode' | 'outboxShards'>, topic: string, envelope: EventEnvelope<unknown>): OutboxEffect {
  return outboxEffect(topic, envelope, { cloudEventsMode: deps.cloudEventsMode, shards: deps.outboxShards });
}

/**
 * Publishes the one envelope of a saga effect, once: inserts it into the outbox keyed by its event id (a retried
 * attempt, a re-run local activity or another worker inserts nothing) and returns once that is committed; the
 * shard's relay publishes it in a Kafka transaction (src/kafka/outbox/relay.ts).
 */
export async function publishEffect(deps: Pick<ResolvedDeps, 'db' | 'cloudEventsMode' | 'outboxShards'>, topic: string, envelope: EventEnvelope<unknown>): Promise<void> {
  await enqueueEffect(poolOf(deps.db), effectOf(deps, topic, envelope));
}

/** The node-postgres pool under drizzle: the outbox statements are raw, named (prepared) queries. */
export function poolOf(db: Db): Queryable {
  return (db as Db & { $client: Queryable }).$client;
}

// eventIdFor lives with the envelope (schemas/) so producers outside the activities build the same ids.
export { eventIdFor } from '../schemas';

/**
 * Runs `fn`; an error whose code no retry can fix (schemas/failures.ts) becomes a non-retryable ApplicationFailure
 * whose type is that code.
 */
export async function failPermanentFast<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (isPermanentFailure(code)) {
      throw ApplicationFailure.create({ message: (err as Error).message, type: code, nonRetryable: true, cause: err as Error });
    }
    throw err;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
