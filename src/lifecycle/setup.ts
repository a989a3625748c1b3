import { logLevel } from 'kafkajs';
import type { Config } from '../config/env';
import { migrateDatabase } from '../db/migrate';
import { awaitGroupCoordinator, createKafka, describeTopicLayout, ensureTopics, whileKafkaSettles } from '../kafka/client';
import { ensureProgressTopic } from '../kafka/outbox/progress';
import { outboxTransactionalId, progressTopicOf } from '../kafka/outbox/shard';
import { ALL_TOPICS } from '../kafka/topics';
import { connectTemporal } from '../temporal/client';
import { ensureNamespace, ensureSearchAttributes } from '../temporal/setup';

export type SetupPart = 'temporal' | 'kafka' | 'database';
export const SETUP_PARTS: readonly SetupPart[] = ['temporal', 'kafka', 'database'];

export interface SetupStep {
  part: SetupPart;
  what: string;
  outcome: string;
}

/**
 * Prepares the clusters mainspring runs on, the way a platform team would, and changes nothing that is already
 * right (run it on every deploy): the namespace and its search attributes through the operator API, the topics with
 * their partitions and replication, the database migrations. The local stack runs the same after it starts.
 */
export async function setupCluster(
  config: Pick<Config, 'temporal' | 'kafka' | 'database'>,
  options: { parts?: readonly SetupPart[]; progress?: (line: string) => void } = {},
): Promise<SetupStep[]> {
  const parts = new Set(options.parts ?? SETUP_PARTS);
  const progress = options.progress ?? (() => undefined);
  const steps: SetupStep[] = [];
  if (parts.has('temporal')) {
    progress(`temporal: namespace ${config.temporal.namespace} and search attributes at ${config.temporal.address}`);
    const { connection } = await connectTemporal(config.temporal);
    try {
      const namespace = await ensureNamespace(connection, config.temporal.namespace, config.temporal.retentionDays);
      steps.push({ part: 'temporal', what: `namespace ${config.temporal.namespace}`, outcome: namespace === 'created' ? `registered (retention ${config.temporal.retentionDays} d)` : 'present' });
      const attributes = await ensureSearchAttributes(connection, config.temporal.namespace);
      steps.push({ part: 'temporal', what: 'search attributes', outcome: `${attributes.added.length} added, ${attributes.present.length} present` });
    } finally {
      await connection.close();
    }
  }
  if (parts.has('kafka')) {
    const { partitions, replicationFactor, minInsyncReplicas } = config.kafka;
    progress(`kafka: ${ALL_TOPICS.length} topics at ${config.kafka.brokers.join(',')}`);
    // Silent: whatever fails is thrown and reported by setup; kafkajs would also print, at error, each answer
    // ("does not host this topic-partition") that whileKafkaSettles waits out right after topics are created.
    const kafka = createKafka(config.kafka, { logLevel: logLevel.NOTHING });
    const created = await whileKafkaSettles(() => ensureTopics(kafka, ALL_TOPICS, { partitions, replicationFactor, minInsyncReplicas }));
    const layout = await whileKafkaSettles(() => describeTopicLayout(kafka, ALL_TOPICS));
    for (const t of layout) {
      const notes = [
        t.partitions < partitions ? `${t.partitions} partitions, ${partitions} configured: not changed (more partitions would move keys; add them on purpose)` : undefined,
        replicationFactor !== undefined && t.replicas < replicationFactor ? `${t.replicas} replicas, ${replicationFactor} configured: not changed (reassign partitions to raise it)` : undefined,
      ].filter((n): n is string => n !== undefined);
      const shape = `${t.partitions} partitions × ${t.replicas} replicas`;
      steps.push({ part: 'kafka', what: `topic ${t.topic}`, outcome: [created.includes(t.topic) ? `created, ${shape}` : `present, ${shape}`, ...notes].join('; ') });
    }
    // The outbox relays' progress topics (one per shard; compacted, one partition), so workers need no create right.
    const progressTopics = Array.from({ length: config.kafka.outboxShards }, (_, shard) => progressTopicOf(outboxTransactionalId(config.kafka.outboxTransactionalIdPrefix, shard)));
    for (const topic of progressTopics) await whileKafkaSettles(() => ensureProgressTopic(kafka, topic));
    steps.push({ part: 'kafka', what: `outbox progress topics (${progressTopics.length} shards)`, outcome: `${progressTopics[0]} … ${progressTopics[progressTopics.length - 1]} present` });
    // A fresh cluster creates and loads __consumer_offsets on the first coordinator lookup; waited for here, before
    // any consumer joins (the bridge's first join met "coordinator is loading" and crashed once).
    await awaitGroupCoordinator(kafka, 'mainspring-bridge');
  }
  if (parts.has('database')) {
    progress('database: migrations');
    await migrateDatabase(config.database.url);
    steps.push({ part: 'database', what: 'migrations', outcome: 'applied (already applied ones skipped)' });
  }
  return steps;
}
