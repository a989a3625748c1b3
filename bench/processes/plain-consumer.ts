// The baseline a user would write without Temporal: a plain kafkajs consumer group that does the payment saga's
// work itself — validate, enrich, score, decide, act, record — with the very same activity functions against the
// same PostgreSQL and Kafka, the same per-key ordering and in-flight bound as the bridge, but no durable state:
// a crash mid-event loses the event's progress (at-least-once redelivery of the whole event at best).
//
// Modes: `pipeline` (the work above), `consume` (only count records) and `validate` (count + envelope/contract
// validation): the latter two give the raw kafkajs consume rate next to the bridge's accept rate.
import type { EachBatchPayload } from 'kafkajs';
import { createActivities, type PaymentSagaActivities } from '../../activities';
import type { PaymentInitiatedV1 } from '../../schemas/events/payment-initiated.v1';
import { loadConfig, secretPiiHashKey } from '../../src/config/env';
import { createDb } from '../../src/db/client';
import { createKafka } from '../../src/kafka/client';
import { decodeRecord } from '../../src/kafka/cloudevents-binding';
import { KeyedScheduler } from '../../src/kafka/keyed-scheduler';
import { startOutboxRelays } from '../../src/kafka/outbox';
import { startAliasWatcher } from '../../src/model/alias-watcher';
import { createRegistryAliasSource } from '../../src/model/registry';
import { ModelRuntime } from '../../src/model/runtime';
import { createLogger } from '../../src/observability/logger';
import type { EventEnvelope } from '../../schemas/envelope';
import type { KafkaCoordinates } from '../../schemas/bridged-event';
import { processPayment } from '../lib/plain-pipeline';
import type { PlainChildOptions } from '../lib/children';
import { childMain, childOptions, send } from './child';

childMain(async () => {
  const options = childOptions<PlainChildOptions>();
  const config = loadConfig();
  const log = createLogger(config.logLevel).child({ component: `bench-plain-${options.mode}` });
  const kafka = createKafka(config.kafka);
  const closers: Array<() => Promise<void>> = [];
  let acts: PaymentSagaActivities | undefined;

  if (options.mode === 'pipeline') {
    const db = createDb(config.database.url);
    const outbox = startOutboxRelays({ shards: config.kafka.outboxShards, transactionalIdPrefix: config.kafka.outboxTransactionalIdPrefix, kafka, database: config.database.url, logger: log });
    const models = new ModelRuntime({ modelName: options.modelName, logger: log.child({ component: 'model-runtime' }) });
    const watcher = startAliasWatcher(models, createRegistryAliasSource(db.db, options.modelName), { logger: log });
    await watcher.ready;
    if (models.championVersion === null) throw new Error(`plain consumer has no champion for ${options.modelName}`);
    acts = createActivities({ db: db.db, models, piiHashKey: secretPiiHashKey(config), modelName: options.modelName, topics: options.topics, logger: log, outboxShards: config.kafka.outboxShards });
    closers.push(() => watcher.stop(), () => models.close(), () => outbox.stop(), () => db.close());
  }

  let count = 0;
  let failed = 0;
  let firstAt: number | undefined;
  const expect = options.expect;
  // Sub-millisecond wall clock: a raw consumer drains a small backlog in a few ms.
  const nowMs = () => performance.timeOrigin + performance.now();
  const started = (at: number) => {
    firstAt ??= at;
  };
  const counted = (n: number) => {
    count += n;
    if (expect !== undefined && count >= expect && count - n < expect) send({ type: 'consumed', count, firstAt, doneAt: nowMs() });
  };

  const consumer = kafka.consumer({ groupId: options.groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000, maxBytesPerPartition: 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: true });

  const pipelineBatch = async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload) => {
    started(nowMs());
    const scheduler = new KeyedScheduler(options.maxInFlightPerPartition);
    let lastBeat = Date.now();
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const parsed = message.value ? decodeRecord(message) : null;
      if (!parsed?.ok || parsed.type !== 'payments.initiated') {
        failed++;
        continue;
      }
      const envelope = { ...parsed.envelope, data: parsed.data } as EventEnvelope<PaymentInitiatedV1>;
      const coords: KafkaCoordinates = { topic: batch.topic, partition: batch.partition, offset: message.offset };
      await scheduler.submit(message.key?.toString() ?? '', () => processPayment(acts!, envelope, coords), (err) => {
        if (err) {
          failed++;
          if (failed <= 5) log.error({ err, offset: message.offset }, 'payment failed (the plain consumer has no retry or compensation)');
        } else counted(1);
      });
      if (Date.now() - lastBeat > 1000) {
        lastBeat = Date.now();
        await heartbeat();
      }
    }
    await scheduler.drain();
    const last = batch.messages[batch.messages.length - 1];
    if (last) resolveOffset(last.offset);
    await commitOffsetsIfNecessary();
  };

  const countBatch = async ({ batch }: EachBatchPayload) => {
    started(nowMs());
    if (options.mode === 'validate') {
      for (const message of batch.messages) {
        const parsed = message.value ? decodeRecord(message) : null;
        if (!parsed?.ok) failed++;
      }
    }
    counted(batch.messages.length);
  };

  await consumer.run({
    eachBatchAutoResolve: options.mode !== 'pipeline',
    autoCommit: true,
    autoCommitInterval: 1_000,
    partitionsConsumedConcurrently: 16,
    eachBatch: options.mode === 'pipeline' ? pipelineBatch : countBatch,
  });

  return {
    onMessage: (m) => {
      if (m.type === 'stats') send({ type: 'stats', count, failed });
    },
    stop: async () => {
      await consumer.stop();
      await consumer.disconnect();
      for (const close of closers) await close();
    },
  };
});
