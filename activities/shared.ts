import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Kafka, Producer } from 'kafkajs';
import type { EventEnvelope } from '../schemas';
import { isPermanentFailure } from '../schemas/failures';
import { earlierSend, publishEvents } from '../src/kafka/producer';
import { publishedSince } from '../src/kafka/published';
import type { Db } from '../src/db/client';
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
  db: Db;
  /** An idempotent kafkajs producer (src/kafka/producer.ts connectProducer); the caller connects and closes it. */
  producer: Producer;
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
  /** Lets a retried publish look for its record on the topic first (publishEffect); without it, it just publishes. */
  kafka?: Kafka;
  /** Prometheus metrics of the worker (event → decision latency); src/observability/model-metrics.ts. */
  metrics?: SagaMetrics;
}

export interface SagaMetrics {
  /** A decision was first recorded for a payment whose event happened at `eventTime`. */
  decided(decision: string, eventTime: Date): void;
}

export interface ResolvedDeps extends Required<Omit<ActivityDeps, 'topics' | 'logger' | 'metrics' | 'kafka'>> {
  topics: SagaTopics;
  kafka: Kafka | undefined;
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
    kafka: deps.kafka,
  };
}

/**
 * Publishes the one envelope of a saga effect, once, across activity attempts. In order:
 * 1. An earlier attempt's send in this process is joined while in flight, or trusted once acknowledged: the common
 *    retry (the completion, not the publish, was lost) costs nothing, and a send still pending after a broker outage
 *    cannot land beside a second copy (both found by `mainspring chaos`: a retry looked at the topic before the
 *    pending send landed, then published again).
 * 2. A retried attempt with nothing known here (the worker that made the earlier attempt was killed, or another
 *    worker made it) looks for the envelope on the topic, written since the activity was first scheduled. So does a
 *    local activity run again after its workflow task failed (`ranBefore`: its attempt count starts over).
 * 3. Otherwise it publishes with `once`: an attempt of this process that sent meanwhile (attempts overlap when one
 *    outlives its start-to-close timeout) is seen at the moment of sending. If the look itself failed it publishes
 *    anyway: a copy with the same event id, which consumers drop, beats a saga that gives up its effect.
 */
export async function publishEffect(
  deps: Pick<ResolvedDeps, 'producer' | 'kafka' | 'logger'>,
  topic: string,
  envelope: EventEnvelope<unknown>,
  /** `ranBefore`: the caller knows an earlier run of this effect got under way (treated like a retried attempt). */
  options: { ranBefore?: boolean } = {},
): Promise<void> {
  const info = activityInfo();
  const skip = (how: string) => deps.logger?.info({ topic, eventId: envelope.id, attempt: info?.attempt, how }, 'an earlier attempt already published this event; not publishing again');
  const local = earlierSend(deps.producer, topic, envelope.id);
  if (local?.state === 'acknowledged') return skip('acknowledged in this process');
  if (local?.state === 'in-flight') {
    const landed = await local.done.then(() => true, () => false);
    if (landed) return skip('joined its send in this process');
  }
  if (deps.kafka && info && (info.attempt > 1 || options.ranBefore)) {
    const found = await publishedSince(deps.kafka, topic, envelope.id, info.scheduledTimestampMs - 60_000, 6_000).catch((err: unknown) => {
      deps.logger?.warn({ err, topic, eventId: envelope.id }, 'could not check for an earlier publish; publishing');
      return false;
    });
    if (found) return skip('found on the topic');
  }
  const outcome = await publishEvents(deps.producer, topic, [envelope], { once: true });
  if (outcome === 'already-acknowledged') skip('acknowledged in this process meanwhile');
  else if (outcome === 'joined') skip('joined its send in this process');
}

function activityInfo(): { attempt: number; scheduledTimestampMs: number } | undefined {
  try {
    return Context.current().info;
  } catch {
    return undefined; // called outside an activity (unit tests)
  }
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
